"""The KM plan (แผนการจัดการความรู้, KM Action Plan) of each fiscal year: plans, their
activity rows (KMP steps and CMP elements), targets parsed into data, and evidence.

docs/domain.md, "The KM plan": per Buddhist Era fiscal year (October–September) an
organisation files one or more plans, each for a knowledge item, with a strategic issue,
an owner unit and a reason; each plan has activity rows for the seven KMP steps (and a
recognition row) and the six CMP elements, each with method, period, indicator, target,
target group, owner and the document that evidences it.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .. import clock
from ..accounts.models import Department, User
from ..base import Base
from ..library.models import KnowledgeItem, StoredFile

#: Plan statuses: the KM team drafts, the CKO approves (audited).
PLAN_STATUSES = {"draft": "ฉบับร่าง", "approved": "อนุมัติแล้ว"}
#: Activity kinds: KMP steps (กระบวนการจัดการความรู้) and CMP elements (กระบวนการบริหารการเปลี่ยนแปลง).
ACTIVITY_KINDS = {"kmp": "กระบวนการจัดการความรู้ (KMP)", "cmp": "กระบวนการบริหารการเปลี่ยนแปลง (CMP)"}
#: KMP steps 1–7 (docs/domain.md, "KMP and CMP").
KMP_STEPS = {1: "การบ่งชี้ความรู้", 2: "การสร้างและแสวงหาความรู้", 3: "การจัดการความรู้ให้เป็นระบบ",
             4: "การประมวลและกลั่นกรองความรู้", 5: "การเข้าถึงความรู้", 6: "การแบ่งปันแลกเปลี่ยนความรู้",
             7: "การเรียนรู้"}
#: CMP elements 1–6.
CMP_ELEMENTS = {1: "การเตรียมการและปรับเปลี่ยนพฤติกรรม", 2: "การสื่อสาร", 3: "กระบวนการและเครื่องมือ",
                4: "การฝึกอบรมและการเรียนรู้", 5: "การวัดผล", 6: "การยกย่องชมเชยและให้รางวัล"}
#: Activity statuses.
ACTIVITY_STATUSES = {"not_started": "ยังไม่เริ่ม", "in_progress": "กำลังดำเนินการ", "done": "ดำเนินการแล้ว"}


class KmPlan(Base):
    """One KM plan of fiscal year ``fiscal_year`` (Buddhist Era) for one knowledge item.

    ``knowledge_item_name`` and ``owner_name`` keep the plan's own words; ``knowledge_item``
    and ``owner`` link them to the library's item and unit when known. ``problems`` keeps,
    as text, rows an import could not read (with their line numbers): nothing is lost.
    """

    __tablename__ = "km_plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    fiscal_year: Mapped[int] = mapped_column(Integer, index=True)
    title: Mapped[str] = mapped_column(String(500))
    knowledge_item_name: Mapped[str] = mapped_column(String(300), default="")
    knowledge_item_id: Mapped[int | None] = mapped_column(ForeignKey("knowledge_items.id", ondelete="SET NULL"))
    owner_name: Mapped[str] = mapped_column(String(200), default="")
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id", ondelete="SET NULL"))
    strategic_issue: Mapped[str] = mapped_column(Text, default="")
    reason: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default="draft")
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    approved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    source_path: Mapped[str] = mapped_column(String(1000), default="")
    problems: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=clock.now)

    knowledge_item: Mapped[KnowledgeItem | None] = relationship()
    owner: Mapped[Department | None] = relationship()
    approved_by: Mapped[User | None] = relationship()
    activities: Mapped[list[PlanActivity]] = relationship(
        back_populates="plan", cascade="all, delete-orphan", order_by="PlanActivity.position")


class PlanActivity(Base):
    """One activity row of a plan: ``kind`` (a key of :data:`ACTIVITY_KINDS`), ``number``
    as the plan numbers it, ``step`` the KMP step or CMP element it serves (None: a row
    such as recognition that names none).

    Period: ``period_text`` as written, ``period_start``/``period_end`` the first and
    last day it means (``period_end`` None: "onwards", to the end of the fiscal year).

    Target: ``target_text`` as written, and parsed (:func:`kmrepo.plans.targets.parse_target`)
    into ``target_comparator`` (``>=``, ``<=`` or ``=``), ``target_value`` and
    ``target_unit``; ``target_value`` None when the text could not be read, for a person
    to set. ``measure`` is the key of the measure kmrepo computes for the indicator
    (:data:`kmrepo.plans.measures.MEASURES`), ``manual`` when entered by hand as
    ``manual_actual`` with ``manual_evidence``, or "" when not chosen.
    """

    __tablename__ = "km_plan_activities"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("km_plans.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    kind: Mapped[str] = mapped_column(String(10), default="kmp")
    number: Mapped[str] = mapped_column(String(10), default="")
    step: Mapped[int | None] = mapped_column(Integer)
    activity: Mapped[str] = mapped_column(Text, default="")
    method: Mapped[str] = mapped_column(Text, default="")
    period_text: Mapped[str] = mapped_column(String(300), default="")
    period_start: Mapped[date | None] = mapped_column(Date)
    period_end: Mapped[date | None] = mapped_column(Date)
    indicator: Mapped[str] = mapped_column(Text, default="")
    target_text: Mapped[str] = mapped_column(Text, default="")
    target_comparator: Mapped[str] = mapped_column(String(2), default="")
    target_value: Mapped[float | None] = mapped_column(Float)
    target_unit: Mapped[str] = mapped_column(String(50), default="")
    target_group: Mapped[str] = mapped_column(Text, default="")
    owner: Mapped[str] = mapped_column(Text, default="")
    evidence: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default="not_started")
    measure: Mapped[str] = mapped_column(String(40), default="")
    manual_actual: Mapped[float | None] = mapped_column(Float)
    manual_evidence: Mapped[str] = mapped_column(Text, default="")

    plan: Mapped[KmPlan] = relationship(back_populates="activities")
    files: Mapped[list[EvidenceFile]] = relationship(
        back_populates="activity", cascade="all, delete-orphan", order_by="EvidenceFile.id")

    @property
    def kind_label(self) -> str:
        """"KMP ๕" / "CMP ๒" style label (Arabic digits), or the kind alone."""
        return f"{self.kind.upper()} {self.step}" if self.step else self.kind.upper()


class EvidenceFile(StoredFile, Base):
    """A file evidencing an activity (a meeting report, a photo, an order), stored as
    attachments are (:class:`~kmrepo.library.models.StoredFile`)."""

    __tablename__ = "km_plan_evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("km_plan_activities.id", ondelete="CASCADE"), index=True)

    activity: Mapped[PlanActivity] = relationship(back_populates="files")
