"""Training records, their post-training reports, the chain of approvers and what
follows (docs/domain.md, "Post-training reports"; banmai-municipality.txt §16).

Tables of the training area; SQLAlchemy 2.0 declarative models on :class:`kmrepo.base.Base`.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .. import clock
from ..accounts.models import Department, User
from ..base import Base
from ..library.models import Entry, KnowledgeItem

#: Kinds of development a record may be (banmai-municipality.txt §16), with Thai names.
TRAINING_KINDS = {
    "training": "ฝึกอบรม",
    "seminar": "สัมมนา",
    "study_visit": "ศึกษาดูงาน",
    "practicum": "ฝึกปฏิบัติ",
    "further_study": "ศึกษาต่อ",
}

#: Where a report stands. draft → submitted (moving up the chain) → approved →
#: published; an approver may return it (returned), and the trainee submits it again.
REPORT_STATES = {
    "draft": "ร่างรายงาน",
    "submitted": "รออนุมัติ",
    "returned": "ส่งกลับให้แก้ไข",
    "approved": "อนุมัติครบแล้ว",
    "published": "เผยแพร่แล้ว",
}

#: The sections of the prescribed form (แบบรายงานผลการฝึกอบรม), in order, with Thai
#: headings.
REPORT_SECTIONS = {
    "objectives": "วัตถุประสงค์ของการเข้ารับการพัฒนา",
    "content": "สาระสำคัญที่ได้เรียนรู้",
    "knowledge": "ความรู้ที่ได้รับ (ชุดองค์ความรู้)",
    "application": "การนำความรู้มาประยุกต์ใช้ในการปฏิบัติงาน",
    "suggestions": "ข้อเสนอแนะต่อองค์กร",
}

training_knowledge_items = Table(
    "training_knowledge_items",
    Base.metadata,
    Column("record_id", ForeignKey("training_records.id", ondelete="CASCADE"), primary_key=True),
    Column("knowledge_item_id", ForeignKey("knowledge_items.id", ondelete="CASCADE"), primary_key=True),
)


class TrainingRecord(Base):
    """One person's training, seminar, study visit, practicum or further study, and the
    report on it.

    ``returned_on`` is the day the trainee came back; the report is due 15 days later
    (:func:`kmrepo.training.service.due_date`). ``trainee`` is an account, or for
    records imported from past years only ``trainee_name``. ``cost`` (baht) and
    ``assessment`` are personal: they never reach the published entry. Report sections
    are the keys of :data:`REPORT_SECTIONS`; ``internal_suggestions`` keeps the
    suggestions to the organisation out of the published entry. ``submitted_on`` is the
    day it was first submitted (what "on time" is judged by); ``chain_position`` the
    step of the chain it waits at (0-based)."""

    __tablename__ = "training_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    trainee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    trainee_name: Mapped[str] = mapped_column(String(200), default="")
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), index=True)
    course: Mapped[str] = mapped_column(String(500))
    kind: Mapped[str] = mapped_column(String(20), default="training")
    organiser: Mapped[str] = mapped_column(String(300), default="")
    place: Mapped[str] = mapped_column(String(300), default="")
    external: Mapped[bool] = mapped_column(Boolean, default=True)
    starts_on: Mapped[date | None] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    returned_on: Mapped[date] = mapped_column(Date, index=True)
    cost: Mapped[float | None] = mapped_column(Numeric(12, 2))
    state: Mapped[str] = mapped_column(String(20), default="draft", index=True)
    objectives: Mapped[str] = mapped_column(Text, default="")
    content: Mapped[str] = mapped_column(Text, default="")
    knowledge: Mapped[str] = mapped_column(Text, default="")
    application: Mapped[str] = mapped_column(Text, default="")
    suggestions: Mapped[str] = mapped_column(Text, default="")
    internal_suggestions: Mapped[bool] = mapped_column(Boolean, default=True)
    submitted_on: Mapped[date | None] = mapped_column(Date)
    chain_position: Mapped[int] = mapped_column(Integer, default=0)
    approved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    entry_id: Mapped[int | None] = mapped_column(ForeignKey("entries.id", ondelete="SET NULL"))
    assessment: Mapped[str] = mapped_column(Text, default="")
    followed_up_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    followed_up_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    source_path: Mapped[str] = mapped_column(String(1000), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=clock.now)

    trainee: Mapped[User | None] = relationship(foreign_keys=[trainee_id])
    unit: Mapped[Department | None] = relationship()
    entry: Mapped[Entry | None] = relationship()
    knowledge_items: Mapped[list[KnowledgeItem]] = relationship(secondary=training_knowledge_items,
                                                                order_by=KnowledgeItem.name)
    steps: Mapped[list[ApprovalStep]] = relationship(back_populates="record", cascade="all, delete-orphan",
                                                     order_by="ApprovalStep.id")

    @property
    def title(self) -> str:
        """What the audit log calls the record: its course and trainee."""
        return f"{self.course} ({self.trainee_display})"

    @property
    def trainee_display(self) -> str:
        return self.trainee.display_name if self.trainee else self.trainee_name


class ApprovalStep(Base):
    """One decision on a report: ``decision`` is ``submitted``, ``approved`` or
    ``returned`` (a comment is required then), by ``actor``; ``acting_for`` is the
    approver ``actor`` stood in for (ปฏิบัติราชการแทน), if any; ``position`` the step of
    the chain it was taken at."""

    __tablename__ = "approval_steps"

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("training_records.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    decision: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    acting_for_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    comment: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=clock.now)

    record: Mapped[TrainingRecord] = relationship(back_populates="steps")
    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id])
    acting_for: Mapped[User | None] = relationship(foreign_keys=[acting_for_id])


class ChainStep(Base):
    """One step of a unit's chain of approvers, in ``position`` order (0 first): a
    person (``approver``) or a position title (``position_title``, e.g. "ปลัดเทศบาล")
    held by whoever holds it. Kept by the admin."""

    __tablename__ = "chain_steps"
    __table_args__ = (UniqueConstraint("unit_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("departments.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    approver_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    position_title: Mapped[str] = mapped_column(String(200), default="")

    unit: Mapped[Department] = relationship()
    approver: Mapped[User | None] = relationship()


class Delegation(Base):
    """``approver`` is away from ``starts_on`` to ``ends_on`` (inclusive) and ``acting``
    signs in their place (รักษาราชการแทน / ปฏิบัติราชการแทน)."""

    __tablename__ = "delegations"

    id: Mapped[int] = mapped_column(primary_key=True)
    approver_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    acting_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)

    approver: Mapped[User] = relationship(foreign_keys=[approver_id])
    acting: Mapped[User] = relationship(foreign_keys=[acting_id])


class OfficeHoliday(Base):
    """A day the office is closed beyond Thailand's public holidays, kept by the admin."""

    __tablename__ = "office_holidays"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), default="")


class Reminder(Base):
    """A reminder sent: one row per record and ``kind`` (``7``, ``3``, ``1`` days
    before the due date, or ``overdue``). The unique key is what makes each reminder go
    out once, even when ``kmrepo remind`` runs twice or on two servers at once."""

    __tablename__ = "reminders"
    __table_args__ = (UniqueConstraint("record_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("training_records.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(10))
    sent_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=clock.now)
    emailed: Mapped[bool] = mapped_column(Boolean, default=False)
