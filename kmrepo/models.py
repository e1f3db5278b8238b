"""The database: the source of truth for everything kmrepo knows.

SQLAlchemy 2.0 declarative models. Every search index is derived from these tables and
can be rebuilt from them (``kmrepo reindex``).
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

from sqlalchemy import Column, DateTime, ForeignKey, Index, Integer, String, Table, Text, select
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

#: Entry types, as written in front matter (``type:``), with their Thai names.
ENTRY_TYPES = {
    "manual": "คู่มือการปฏิบัติงาน",
    "best_practice": "แนวปฏิบัติที่ดี (Best Practice)",
    "lessons_learned": "บทเรียนที่ได้รับ",
    "training_report": "รายงานผลการเข้ารับการพัฒนา",
    "regulation": "ระเบียบ/หนังสือสั่งการ",
    "qa": "ถาม–ตอบ",
    "km_plan": "แผนการจัดการความรู้",
    "article": "บทความ",
}

#: Who may read an entry: everyone, or signed-in staff only.
VISIBILITIES = {"public": "เผยแพร่ทั่วไป", "internal": "เฉพาะบุคลากรภายใน"}

#: Knowledge item kinds (KM-DOMAIN.md, "What is stored").
KNOWLEDGE_KINDS = {"explicit": "ความรู้ที่ชัดแจ้ง (Explicit)", "tacit": "ความรู้ที่ฝังอยู่ในคน (Tacit)"}

#: Entry lifecycle (KM-DOMAIN.md): draft → review (กลั่นกรอง) → approved → published → retired.
ENTRY_STATUSES = {
    "draft": "ฉบับร่าง",
    "review": "รอกลั่นกรอง",
    "approved": "อนุมัติให้เผยแพร่",
    "published": "เผยแพร่แล้ว",
    "retired": "เลิกใช้",
}

#: Roles a user may hold, several at once (issue "Accounts, roles and security"). Every
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
    "access_logs_purged": "ลบบันทึกการเข้าถึงเก่า",
}


#: How passwords are hashed: Werkzeug's scrypt (memory-hard; OWASP Password Storage
#: Cheat Sheet). Tests swap in a cheap method to stay fast.
PASSWORD_HASH_METHOD = "scrypt"


def utcnow() -> datetime:
    """The current time, timezone-aware UTC (stored as naive UTC by SQLite)."""
    return datetime.now(UTC)


class Base(DeclarativeBase):
    pass


entry_tags = Table(
    "entry_tags",
    Base.metadata,
    Column("entry_id", ForeignKey("entries.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True),
)

entry_knowledge_items = Table(
    "entry_knowledge_items",
    Base.metadata,
    Column("entry_id", ForeignKey("entries.id", ondelete="CASCADE"), primary_key=True),
    Column("knowledge_item_id", ForeignKey("knowledge_items.id", ondelete="CASCADE"), primary_key=True),
)


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
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    active: Mapped[bool] = mapped_column(default=True)
    must_change_password: Mapped[bool] = mapped_column(default=False)
    session_token: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
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


class KnowledgeItem(Base):
    """A knowledge item (องค์ความรู้) a KM plan chooses; entries are tagged to it.

    ``kind`` is a key of :data:`KNOWLEDGE_KINDS`; ``owner`` is the owner unit (เจ้าภาพ).
    """

    __tablename__ = "knowledge_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(300), unique=True)
    kind: Mapped[str] = mapped_column(String(20), default="explicit")
    description: Mapped[str] = mapped_column(Text, default="")
    strategic_issue: Mapped[str] = mapped_column(Text, default="")
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))

    owner: Mapped[Department | None] = relationship()
    entries: Mapped[list[Entry]] = relationship(secondary=entry_knowledge_items, back_populates="knowledge_items")


class Tag(Base):
    """A free tag; ``name`` is stored as typed, trimmed (unique)."""

    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)

    entries: Mapped[list[Entry]] = relationship(secondary=entry_tags, back_populates="tags")


class Entry(Base):
    """A piece of knowledge: a manual, best practice, training report, regulation …

    ``body`` is Markdown. ``type`` is a key of :data:`ENTRY_TYPES`, ``visibility`` of
    :data:`VISIBILITIES`, ``status`` of :data:`ENTRY_STATUSES`. ``fiscal_year`` is a
    Buddhist Era fiscal year (ปีงบประมาณ) or None. ``source_hash`` is the SHA-256 of the
    file the entry was last loaded from, so reloading an unchanged file changes nothing.
    """

    __tablename__ = "entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(200), unique=True)
    title: Mapped[str] = mapped_column(String(500))
    type: Mapped[str] = mapped_column(String(30), index=True)
    body: Mapped[str] = mapped_column(Text, default="")
    summary: Mapped[str] = mapped_column(Text, default="")
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), index=True)
    fiscal_year: Mapped[int | None] = mapped_column(Integer, index=True)
    visibility: Mapped[str] = mapped_column(String(20), default="public")
    status: Mapped[str] = mapped_column(String(20), default="published")
    featured: Mapped[bool] = mapped_column(default=False)
    source_path: Mapped[str] = mapped_column(String(1000), default="")
    source_hash: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)

    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    department: Mapped[Department | None] = relationship()
    author: Mapped[User | None] = relationship()
    attachments: Mapped[list[Attachment]] = relationship(
        back_populates="entry", cascade="all, delete-orphan", order_by="Attachment.id"
    )
    tags: Mapped[list[Tag]] = relationship(secondary=entry_tags, back_populates="entries", order_by=Tag.name)
    knowledge_items: Mapped[list[KnowledgeItem]] = relationship(
        secondary=entry_knowledge_items, back_populates="entries", order_by=KnowledgeItem.name
    )

    @property
    def type_label(self) -> str:
        """The Thai name of the entry's type."""
        return ENTRY_TYPES.get(self.type, self.type)


