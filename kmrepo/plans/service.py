"""The KM plan of each fiscal year: plans and their activity rows kept by the KM team
and approved by the CKO, imported from the plan documents, and their indicators with
the actuals kmrepo measures itself (docs/domain.md, "The KM plan", "Indicators").

Plain functions: a session and the acting user in, data out; no Flask.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from .. import clock
from ..accounts import audit
from ..accounts.models import Department
from ..errors import BadInput, NotFound, Refused
from ..library import access, uploads
from ..library.models import KnowledgeItem
from ..library.policy import visibilities
from ..thai_dates import (
    BE_OFFSET,
    MONTHS,
    fiscal_year_bounds,
    format_thai_date,
    parse_fiscal_year,
)
from ..training import service as training
from . import policy
from .importer import parse_plan, step_named
from .measures import MANUAL, MEASURES, compute, entries_by_unit, guess
from .models import ACTIVITY_KINDS, ACTIVITY_STATUSES, PLAN_STATUSES, EvidenceFile, KmPlan, PlanActivity
from .targets import Target, parse_period, parse_target


def stats_data(session: Session, user, year: str | None = None,
               training_settings: training.Settings | None = None) -> dict:
    """Access statistics for fiscal year ``year`` (BE, as typed, Thai digits too;
    default: the current one): ``fiscal_year``, ``starts``/``ends`` (ISO dates),
    ``total``, ``by_year``, ``by_month`` and ``by_entry`` (entries ``user`` may read),
    ``targets``, and ``training_reports`` (the post-training report indicators of the
    year, by unit: :func:`kmrepo.training.service.kpi_data`). :class:`~kmrepo.errors.BadInput` for a year that is not a Buddhist
    Era year from 2400 to 2700."""
    fy = parse_fiscal_year(year, clock.today())
    stats = access.access_stats(session, fy, visibilities(user))
    starts, ends = fiscal_year_bounds(fy)
    return {
        "fiscal_year": fy,
        "starts": starts.isoformat(),
        "ends": ends.isoformat(),
        "total": stats.total,
        "rule_since": access.RULE_SINCE.isoformat(),
        "by_year": [{"fiscal_year": y, "accesses": n} for y, n in stats.by_year],
        "by_month": [{"year": y, "month": m, "accesses": n} for y, m, n in stats.by_month],
        "by_entry": [{"slug": s, "title": t, "accesses": n} for s, t, n in stats.by_entry],
        "targets": access_targets(session, fy, stats.total),
        "training_reports": training.kpi_data(session, fy, training_settings or training.Settings()),
    }


# -- plans ------------------------------------------------------------------------------------


def _plans_of(session: Session, fy: int, unit_id: int | None = None, item_id: int | None = None) -> list[KmPlan]:
    q = select(KmPlan).where(KmPlan.fiscal_year == fy).options(selectinload(KmPlan.activities))
    if unit_id is not None:
        q = q.where(KmPlan.owner_id == unit_id)
    if item_id is not None:
        q = q.where(KmPlan.knowledge_item_id == item_id)
    return list(session.scalars(q.order_by(KmPlan.id)))


def access_targets(session: Session, fy: int, total: int) -> list[dict]:
    """The access targets this organisation's own plans of fiscal year ``fy`` set
    (activities measured by ``accesses``): ``[{"target", "target_text", "plan", "met"}]``."""
    return [{"target": a.target_value, "target_text": a.target_text, "plan": plan.title,
             "met": Target(a.target_comparator, a.target_value, a.target_unit, "").met_by(total)}
            for plan in _plans_of(session, fy) for a in plan.activities
            if a.measure == "accesses" and a.target_value is not None]


def _plan_row(plan: KmPlan, user) -> dict:
    return {
        "id": plan.id, "fiscal_year": plan.fiscal_year, "title": plan.title,
        "knowledge_item": plan.knowledge_item_name, "knowledge_item_id": plan.knowledge_item_id,
        "owner": plan.owner_name, "owner_id": plan.owner_id, "strategic_issue": plan.strategic_issue,
        "reason": plan.reason, "status": plan.status, "status_label": PLAN_STATUSES.get(plan.status, plan.status),
        "approved_by": plan.approved_by.display_name if plan.approved_by else "",
        "approved_at": plan.approved_at.isoformat() if plan.approved_at else None,
        "problems": plan.problems, "kmp": sum(1 for a in plan.activities if a.kind == "kmp"),
        "cmp": sum(1 for a in plan.activities if a.kind == "cmp"),
        "can_edit": policy.can_keep_plans(user), "can_approve": policy.can_approve_plan(user, plan),
    }


def _activity_row(a: PlanActivity) -> dict:
    return {
        "id": a.id, "kind": a.kind, "kind_label": a.kind_label, "number": a.number, "step": a.step,
        "activity": a.activity, "method": a.method, "period_text": a.period_text,
        "period_start": a.period_start.isoformat() if a.period_start else None,
        "period_end": a.period_end.isoformat() if a.period_end else None,
        "indicator": a.indicator, "target_text": a.target_text, "target": a.target_value,
        "comparator": a.target_comparator, "unit": a.target_unit,
        "target_needs_review": a.target_value is None and bool(a.target_text),
        "target_group": a.target_group, "owner": a.owner, "evidence": a.evidence, "status": a.status,
        "status_label": ACTIVITY_STATUSES.get(a.status, a.status), "measure": a.measure,
        "manual_actual": a.manual_actual, "manual_evidence": a.manual_evidence,
        "files": [{"id": f.id, "filename": f.filename, "size": f.size, "content_type": f.content_type}
                  for f in a.files],
    }


def plans_data(session: Session, user, year: str | None) -> dict:
    """The plans of a fiscal year (``year`` as typed; default the current one):
    ``{"fiscal_year", "years": [...], "plans": [plan fields, "kmp", "cmp" counts]}``."""
    if not policy.can_view_kpi(user):
        raise Refused("KM plans are for the KM team and the CKO")
    fy = parse_fiscal_year(year, clock.today())
    years = sorted({fy, *session.scalars(select(KmPlan.fiscal_year).distinct())}, reverse=True)
    return {"fiscal_year": fy, "years": years, "can_edit": policy.can_keep_plans(user),
            "plans": [_plan_row(p, user) for p in _plans_of(session, fy)]}


def _plan(session: Session, plan_id: int) -> KmPlan:
    plan = session.get(KmPlan, plan_id)
    if plan is None:
        raise NotFound(f"no KM plan {plan_id}", "ไม่พบแผนการจัดการความรู้นี้")
    return plan


def plan_data(session: Session, user, plan_id: int) -> dict:
    """One plan with its ``activities`` in order (the fields of each row, its target
    parsed, and its measure)."""
    if not policy.can_view_kpi(user):
        raise Refused("KM plans are for the KM team and the CKO")
    plan = _plan(session, plan_id)
    return {**_plan_row(plan, user), "activities": [_activity_row(a) for a in plan.activities]}


@dataclass
class PlanFields:
    """What the plan form edits: ``knowledge_item_id``/``owner_id`` 0 for none."""

    fiscal_year: int
    title: str
    knowledge_item_id: int = 0
    owner_id: int = 0
    strategic_issue: str = ""
    reason: str = ""


def save_plan(session: Session, user, plan_id: int | None, fields: PlanFields) -> int:
    """Create (``plan_id`` None) or edit a plan's header; an approved plan that changes
    goes back to draft for the CKO to approve again. Commits and audits (plan_saved).
    Refused unless :func:`~kmrepo.plans.policy.can_keep_plans`; BadInput for an empty title."""
    if not policy.can_keep_plans(user):
        raise Refused(f"{getattr(user, 'username', 'anonymous')} may not keep KM plans")
    title = " ".join((fields.title or "").split())
    if not title or len(title) > 500:
        raise BadInput("a plan needs a title of at most 500 characters", "กรุณาระบุชื่อแผน (ไม่เกิน ๕๐๐ ตัวอักษร)")
    plan = KmPlan(created_at=clock.now(), status="draft") if plan_id is None else _plan(session, plan_id)
    item = session.get(KnowledgeItem, fields.knowledge_item_id) if fields.knowledge_item_id else None
    unit = session.get(Department, fields.owner_id) if fields.owner_id else None
    plan.fiscal_year, plan.title = fields.fiscal_year, title
    plan.knowledge_item, plan.knowledge_item_name = item, item.name if item else plan.knowledge_item_name
    plan.owner, plan.owner_name = unit, unit.name if unit else plan.owner_name
    plan.strategic_issue, plan.reason = (fields.strategic_issue or "").strip(), (fields.reason or "").strip()
    _changed(plan)
    session.add(plan)
    session.flush()
    audit.record(session, "plan_saved", user, detail=f"{plan.id}: {title}")
    session.commit()
    return plan.id


def _changed(plan: KmPlan) -> None:
    plan.updated_at = clock.now()
    if plan.status == "approved":
        plan.status, plan.approved_by, plan.approved_at = "draft", None, None


@dataclass
class ActivityFields:
    """What the activity form edits; the target and period are read from their text."""

    kind: str
    number: str
    activity: str
    period_text: str = ""
    method: str = ""
    indicator: str = ""
    target_text: str = ""
    target_group: str = ""
    owner: str = ""
    evidence: str = ""
    status: str = "not_started"
    measure: str = ""
    manual_actual: float | None = None
    manual_evidence: str = ""


def save_activity(session: Session, user, plan_id: int, activity_id: int | None, fields: ActivityFields) -> int:
    """Add (``activity_id`` None) or edit an activity row of plan ``plan_id``: its target
    and period are parsed from the text (:mod:`kmrepo.plans.targets`); an empty measure
    is guessed from the indicator (:func:`kmrepo.plans.measures.guess`). Commits and
    audits (activity_saved). BadInput for an unknown kind, status or measure or an
    empty activity."""
    if not policy.can_keep_plans(user):
        raise Refused(f"{getattr(user, 'username', 'anonymous')} may not keep KM plans")
    plan = _plan(session, plan_id)
    if fields.kind not in ACTIVITY_KINDS or fields.status not in ACTIVITY_STATUSES:
        raise BadInput("unknown kind or status", "ประเภทหรือสถานะของกิจกรรมไม่ถูกต้อง")
    if fields.measure and fields.measure not in MEASURES and fields.measure != MANUAL:
        raise BadInput(f"unknown measure {fields.measure!r}", "ไม่รู้จักวิธีวัดผลนี้")
    if not (fields.activity or "").strip():
        raise BadInput("an activity needs its text", "กรุณาระบุกิจกรรม")
    if activity_id is None:
        row = PlanActivity(position=len(plan.activities) + 1)
        plan.activities.append(row)
    else:
        row = next((a for a in plan.activities if a.id == activity_id), None)
        if row is None:
            raise NotFound(f"plan {plan_id} has no activity {activity_id}", "ไม่พบกิจกรรมนี้")
    _fill(row, fields, plan.fiscal_year)
    _changed(plan)
    session.flush()
    audit.record(session, "activity_saved", user, detail=f"plan {plan.id}, {row.kind_label}: {row.activity[:200]}")
    session.commit()
    return row.id


def _fill(row: PlanActivity, f: ActivityFields, fy: int | None) -> None:
    row.kind, row.number = f.kind, (f.number or "").strip()[:10]
    step = step_named(f.activity)
    row.step = step[1] if step else (row.step if row.id else None)
    row.activity, row.method = f.activity.strip(), (f.method or "").strip()
    row.period_text = (f.period_text or "").strip()[:300]
    period = parse_period(row.period_text, fy)
    row.period_start, row.period_end = period.start, period.end
    row.indicator, row.target_text = (f.indicator or "").strip(), (f.target_text or "").strip()
    target = parse_target(row.target_text)
    row.target_comparator, row.target_value, row.target_unit = target.comparator, target.value, target.unit
    row.target_group, row.owner, row.evidence = (f.target_group or "").strip(), (f.owner or "").strip(), (
        f.evidence or "").strip()
    row.status = f.status
    row.measure = f.measure or guess(row.indicator, row.target_text)
    row.manual_actual, row.manual_evidence = f.manual_actual, (f.manual_evidence or "").strip()


def approve_plan(session: Session, user, plan_id: int) -> None:
    """The CKO approves a plan (:func:`~kmrepo.plans.policy.can_approve_plan`); commits
    and audits (plan_approved)."""
    plan = _plan(session, plan_id)
    if not policy.can_approve_plan(user, plan):
        raise Refused("only the CKO approves a KM plan, once, while it has activities",
                      "ผู้บริหารสูงสุดด้านการจัดการความรู้ (CKO) เท่านั้นที่อนุมัติแผนได้ และแผนต้องมีกิจกรรม")
    plan.status, plan.approved_by, plan.approved_at = "approved", user, clock.now()
    audit.record(session, "plan_approved", user, detail=f"{plan.id}: {plan.title}")
    session.commit()


@dataclass
class ImportReport:
    """What :func:`import_plan` did: the plan's ``plan_id``, whether ``created``, its
    ``title`` and ``fiscal_year``, how many ``kmp`` and ``cmp`` rows, how many
    ``targets_parsed``, and ``problems`` as ``(line, text, reason)``."""

    plan_id: int
    created: bool
    title: str
    fiscal_year: int
    kmp: int
    cmp: int
    targets_parsed: int
    problems: list[tuple[int, str, str]]


def import_plan(session: Session, text: str, source_path: str, fiscal_year: int | None = None,
                user=None) -> ImportReport:
    """Read a plan document (:func:`kmrepo.plans.importer.parse_plan`) into a plan with
    its activities, periods, targets and guessed measures; commits and audits
    (plan_imported). Importing the same file again updates the plan in place: its rows
    are read again, each keeping the status, measure and hand-entered actual the site
    gave it (matched by kind and number). Rows that cannot be read are kept as text in
    the plan's ``problems``. BadInput when the document has no activity rows or no
    fiscal year (and none is given)."""
    parsed = parse_plan(text)
    if not parsed.activities:
        raise BadInput("no activity rows found: a plan's table needs a header row naming its columns "
                       "(ที่, กิจกรรม, ระยะเวลา, ตัวชี้วัด, เป้าหมาย …) with tab-separated rows under it",
                       "ไม่พบตารางกิจกรรมของแผน")
    fy = fiscal_year or parsed.fiscal_year
    if fy is None:
        raise BadInput("the plan names no fiscal year: give one (--fiscal-year 2570)", "ไม่พบปีงบประมาณของแผน")
    plan = session.scalar(select(KmPlan).where(KmPlan.source_path == source_path)) if source_path else None
    created = plan is None
    if plan is None:
        plan = KmPlan(created_at=clock.now(), status="draft", source_path=source_path)
        session.add(plan)
    kept = {(a.kind, a.number): a for a in plan.activities}
    plan.fiscal_year, plan.title = fy, parsed.title[:500] or os.path.basename(source_path)
    plan.knowledge_item_name, plan.owner_name = parsed.knowledge_item[:300], parsed.owner[:200]
    plan.knowledge_item = session.scalar(select(KnowledgeItem).where(KnowledgeItem.name == parsed.knowledge_item)) \
        if parsed.knowledge_item else None
    plan.owner = session.scalar(select(Department).where(Department.name == parsed.owner)) if parsed.owner else None
    plan.strategic_issue, plan.reason = parsed.strategic_issue, parsed.reason
    plan.problems = "\n".join(f"บรรทัด {line}: {row} ({why})" for line, row, why in parsed.problems)
    rows = []
    for position, a in enumerate(parsed.activities, 1):
        old = kept.pop((a.kind, a.number), None)
        row = old or PlanActivity()
        row.position = position
        _fill(row, ActivityFields(
            kind=a.kind, number=a.number, activity=a.activity, period_text=a.period_text, method=a.method,
            indicator=a.indicator, target_text=a.target_text, target_group=a.target_group, owner=a.owner,
            evidence=a.evidence, status=old.status if old else "not_started", measure=old.measure if old else "",
            manual_actual=old.manual_actual if old else None, manual_evidence=old.manual_evidence if old else ""), fy)
        row.step = a.step
        rows.append(row)
    # A row the document no longer has goes, unless the site gave it evidence files.
    rows += [old for old in kept.values() if old.files]
    plan.activities = rows
    _changed(plan)
    session.flush()
    audit.record(session, "plan_imported", user, username="" if user else "(command line)",
                 detail=f"{plan.id}: {os.path.basename(source_path)}")
    session.commit()
    return ImportReport(plan.id, created, plan.title, fy, parsed.count("kmp"), parsed.count("cmp"),
                        sum(1 for a in parsed.activities if a.target.parsed), parsed.problems)


# -- evidence files ---------------------------------------------------------------------------


def add_evidence(session: Session, user, activity_id: int, filename: str | None, data: bytes, folder: str,
                 max_bytes: int) -> EvidenceFile:
    """Attach a file evidencing activity ``activity_id`` (checked as uploads are:
    :func:`kmrepo.library.uploads.check`, raising UploadRefused); commits and audits
    (evidence_added). Nothing is written when the check fails."""
    if not policy.can_keep_plans(user):
        raise Refused(f"{getattr(user, 'username', 'anonymous')} may not keep KM plans")
    activity = session.get(PlanActivity, activity_id)
    if activity is None:
        raise NotFound(f"no activity {activity_id}", "ไม่พบกิจกรรมนี้")
    checked = uploads.check(filename, data, max_bytes)
    with uploads.stored_unless_failed(folder, data) as stored:
        try:
            row = EvidenceFile(activity=activity, stored_name=stored, filename=checked.filename,
                               content_type=checked.content_type, size=checked.size, sha256=checked.sha256,
                               uploaded_by_id=user.id, created_at=clock.now())
            session.add(row)
            session.flush()
            audit.record(session, "evidence_added", user, detail=f"plan {activity.plan_id}: {checked.filename}")
            session.commit()
        except Exception:
            session.rollback()
            raise
    return row


def evidence_for(session: Session, user, file_id: int, filename: str) -> EvidenceFile:
    """The evidence file ``file_id`` named ``filename`` for one who may see the plan."""
    row = session.get(EvidenceFile, file_id)
    if row is None or row.filename != filename or not policy.can_view_kpi(user):
        raise NotFound(f"no evidence file {file_id}/{filename}")
    return row


def remove_evidence(session: Session, user, file_id: int, folder: str) -> int:
    """Remove an evidence file (the KM team); commits, audits, deletes the stored file;
    returns the plan's id."""
    if not policy.can_keep_plans(user):
        raise Refused(f"{getattr(user, 'username', 'anonymous')} may not keep KM plans")
    row = session.get(EvidenceFile, file_id)
    if row is None:
        raise NotFound(f"no evidence file {file_id}", "ไม่พบไฟล์หลักฐานนี้")
    plan_id, stored, name = row.activity.plan_id, row.stored_name, row.filename
    session.delete(row)
    audit.record(session, "evidence_removed", user, detail=f"plan {plan_id}: {name}")
    session.commit()
    uploads.discard(folder, stored)
    return plan_id


