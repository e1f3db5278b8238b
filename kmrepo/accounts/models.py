"""Accounts: organisation units, staff accounts and their roles, and the audit log.

Tables of the accounts area; SQLAlchemy 2.0 declarative models on :class:`kmrepo.base.Base`.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from .. import clock
from ..base import Base

#: Roles a user may hold, several at once (docs/roles.md). Every
#: active account is also a reader and has trainee duties; those are not stored.
ROLES = {
    "contributor": "ผู้เขียนเอกสาร",
    "supervisor": "ผู้บังคับบัญชา/ผู้อนุมัติ",
    "km_team": "ทีมงาน KM",
    "cko": "ผู้บริหารด้านการจัดการความรู้ (CKO)",
    "admin": "ผู้ดูแลระบบ",
}

#: Actions the audit log records, with their Thai names.
AUDIT_ACTIONS = {
    "login": "ลงชื่อเข้าใช้",
    "login_failed": "ลงชื่อเข้าใช้ไม่สำเร็จ",
    "logout": "ออกจากระบบ",
    "password_changed": "เปลี่ยนรหัสผ่าน",
    "user_created": "สร้างบัญชีผู้ใช้",
    "user_updated": "แก้ไขบัญชีผู้ใช้",
    "user_deactivated": "ระงับบัญชีผู้ใช้",
    "user_reactivated": "เปิดใช้บัญชีผู้ใช้อีกครั้ง",
    "password_reset": "ตั้งรหัสผ่านใหม่ให้ผู้ใช้",
    "entry_created": "สร้างเอกสาร",
    "entry_edited": "แก้ไขเอกสาร",
    "entry_submitted": "ส่งกลั่นกรอง",
    "entry_returned": "ส่งกลับแก้ไข",
    "entry_approved": "อนุมัติให้เผยแพร่",
    "entry_published": "เผยแพร่",
    "entry_retired": "เลิกใช้",
    "file_uploaded": "แนบไฟล์",
    "file_removed": "ลบไฟล์แนบ",
    "entry_deleted": "ลบฉบับร่าง",
    "tag_renamed": "เปลี่ยนชื่อแท็ก",
    "tag_merged": "รวมแท็ก",
    "corner_changed": "จัดมุม KM",
    "item_saved": "บันทึกองค์ความรู้",
    "item_retired": "เลิกใช้องค์ความรู้",
    "unit_saved": "บันทึกหน่วยงาน",
    "plan_saved": "บันทึกแผนการจัดการความรู้",
    "plan_imported": "นำเข้าแผนการจัดการความรู้",
    "plan_approved": "อนุมัติแผนการจัดการความรู้",
    "activity_saved": "บันทึกกิจกรรมในแผนการจัดการความรู้",
    "evidence_added": "แนบไฟล์หลักฐานของแผน",
    "evidence_removed": "ลบไฟล์หลักฐานของแผน",
    "item_restored": "นำองค์ความรู้กลับมาใช้",
    "access_logs_purged": "ลบบันทึกการเข้าถึงเก่า",
    "report_submitted": "ส่งรายงานผลการอบรม",
    "report_approved": "อนุมัติรายงานผลการอบรม",
    "report_returned": "ส่งกลับรายงานผลการอบรม",
    "index_update_failed": "ปรับปรุงดัชนีค้นหาไม่สำเร็จ",
    "index_repaired": "ซ่อมดัชนีค้นหาแล้ว",
}


#: How passwords are hashed: Werkzeug's scrypt (memory-hard; OWASP Password Storage
#: Cheat Sheet). Tests swap in a cheap method to stay fast.
PASSWORD_HASH_METHOD = "scrypt"



class Department(Base):
    """An organisation unit (สำนักปลัด, กองคลัง, …): owns knowledge items and entries."""

    __tablename__ = "departments"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)


class UserRole(Base):
    """One role (a key of :data:`ROLES`) held by one user."""

    __tablename__ = "user_roles"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(String(30), primary_key=True)


class User(Base):
    """A staff account. ``username`` is stored lower-case; ``password_hash`` is
    Werkzeug's scrypt hash. ``department`` is the user's unit (it decides which reports a
    supervisor approves). ``session_token`` is part of the login cookie, so changing it
    (password change, reset, deactivation) ends every open session of the account.
    The Flask-Login attributes (``is_authenticated``, ``get_id`` …) are defined here.
    """

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255), default="")
    full_name: Mapped[str] = mapped_column(String(200), default="")
    position: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    active: Mapped[bool] = mapped_column(default=True)
    must_change_password: Mapped[bool] = mapped_column(default=False)
    session_token: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=clock.now)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    department: Mapped[Department | None] = relationship()
    role_rows: Mapped[list[UserRole]] = relationship(cascade="all, delete-orphan", lazy="selectin")

    @property
    def roles(self) -> set[str]:
        """The stored roles (keys of :data:`ROLES`)."""
        return {r.role for r in self.role_rows}

    @roles.setter
    def roles(self, value) -> None:
        unknown = set(value) - set(ROLES)
        if unknown:
            raise ValueError(f"unknown role(s): {', '.join(sorted(unknown))}")
        keep = [r for r in self.role_rows if r.role in value]
        have = {r.role for r in keep}
        self.role_rows = keep + [UserRole(role=r) for r in sorted(set(value) - have)]

    # Flask-Login's user protocol.
    is_authenticated = True
    is_anonymous = False

    @property
    def is_active(self) -> bool:
        return self.active

    def get_id(self) -> str:
        """``"<id>:<session_token>"``: a changed token invalidates old sessions."""
        return f"{self.id}:{self.session_token}"

    def end_sessions(self) -> None:
        """Invalidate every login cookie of the account (a new session token)."""
        self.session_token = secrets.token_hex(16)

    def set_password(self, password: str) -> None:
        """Hash and store ``password`` (scrypt) and end the account's other sessions."""
        self.password_hash = generate_password_hash(password, method=PASSWORD_HASH_METHOD)
        self.end_sessions()

    def check_password(self, password: str) -> bool:
        """True when ``password`` matches the stored hash."""
        return bool(self.password_hash) and check_password_hash(self.password_hash, password)

    @property
    def display_name(self) -> str:
        return self.full_name or self.username