class AccessLog(Base):
    """One access to an entry: the raw data of the KPI "number of accesses to the
    knowledge base" (จำนวนการเข้าถึงฐานข้อมูลความรู้; targets: at least 6 in
    pathumthani-pao-2566-plan2-training.txt, at least 12 in banmai-municipality.txt).

    ``fiscal_year`` is the Buddhist Era fiscal year of ``accessed_at`` in Thai time,
    fixed when the access happens. ``channel`` is ``web`` or ``api``. ``visitor`` is a
    salted hash of the address of an anonymous visitor, never the address itself.
    """

    __tablename__ = "access_logs"
    __table_args__ = (Index("ix_access_logs_fy_entry", "fiscal_year", "entry_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("entries.id", ondelete="CASCADE"), index=True)
    accessed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    fiscal_year: Mapped[int] = mapped_column(Integer)
    channel: Mapped[str] = mapped_column(String(10), default="web")
    visitor: Mapped[str] = mapped_column(String(64), default="")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    entry: Mapped[Entry] = relationship()


class Attachment(Base):
    """A file attached to an entry. The bytes live in ``<instance>/uploads/<stored_name>``
    (a random name, outside the web root); ``filename`` is the checked name the user
    gave, ``content_type`` the type found from the content, ``size`` in bytes."""

    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("entries.id", ondelete="CASCADE"), index=True)
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    entry: Mapped[Entry] = relationship(back_populates="attachments")
    uploaded_by: Mapped[User | None] = relationship()


class AuditEvent(Base):
    """One line of the audit log: ``actor`` did ``action`` (a key of
    :data:`AUDIT_ACTIONS`) to ``target_type``/``target_id`` (label kept as text, so the
    line survives the target's deletion). ``username`` is the account name typed or
    used; ``address`` is a salted hash of the client address, never the address."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_action_at", "action", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
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


def named(session, model, name: str):
    """The ``model`` row (Department, Tag or KnowledgeItem: anything with a unique
    ``name``) called ``name``, added to ``session`` if there is none yet."""
    obj = session.scalar(select(model).where(model.name == name))
    if obj is None:
        obj = model(name=name)
        session.add(obj)
    return obj


__all__ = [
    "AUDIT_ACTIONS",
    "ENTRY_STATUSES",
    "ENTRY_TYPES",
    "KNOWLEDGE_KINDS",
    "ROLES",
    "VISIBILITIES",
    "AccessLog",
    "Attachment",
    "AuditEvent",
    "Base",
    "Department",
    "Entry",
    "KnowledgeItem",
    "Tag",
    "User",
    "UserRole",
    "named",
]