# -- indicators -------------------------------------------------------------------------------


def kpi_data(session: Session, user, year: str | None, settings: training.Settings,
             unit_id: int | None = None, item_id: int | None = None) -> dict:
    """Every indicator of the fiscal year's plans (those of unit ``unit_id`` or knowledge
    item ``item_id`` only, when given), each with its target and actual:
    ``{"fiscal_year", "plans": [{"id", "title", "status", "indicators": [{"id",
    "activity", "kind_label", "indicator", "target_text", "target", "comparator",
    "unit", "measure", "measure_label", "measured", "actual", "met", "evidence",
    "status"}]}], "summary": {"indicators", "measured", "met"}, "charts": {...}}``.
    ``actual`` is None and ``measured`` False where nothing measures it yet ("not
    measured yet", never zero); ``met`` None where either side is unknown."""
    if not policy.can_view_kpi(user):
        raise Refused("the KM plan's indicators are for the KM team and the CKO")
    fy = parse_fiscal_year(year, clock.today())
    cache: dict[str, float | None] = {}

    def actual_of(a: PlanActivity) -> float | None:
        if a.measure == MANUAL or a.measure not in MEASURES:
            return a.manual_actual
        if a.measure not in cache:
            cache[a.measure] = compute(session, a.measure, fy, settings)
        return cache[a.measure]

    plans = []
    for plan in _plans_of(session, fy, unit_id, item_id):
        rows = []
        for a in plan.activities:
            actual = actual_of(a)
            target = Target(a.target_comparator, a.target_value, a.target_unit, "")
            rows.append({
                "id": a.id, "plan_id": plan.id, "activity": a.activity, "kind_label": a.kind_label,
                "indicator": a.indicator, "target_text": a.target_text, "target": a.target_value,
                "comparator": a.target_comparator, "unit": a.target_unit, "measure": a.measure,
                "measure_label": MEASURES[a.measure].label if a.measure in MEASURES else "กรอกผลเอง",
                "measured": actual is not None, "actual": actual, "met": target.met_by(actual),
                "evidence": a.manual_evidence if a.measure == MANUAL else a.evidence, "status": a.status,
                "files": [f.filename for f in a.files],
                "status_label": ACTIVITY_STATUSES.get(a.status, a.status),
            })
        plans.append({"id": plan.id, "title": plan.title, "status": plan.status,
                      "status_label": PLAN_STATUSES.get(plan.status, plan.status), "owner": plan.owner_name,
                      "knowledge_item": plan.knowledge_item_name, "indicators": rows})
    indicators = [r for p in plans for r in p["indicators"]]
    reports = training.kpi_data(session, fy, settings)
    return {
        "fiscal_year": fy, "unit_id": unit_id, "item_id": item_id, "plans": plans,
        "summary": {"indicators": len(indicators), "measured": sum(r["measured"] for r in indicators),
                    "met": sum(r["met"] is True for r in indicators)},
        "charts": {"accesses": accesses_data(session, fy, unit_id, item_id),
                   "entries_by_unit": entries_by_unit(session, fy),
                   "reports": {"on_time": reports["submitted_on_time"], "late": reports["submitted_late"],
                               "overdue": reports["overdue"], "pending": reports["pending"]}},
        "units": [{"id": d.id, "name": d.name} for d in session.scalars(select(Department).order_by(Department.name))],
        "knowledge_items": [{"id": k.id, "name": k.name} for k in session.scalars(
            select(KnowledgeItem).where(KnowledgeItem.retired.is_(False)).order_by(KnowledgeItem.name))],
    }


