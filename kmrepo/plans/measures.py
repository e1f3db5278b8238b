"""The measures kmrepo computes itself for a KM plan's indicators (docs/domain.md,
"Indicators"), each for one Buddhist Era fiscal year, and the guess of which measure an
indicator's words ask for.

A measure answers a number, or None when there is nothing to measure it by yet (shown
as "not measured yet", never as zero). An indicator no measure fits is entered by hand
with its evidence (``manual``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import distinct, func, select
from sqlalchemy.orm import Session

from ..accounts.models import Department, User
from ..corner import service as corner
from ..library import access, feedback
from ..library import policy as library_policy
from ..library.models import Entry
from ..thai_dates import fiscal_year_bounds, fiscal_year_span
from ..training import service as training
from ..training.models import TrainingRecord


@dataclass(frozen=True)
class Measure:
    """``key``, Thai ``label``, ``unit`` (a unit key of :mod:`kmrepo.plans.targets`) and
    ``compute(session, fiscal_year, settings)`` → a number or None."""

    key: str
    label: str
    unit: str
    compute: Callable[[Session, int, training.Settings], float | None]


def _accesses(session, fy, _settings):
    return float(access.access_stats(session, fy).total)


def _published(session, fy, _settings):
    start, end = fiscal_year_span(fy)
    return float(session.scalar(select(func.count(Entry.id)).where(
        Entry.status == library_policy.PUBLISHED, Entry.created_at >= start, Entry.created_at < end)) or 0)


def _revised(session, fy, _settings):
    return float(feedback.indicators(session, fy)["revised_entries"])


def _usable(session, fy, _settings):
    return float(feedback.indicators(session, fy)["usable_entries"])


def _manuals(session, fy, _settings):
    _start, end = fiscal_year_span(fy)
    return float(session.scalar(select(func.count(Entry.id)).where(
        Entry.status == library_policy.PUBLISHED, Entry.type == "manual", Entry.created_at < end)) or 0)


def _units_with_manual(session, fy, _settings):
    """Share of units with a manual published in the fiscal year (the Samut Songkhram
    plan: at least one manual per unit per year)."""
    start, end = fiscal_year_span(fy)
    units = session.scalar(select(func.count(Department.id))) or 0
    if not units:
        return None
    with_manual = session.scalar(select(func.count(distinct(Entry.department_id))).where(
        Entry.status == library_policy.PUBLISHED, Entry.type == "manual", Entry.department_id.is_not(None),
        Entry.created_at >= start, Entry.created_at < end)) or 0
    return round(100 * with_manual / units, 1)


def _reports_on_time(session, fy, settings):
    rate = training.kpi_data(session, fy, settings)["on_time_rate"]
    return None if rate is None else round(100 * rate, 1)


def _followups(session, fy, settings):
    data = training.kpi_data(session, fy, settings)
    return float(data["followed_up"]) if data["records"] else None


def _corner_share(session, _fy, _settings):
    share = corner.corner_kpi(session)["share"]
    return None if share is None else float(share)


def _staff_trained(session, fy, _settings):
    first, last = fiscal_year_bounds(fy)
    staff = session.scalar(select(func.count(User.id)).where(User.active.is_(True))) or 0
    if not staff:
        return None
    trained = session.scalar(select(func.count(distinct(TrainingRecord.trainee_id))).join(
        User, User.id == TrainingRecord.trainee_id).where(
        User.active.is_(True), TrainingRecord.returned_on >= first, TrainingRecord.returned_on <= last)) or 0
    return round(100 * trained / staff, 1)


#: Every measure kmrepo computes, by key.
MEASURES = {m.key: m for m in (
    Measure("accesses", "จำนวนการเข้าถึงฐานข้อมูลความรู้", "times", _accesses),
    Measure("entries_published", "จำนวนเอกสารความรู้ที่เผยแพร่ในปี", "items", _published),
    Measure("entries_revised", "จำนวนเอกสารความรู้ที่ได้รับการปรับปรุง", "items", _revised),
    Measure("usable_entries", "จำนวนความรู้ที่นำไปใช้ประโยชน์ได้", "items", _usable),
    Measure("manuals", "จำนวนคู่มือการปฏิบัติงานที่เผยแพร่", "items", _manuals),
    Measure("units_with_manual", "ร้อยละของหน่วยงานที่มีคู่มือการปฏิบัติงานใหม่ในปี", "percent", _units_with_manual),
    Measure("reports_on_time", "ร้อยละของรายงานผลการอบรมที่ส่งภายใน ๑๕ วัน", "percent", _reports_on_time),
    Measure("supervisor_followups", "จำนวนการติดตามผลหลังการอบรมโดยผู้บังคับบัญชา", "times", _followups),
    Measure("corner_share", "ร้อยละของหน่วยงานที่มีมุมความรู้", "percent", _corner_share),
    Measure("staff_trained", "ร้อยละของบุคลากรที่มีประวัติการอบรมในปี", "percent", _staff_trained),
)}
#: The measure key of an indicator entered by hand.
MANUAL = "manual"

#: Words of an indicator (or its target) → the measure they ask for, tried in order.
_GUESSES = (
    (r"การเข้าถึง", "accesses"),
    (r"มุม\s*(KM|ความรู้)", "corner_share"),
    (r"รายงานผล.*(อบรม|พัฒนา)|(อบรม|พัฒนา).*รายงานผล", "reports_on_time"),
    (r"ติดตามผล.*(อบรม|พัฒนา)", "supervisor_followups"),
    (r"ได้รับการปรับปรุง|ปรับปรุงฐานข้อมูล", "entries_revised"),
    (r"นำไปใช้(ได้|ประโยชน์)", "usable_entries"),
    (r"คู่มือ.*(ทุก|แต่ละ|ต่อ)\s*(หน่วยงาน|กอง|ส่วน)|(หน่วยงาน|กอง|ส่วน).*มีคู่มือ", "units_with_manual"),
    (r"คู่มือ", "manuals"),
    (r"ได้รับการ(อบรม|พัฒนา)", "staff_trained"),
)


def guess(indicator: str, target_text: str = "") -> str:
    """The measure key an indicator's words ask for ("จำนวนการเข้าถึงฐานข้อมูลความรู้" →
    ``accesses``), or :data:`MANUAL` when none fits."""
    text = f"{indicator} {target_text}"
    return next((key for pattern, key in _GUESSES if re.search(pattern, text)), MANUAL)


def compute(session: Session, key: str, fy: int, settings: training.Settings) -> float | None:
    """The value of measure ``key`` in fiscal year ``fy``, None when not measured yet
    (or ``key`` is no computed measure)."""
    measure = MEASURES.get(key)
    return None if measure is None else measure.compute(session, fy, settings)


def entries_by_unit(session: Session, fy: int) -> dict[str, int]:
    """Published entries at the end of fiscal year ``fy`` per unit name ("" for none):
    the "entries per unit" chart."""
    _start, end = fiscal_year_span(fy)
    rows = session.execute(select(Department.name, func.count(Entry.id)).select_from(Entry)
                           .outerjoin(Department, Department.id == Entry.department_id)
                           .where(Entry.status == library_policy.PUBLISHED, Entry.created_at < end)
                           .group_by(Department.name)).all()
    return {name or "": n for name, n in sorted(rows, key=lambda r: (-r[1], r[0] or ""))}