class AuditEvent(Base):
    """One line of the audit log: ``actor`` did ``action`` (a key of
    :data:`AUDIT_ACTIONS`) to ``target_type``/``target_id`` (label kept as text, so the
    line survives the target's deletion). ``username`` is the account name typed or
    used; ``address`` is a salted hash of the client address, never the address."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_action_at", "action", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=clock.now, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    username: Mapped[str] = mapped_column(String(64), default="")
    action: Mapped[str] = mapped_column(String(40))
    target_type: Mapped[str] = mapped_column(String(30), default="")
    target_id: Mapped[str] = mapped_column(String(200), default="")
    target_label: Mapped[str] = mapped_column(String(500), default="")
    detail: Mapped[str] = mapped_column(Text, default="")
    address: Mapped[str] = mapped_column(String(64), default="")

    actor: Mapped[User | None] = relationship()

    @property
    def action_label(self) -> str:
        return AUDIT_ACTIONS.get(self.action, self.action)


class AuthSession(Base):
    """One signed-in session, kept on the server: the session cookie carries only its
    random ``id``. Signing out ends it (``ended_at``), so a copied cookie is worthless
    afterwards; it also ends after an absolute lifetime from ``created_at`` and after
    idle time since ``last_seen_at`` (:func:`kmrepo.accounts.service.session_alive`).
    ``address`` is a salted hash of the client address."""

    __tablename__ = "auth_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=clock.now)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=clock.now)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    address: Mapped[str] = mapped_column(String(64), default="")


class Notification(Base):
    """A message in the site for ``user`` (the bell): ``text`` and the ``url`` it opens."""

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(String(500))
    url: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=clock.now)
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