def accesses_data(session: Session, fy: int, unit_id: int | None = None, item_id: int | None = None) -> dict:
    """Accesses of fiscal year ``fy`` (those of one unit's or knowledge item's entries
    when given): ``{"fiscal_year", "total", "by_month": {"2026-10": n, …} (every month
    of the year, October first), "by_unit": {name: n}, "by_knowledge_item": {name: n}}``
    (an entry with two knowledge items counts for each)."""
    return {"fiscal_year": fy, **access.access_breakdown(session, fy, unit_id, item_id)}


def kpi_xlsx(data: dict) -> bytes:
    """:func:`kpi_data` as an Excel workbook (openpyxl): a summary sheet, then one sheet
    per plan with its indicators, targets, actuals and evidence; Thai text and Thai
    dates; a figure not measured yet is written "ยังไม่ได้วัด", never 0."""
    import io

    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    book = Workbook()
    summary = book.active
    summary.title = "สรุป"
    summary.append([f"ผลการดำเนินงานตามแผนการจัดการความรู้ ปีงบประมาณ พ.ศ. {data['fiscal_year']}"])
    summary["A1"].font = Font(bold=True, size=14)
    summary.append([f"จัดทำเมื่อ {format_thai_date(clock.now(), with_time=True)}"])
    summary.append([])
    summary.append(["แผน", "สถานะ", "ตัวชี้วัด", "วัดผลแล้ว", "ผ่านเป้าหมาย"])
    for plan in data["plans"]:
        rows = plan["indicators"]
        summary.append([plan["title"], plan["status_label"], len(rows), sum(r["measured"] for r in rows),
                        sum(r["met"] is True for r in rows)])
    summary.append([])
    summary.append(["การเข้าถึงฐานข้อมูลความรู้ รายเดือน"])
    for month, n in data["charts"]["accesses"]["by_month"].items():
        year, m = month.split("-")
        summary.append([f"{MONTHS[int(m) - 1]} {int(year) + BE_OFFSET}", n])
    summary.column_dimensions["A"].width = 60
    used: set[str] = {"สรุป"}
    for i, plan in enumerate(data["plans"], 1):
        name = _sheet_name(f"แผนที่ {i} {plan['knowledge_item'] or plan['title']}", used)
        sheet = book.create_sheet(name)
        sheet.append([plan["title"]])
        sheet["A1"].font = Font(bold=True, size=13)
        sheet.append([f"องค์ความรู้: {plan['knowledge_item']}", f"เจ้าภาพ: {plan['owner']}", plan["status_label"]])
        sheet.append([])
        sheet.append(["กิจกรรม", "ขั้นตอน", "ตัวชี้วัด", "เป้าหมาย (ตามแผน)", "เป้าหมาย (ตัวเลข)", "ผลที่ได้",
                      "ผล", "วัดผลโดย", "สถานะ", "หลักฐาน"])
        for cell in sheet[4]:
            cell.font = Font(bold=True)
        for r in plan["indicators"]:
            sheet.append([r["activity"], r["kind_label"], r["indicator"], r["target_text"],
                          "" if r["target"] is None else f"{_comparator_text(r['comparator'])}{r['target']:g}",
                          "ยังไม่ได้วัด" if r["actual"] is None else r["actual"],
                          {True: "ผ่าน", False: "ยังไม่ผ่าน", None: "—"}[r["met"]], r["measure_label"],
                          r["status_label"], "\n".join([r["evidence"], *(f"ไฟล์: {f}" for f in r["files"])]).strip()])
        for col, width in zip("ABCDEFGHIJ", (50, 10, 40, 30, 12, 12, 12, 30, 16, 40), strict=True):
            sheet.column_dimensions[col].width = width
        for row in sheet.iter_rows(min_row=5):
            for cell in row:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _comparator_text(comparator: str) -> str:
    return {">=": "≥ ", "<=": "≤ "}.get(comparator, "")


def _sheet_name(name: str, used: set[str]) -> str:
    """An Excel sheet name: at most 31 characters, none of []:*?/\\, unique."""
    base = re.sub(r"[\[\]:*?/\\]", " ", name)[:31].strip() or "แผน"
    candidate, n = base, 2
    while candidate in used:
        candidate = f"{base[:28]} {n}"
        n += 1
    used.add(candidate)
    return candidate
