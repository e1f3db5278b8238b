"""The library: knowledge items, entries, tags, attachments and the access log.

Tables of the library area; SQLAlchemy 2.0 declarative models on :class:`kmrepo.base.Base`.
Every search index is derived from these tables and can be rebuilt from them
(``kmrepo reindex``).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .. import clock
from ..accounts.models import Department, User
from ..base import Base
from .uploads import INLINE_TYPES

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

#: Knowledge item kinds (docs/domain.md, "What is stored").
KNOWLEDGE_KINDS = {"explicit": "ความรู้ที่ชัดแจ้ง (Explicit)", "tacit": "ความรู้ที่ฝังอยู่ในคน (Tacit)"}

#: Entry lifecycle (docs/domain.md, "The life of an entry"): draft → review (กลั่นกรอง) → approved → published → retired.
ENTRY_STATUSES = {
    "draft": "ฉบับร่าง",
    "review": "รอกลั่นกรอง",
    "approved": "อนุมัติให้เผยแพร่",
    "published": "เผยแพร่แล้ว",
    "retired": "เลิกใช้",
}

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
    #: A retired item is kept (its entries stay tagged) but offered for no new entry
    #: and listed apart (docs/users/km-team.md).
    retired: Mapped[bool] = mapped_column(Boolean, default=False)

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
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=clock.now, index=True)
    #: The document's own date (front matter ``date``/``updated``, or a date the text
    #: states: :func:`kmrepo.library.loader.document_date`); None when it states none.
    #: ``created_at``/``updated_at`` are when it came into and last changed in kmrepo.
    document_date: Mapped[date | None] = mapped_column(Date, index=True)
    #: When the KM team should next review the content (docs/users/km-team.md); set when
    #: published or revised (:func:`kmrepo.library.policy.review_period`).
    review_by: Mapped[date | None] = mapped_column(Date, index=True)

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
    accessed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=clock.now)
    fiscal_year: Mapped[int] = mapped_column(Integer)
    channel: Mapped[str] = mapped_column(String(10), default="web")
    visitor: Mapped[str] = mapped_column(String(64), default="")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    entry: Mapped[Entry] = relationship()


class StoredFile:
    """The columns of a file kept in ``<instance>/uploads/<stored_name>`` (a random name,
    outside the web root: :mod:`kmrepo.library.uploads`): ``filename`` is the checked name
    the user gave, ``content_type`` the type found from the content, ``size`` in bytes,
    ``sha256`` hex. A mixin of the tables that keep files."""

    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=clock.now)

    @property
    def inline(self) -> bool:
        """Whether a browser may show the file in the page (a PDF or an image,
        :data:`~kmrepo.library.uploads.INLINE_TYPES`) rather than download it."""
        return self.content_type in INLINE_TYPES


class Attachment(StoredFile, Base):
    """A file attached to an entry (:class:`StoredFile`).
    ``text`` is the file's text, searched with its entry, and ``text_status`` a key of
    :data:`kmrepo.library.extract.STATUSES` (why there is none, when there is none)."""

    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("entries.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(Text, default="", deferred=True)
    text_status: Mapped[str] = mapped_column(String(20), default="pending")

    entry: Mapped[Entry] = relationship(back_populates="attachments")
    uploaded_by: Mapped[User | None] = relationship()


class Revision(Base):
    """One version of an entry's content: ``number`` counts from 1 per entry; ``title``,
    ``summary`` and ``body`` as they were; who made it (``author``, or the loader:
    ``author`` None and ``note`` naming the file), when, and a short ``note``. Every
    change of content makes one; a save or load that changes nothing makes none."""

    __tablename__ = "revisions"
    __table_args__ = (UniqueConstraint("entry_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("entries.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(500))
    summary: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str] = mapped_column(Text, default="")
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    note: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=clock.now)

    entry: Mapped[Entry] = relationship()
    author: Mapped[User | None] = relationship()


class UsefulMark(Base):
    """A signed-in reader found an entry useful (one mark per reader and entry): the
    evidence of the indicator "usable knowledge" (docs/domain.md, "Indicators")."""

    __tablename__ = "useful_marks"

    entry_id: Mapped[int] = mapped_column(ForeignKey("entries.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    marked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=clock.now, index=True)


class Comment(Base):
    """A signed-in reader's comment on an entry (``body``: plain text, at most 2,000
    characters); the author and the KM team are told in the site."""

    __tablename__ = "comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("entries.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=clock.now)

    user: Mapped[User | None] = relationship()


class SlugAlias(Base):
    """An address an entry had before (``old_slug``): it redirects to the entry's
    address now, so links and bookmarks keep working."""

    __tablename__ = "slug_aliases"

    id: Mapped[int] = mapped_column(primary_key=True)
    old_slug: Mapped[str] = mapped_column(String(200), unique=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("entries.id", ondelete="CASCADE"), index=True)
