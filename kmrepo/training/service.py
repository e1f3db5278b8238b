"""Post-training reports: records, the 15-day rule, the chain of approvers, publication,
reminders, follow-up and the KPI (docs/domain.md, "Post-training reports").

Plain functions: a session and the acting user in, data out; no Flask. Refusals raise
:class:`~kmrepo.errors.Refused`, bad input :class:`~kmrepo.errors.BadInput` (English and
Thai), unknown records :class:`~kmrepo.errors.NotFound`. Writing functions audit-free
(every decision is kept in :class:`~kmrepo.training.models.ApprovalStep`) and commit.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

import holidays
from sqlalchemy import select
from sqlalchemy.orm import Session

from indexer.normalize import fold_digits

from .. import clock
from ..accounts import audit
from ..accounts.models import Department, User
from ..accounts.notifications import notify
from ..base import named
from ..errors import BadInput, NotFound, Refused
from ..library import policy as library_policy
from ..library.models import Entry, KnowledgeItem
from ..library.service import new_slug, store_attachment
from ..thai_dates import fiscal_year, fiscal_year_bounds, format_thai_date, parse_date
from . import policy
from .models import (
    REPORT_SECTIONS,
    REPORT_STATES,
    TRAINING_KINDS,
    ApprovalStep,
    ChainStep,
    Delegation,
    OfficeHoliday,
    Reminder,
    TrainingRecord,
)

#: The report is due this many days after the day of return, that day not counted
#: (banmai-municipality.txt §16: "ภายใน ๑๕ วัน นับแต่วันกลับจากการอบรม"; ป.พ.พ. มาตรา ๑๙๓/๓).
REPORT_DAYS = 15
#: Reminders go out this many days before the due date, and once when overdue.
REMINDER_DAYS = (7, 3, 1)


# -- dates ---------------------------------------------------------------------------------


@lru_cache(maxsize=64)
def _thai_public_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.Thailand(years=year, categories=("public",)))


def is_working_day(day: date, office_days: Iterable[date] = ()) -> bool:
    """Not a Saturday, Sunday, Thai public holiday (the ``holidays`` package) or one of
    the office's own days."""
    return day.weekday() < 5 and day not in _thai_public_holidays(day.year) and day not in set(office_days)


def due_date(returned_on: date, move_off_holidays: bool = False, office_days: Iterable[date] = ()) -> date:
    """The last day a report on time may be filed: ``returned_on`` + :data:`REPORT_DAYS`,
    the day of return not counted (ป.พ.พ. มาตรา ๑๙๓/๓; for officials, พ.ร.บ.วิธีปฏิบัติ
    ราชการทางปกครอง มาตรา ๖๔): back on 1 March, due on 16 March. With
    ``move_off_holidays`` (the office's setting, off by default), a due date on a
    weekend or public holiday moves to the next working day (มาตรา ๑๙๓/๘).

    >>> due_date(date(2027, 3, 1))
    datetime.date(2027, 3, 16)
    """
    due = returned_on + timedelta(days=REPORT_DAYS)
    if move_off_holidays:
        days = frozenset(office_days)
        while not is_working_day(due, days):
            due += timedelta(days=1)
    return due


@dataclass(frozen=True)
class Deadline:
    """Where a record stands against its due date: ``code`` is ``due`` (not submitted,
    ``days_left`` ≥ 0), ``overdue``, ``on_time`` or ``late``; ``label`` in Thai."""

    due_on: date
    code: str
    label: str
    days_left: int


def deadline(record: TrainingRecord, today: date, due_on: date) -> Deadline:
    """:class:`Deadline` of ``record`` on ``today``; a report on the due date is on time."""
    if record.submitted_on is not None:
        if record.submitted_on <= due_on:
            return Deadline(due_on, "on_time", "ส่งทันเวลา", 0)
        late = (record.submitted_on - due_on).days
        return Deadline(due_on, "late", f"ส่งช้า {late} วัน", -late)
    left = (due_on - today).days
    if left < 0:
        return Deadline(due_on, "overdue", f"เกินกำหนด {-left} วัน", left)
    if left == 0:
        return Deadline(due_on, "due", "ครบกำหนดวันนี้", 0)
    return Deadline(due_on, "due", f"ครบกำหนดในอีก {left} วัน", left)


# -- reading ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Settings:
    """The office's choices: ``move_off_holidays`` (มาตรา ๑๙๓/๘ for internal reports;
    off by default), how many days after approval a follow-up is expected, and the
    headings of the report form's sections (its own template: every key of
    :data:`~kmrepo.training.models.REPORT_SECTIONS`, renamed as the office's form names
    them)."""

    move_off_holidays: bool = False
    follow_up_days: int = 90
    headings: tuple[tuple[str, str], ...] = tuple(REPORT_SECTIONS.items())


def settings_from(config) -> Settings:
    """The office's :class:`Settings` from an app's configuration mapping
    (``TRAINING_DUE_OFF_HOLIDAYS``, ``TRAINING_FOLLOW_UP_DAYS``)."""
    custom = config.get("TRAINING_REPORT_HEADINGS") or {}
    headings = tuple((key, str(custom.get(key) or title)) for key, title in REPORT_SECTIONS.items())
    return Settings(move_off_holidays=bool(config.get("TRAINING_DUE_OFF_HOLIDAYS")),
                    follow_up_days=int(config.get("TRAINING_FOLLOW_UP_DAYS", 90)), headings=headings)


def office_days(session: Session) -> frozenset[date]:
    return frozenset(session.scalars(select(OfficeHoliday.day)))


def record_for(session: Session, user, record_id: int) -> TrainingRecord:
    """The record ``record_id`` if ``user`` may see it; NotFound otherwise."""
    record = session.get(TrainingRecord, record_id)
    if record is None or not policy.can_view_record(user, record, reached_by(session, record)):
        raise NotFound(f"no training record {record_id} this user may see")
    return record


def chain_of(session: Session, unit_id: int | None) -> list[ChainStep]:
    """The chain of approvers of a unit, first step first."""
    if unit_id is None:
        return []
    return list(session.scalars(select(ChainStep).where(ChainStep.unit_id == unit_id).order_by(ChainStep.position)))


def designated(session: Session, step: ChainStep) -> list[User]:
    """Who a chain step names: its person, or the active holders of its position title."""
    if step.approver is not None:
        return [step.approver] if step.approver.active else []
    if step.position_title:
        return list(session.scalars(select(User).where(User.position == step.position_title, User.active)))
    return []


def approvers_now(session: Session, record: TrainingRecord, today: date) -> dict[int, int | None]:
    """Who may decide on ``record`` today: user id → the id of the approver it acts
    for (None when it is the designated approver). Empty unless the report waits."""
    chain = chain_of(session, record.unit_id)
    if record.state != "submitted" or record.chain_position >= len(chain):
        return {}
    out: dict[int, int | None] = {}
    for person in designated(session, chain[record.chain_position]):
        out.setdefault(person.id, None)
        for d in session.scalars(select(Delegation).where(Delegation.approver_id == person.id,
                                                          Delegation.starts_on <= today, Delegation.ends_on >= today)):
            out.setdefault(d.acting_id, person.id)
    return out


def reached_by(session: Session, record: TrainingRecord) -> set[int]:
    """The approvers (and acting approvers) of every step the report has reached."""
    chain = chain_of(session, record.unit_id)
    if record.state in ("draft", "returned") and not record.steps:
        return set()
    top = len(chain) if record.state in ("approved", "published") else min(record.chain_position + 1, len(chain))
    ids = {s.actor_id for s in record.steps if s.actor_id} - {record.trainee_id}
    for step in chain[:top]:
        for person in designated(session, step):
            ids.add(person.id)
            ids.update(session.scalars(select(Delegation.acting_id).where(Delegation.approver_id == person.id)))
    return ids


def summary_of(record: TrainingRecord, today: date, settings: Settings, days: frozenset[date]) -> dict:
    """The short JSON form of a record, as lists show it."""
    dl = deadline(record, today, due_date(record.returned_on, settings.move_off_holidays, days))
    return {
        "id": record.id,
        "trainee": record.trainee_display,
        "unit": record.unit.name if record.unit else "",
        "course": record.course,
        "kind": record.kind,
        "kind_label": TRAINING_KINDS.get(record.kind, record.kind),
        "returned_on": record.returned_on.isoformat(),
        "fiscal_year": fiscal_year(record.returned_on),
        "due_on": dl.due_on.isoformat(),
        "status": dl.code,
        "status_label": dl.label,
        "days_left": dl.days_left,
        "state": record.state,
        "state_label": REPORT_STATES[record.state],
        "submitted_on": record.submitted_on.isoformat() if record.submitted_on else None,
        "followed_up": record.followed_up_at is not None,
    }


def record_data(session: Session, user, record_id: int, settings: Settings) -> dict:
    """One record as its page and JSON twin show it: :func:`summary_of` plus the
    training's details, the report's sections, the approval trail (``trail``: ``at``,
    ``decision``, ``actor``, ``acting_for``, ``comment``, ``step``), the chain
    (``chain``: step names), the published entry's slug, and what ``user`` may do
    (``can_edit``, ``can_submit``, ``can_decide``, ``can_follow_up``). Personal details
    (``cost``, ``assessment``) only for the trainee, its approvers and the KM team."""
    record = record_for(session, user, record_id)
    today = clock.today()
    days = office_days(session)
    chain = chain_of(session, record.unit_id)
    deciders = approvers_now(session, record, today)
    approved_by = {s.actor_id for s in record.steps if s.decision == "approved" and s.actor_id}
    data = summary_of(record, today, settings, days)
    data.update(
        organiser=record.organiser, place=record.place, external=record.external,
        starts_on=record.starts_on.isoformat() if record.starts_on else None,
        ends_on=record.ends_on.isoformat() if record.ends_on else None,
        cost=float(record.cost) if record.cost is not None else None,
        knowledge_items=[{"id": k.id, "name": k.name} for k in record.knowledge_items],
        sections={key: getattr(record, key) for key in REPORT_SECTIONS},
        headings=dict(settings.headings),
        internal_suggestions=record.internal_suggestions,
        assessment=record.assessment,
        followed_up_at=record.followed_up_at.isoformat() if record.followed_up_at else None,
        entry=record.entry.slug if record.entry and record.state == "published" else None,
        attachments=[{"id": a.id, "filename": a.filename, "size": a.size}
                     for a in (record.entry.attachments if record.entry else [])],
        follow_up_by=(record.approved_at + timedelta(days=settings.follow_up_days)).date().isoformat()
        if record.approved_at else None,
        chain=[_step_name(session, s) for s in chain],
        waiting_at=_step_name(session, chain[record.chain_position]) if deciders else None,
        trail=[{"at": s.at.isoformat(), "decision": s.decision, "step": s.position + 1,
                "actor": s.actor.display_name if s.actor else "",
                "actor_position": s.actor.position if s.actor else "",
                "acting_for": s.acting_for.display_name if s.acting_for else None,
                "acting_for_position": s.acting_for.position if s.acting_for else None,
                "comment": s.comment} for s in record.steps],
        can_edit=policy.can_edit_report(user, record),
        can_submit=policy.can_edit_report(user, record) and bool(chain),
        can_decide=policy.can_decide(user, record, set(deciders)),
        can_follow_up=policy.can_follow_up(user, record, approved_by) and record.followed_up_at is None,
    )
    return data


def _step_name(session: Session, step: ChainStep) -> str:
    if step.approver is not None:
        return f"{step.approver.display_name} ({step.approver.position})" if step.approver.position \
            else step.approver.display_name
    return step.position_title


def mine_data(session: Session, user, settings: Settings) -> dict:
    """"My training": ``records`` (mine, newest return first) and ``queue`` (reports
    waiting for me, as approver or acting approver)."""
    today, days = clock.today(), office_days(session)
    mine = session.scalars(select(TrainingRecord).where(TrainingRecord.trainee_id == user.id)
                           .order_by(TrainingRecord.returned_on.desc())).all()
    return {"records": [summary_of(r, today, settings, days) for r in mine],
            "queue": queue_data(session, user, settings)["records"]}


def queue_data(session: Session, user, settings: Settings) -> dict:
    """Reports waiting for ``user``'s decision today: ``{"records": [summary + "acting_for"]}``."""
    today, days = clock.today(), office_days(session)
    out = []
    for record in session.scalars(select(TrainingRecord).where(TrainingRecord.state == "submitted")
                                  .order_by(TrainingRecord.submitted_on, TrainingRecord.id)):
        deciders = approvers_now(session, record, today)
        if user.id in deciders and not policy.is_trainee(user, record):
            row = summary_of(record, today, settings, days)
            acting_for = deciders[user.id]
            row["acting_for"] = session.get(User, acting_for).display_name if acting_for else None
            out.append(row)
    return {"records": out}


SORTS = {"due": "กำหนดส่ง", "unit": "หน่วยงาน", "trainee": "ผู้เข้ารับการพัฒนา", "status": "สถานะ"}


def deadlines_data(session: Session, user, settings: Settings, unit: str = "", fy: str = "",
                   sort: str = "due") -> dict:
    """Every record of fiscal year ``fy`` (of its return date; default: the current one),
    of unit ``unit`` if given, sorted by ``sort`` (a key of :data:`SORTS`), for those
    who see every report: ``{"fiscal_year", "unit", "sort", "units", "records",
    "counts"}``."""
    if not policy.sees_all_reports(user):
        raise Refused("the deadlines list is for the KM team, the CKO and the admin")
    year = _fiscal_year_arg(fy)
    starts, ends = fiscal_year_bounds(year)
    query = select(TrainingRecord).where(TrainingRecord.returned_on >= starts, TrainingRecord.returned_on <= ends)
    if unit:
        query = query.join(Department, TrainingRecord.unit_id == Department.id).where(Department.name == unit)
    today, days = clock.today(), office_days(session)
    rows = [summary_of(r, today, settings, days) for r in session.scalars(query)]
    key = {"due": lambda r: (r["due_on"], r["trainee"]), "unit": lambda r: (r["unit"], r["due_on"]),
           "trainee": lambda r: (r["trainee"], r["due_on"]),
           "status": lambda r: (r["status"], r["due_on"])}.get(sort, lambda r: (r["due_on"], r["trainee"]))
    rows.sort(key=key)
    counts: dict[str, int] = {}
    for r in rows:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    units = sorted(session.scalars(select(Department.name)))
    return {"fiscal_year": year, "unit": unit, "sort": sort if sort in SORTS else "due", "units": units,
            "records": rows, "counts": counts}


def deadlines_xlsx(data: dict) -> bytes:
    """:func:`deadlines_data` as an Excel workbook (openpyxl): one sheet, Thai headings,
    Thai dates, one row per record."""
    from io import BytesIO

    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = f"ปีงบประมาณ {data['fiscal_year']}"
    headings = ["ผู้เข้ารับการพัฒนา", "หน่วยงาน", "หลักสูตร", "ประเภท", "วันที่กลับ", "กำหนดส่ง", "วันที่ส่ง",
                "สถานะ", "สถานะรายงาน", "ติดตามผลแล้ว"]
    sheet.append(headings)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for r in data["records"]:
        sheet.append([r["trainee"], r["unit"], r["course"], r["kind_label"],
                      format_thai_date(date.fromisoformat(r["returned_on"])),
                      format_thai_date(date.fromisoformat(r["due_on"])),
                      format_thai_date(date.fromisoformat(r["submitted_on"])) if r["submitted_on"] else "",
                      r["status_label"], r["state_label"], "ใช่" if r["followed_up"] else ""])
    for column, width in zip("ABCDEFGHIJ", (28, 22, 40, 12, 18, 18, 18, 18, 16, 12), strict=True):
        sheet.column_dimensions[column].width = width
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def _fiscal_year_arg(fy: str | int | None) -> int:
    text = fold_digits(str(fy or "")).strip()
    if not text:
        return fiscal_year(clock.today())
    if text.isdigit() and len(text) == 4 and 2400 <= int(text) <= 2700:
        return int(text)
    raise BadInput(f"fiscal year {str(fy)[:20]!r} is not a Buddhist Era year such as 2570",
                   "ปีงบประมาณต้องเป็นปี พ.ศ. เช่น ๒๕๗๐ หรือ 2570")


def kpi_data(session: Session, fy: str | int | None, settings: Settings) -> dict:
    """The training-report indicators of fiscal year ``fy`` (of the return date):
    ``{"fiscal_year", "records", "submitted_on_time", "submitted_late", "overdue",
    "pending", "on_time_rate", "followed_up", "by_unit"}``; ``pending`` is not yet
    submitted and not yet overdue; ``on_time_rate`` the share of submitted reports on
    time (0–1, None with none submitted). Source: docs/domain.md, "Indicators"."""
    year = _fiscal_year_arg(fy)
    starts, ends = fiscal_year_bounds(year)
    today, days = clock.today(), office_days(session)
    records = session.scalars(select(TrainingRecord).where(TrainingRecord.returned_on >= starts,
                                                           TrainingRecord.returned_on <= ends)).all()

    def figures(rows) -> dict:
        codes = [deadline(r, today, due_date(r.returned_on, settings.move_off_holidays, days)).code for r in rows]
        on_time, late = codes.count("on_time"), codes.count("late")
        return {"records": len(rows), "submitted_on_time": on_time, "submitted_late": late,
                "overdue": codes.count("overdue"), "pending": codes.count("due"),
                "on_time_rate": round(on_time / (on_time + late), 4) if on_time + late else None,
                "followed_up": sum(1 for r in rows if r.followed_up_at is not None)}

    by_unit: dict[str, list] = {}
    for r in records:
        by_unit.setdefault(r.unit.name if r.unit else "", []).append(r)
    return {"fiscal_year": year, **figures(records),
            "by_unit": {name: figures(rows) for name, rows in sorted(by_unit.items())}}


# -- writing -----------------------------------------------------------------------------


@dataclass
class RecordFields:
    """What the training-record form edits (dates already parsed)."""

    course: str
    kind: str
    organiser: str
    place: str
    external: bool
    starts_on: date | None
    ends_on: date | None
    returned_on: date | None
    cost: float | None
    knowledge_items: list[int]
    trainee_id: int | None = None
    unit_id: int | None = None


def check_fields(fields: RecordFields, today: date) -> None:
    """BadInput (Thai and English) for a record that cannot be: no course, an unknown
    kind, no return date, a return in the future, an end before the start, a return
    before the start, a negative cost."""
    problems = []
    if not fields.course.strip():
        problems.append(("the course title is missing", "กรุณาระบุชื่อหลักสูตร"))
    if fields.kind not in TRAINING_KINDS:
        problems.append(("unknown kind of training", "ประเภทการพัฒนาไม่ถูกต้อง"))
    if fields.returned_on is None:
        problems.append(("the return date is missing", "กรุณาระบุวันที่กลับจากการอบรม"))
    elif fields.returned_on > today:
        problems.append(("the return date is in the future", "วันที่กลับต้องไม่เป็นวันในอนาคต"))
    if fields.starts_on and fields.ends_on and fields.ends_on < fields.starts_on:
        problems.append(("the training ends before it starts", "วันสิ้นสุดต้องไม่ก่อนวันเริ่มอบรม"))
    if fields.starts_on and fields.returned_on and fields.returned_on < fields.starts_on:
        problems.append(("the return is before the start", "วันที่กลับต้องไม่ก่อนวันเริ่มอบรม"))
    if fields.cost is not None and fields.cost < 0:
        problems.append(("the cost is negative", "ค่าใช้จ่ายต้องไม่ติดลบ"))
    if problems:
        raise BadInput("; ".join(p[0] for p in problems), " · ".join(p[1] for p in problems))


def save_record(session: Session, user, record: TrainingRecord | None, fields: RecordFields) -> TrainingRecord:
    """Create (``record`` None) or change a training record; commits. The trainee is
    ``fields.trainee_id`` (default: ``user``); its unit the trainee's. Refused unless
    :func:`~kmrepo.training.policy.can_create_record` / ``can_edit_report``; BadInput
    from :func:`check_fields`."""
    trainee_id = fields.trainee_id or (record.trainee_id if record else user.id)
    if record is None and not policy.can_create_record(user, trainee_id):
        raise Refused("only the trainee or the KM team records a training")
    if record is not None and not policy.can_edit_report(user, record):
        raise Refused("this record can no longer be changed")
    check_fields(fields, clock.today())
    trainee = session.get(User, trainee_id)
    if trainee is None:
        raise BadInput("unknown trainee", "ไม่พบผู้เข้ารับการพัฒนา")
    if record is None:
        record = TrainingRecord(trainee=trainee, created_by_id=user.id, created_at=clock.now())
        session.add(record)
    record.unit_id = fields.unit_id or trainee.department_id
    for name in ("course", "kind", "organiser", "place", "external", "starts_on", "ends_on", "returned_on", "cost"):
        value = getattr(fields, name)
        setattr(record, name, value.strip() if isinstance(value, str) else value)
    record.knowledge_items = [k for k in (session.get(KnowledgeItem, i) for i in fields.knowledge_items) if k]
    record.updated_at = clock.now()
    session.commit()
    return record


def save_report(session: Session, user, record: TrainingRecord, sections: dict[str, str],
                internal_suggestions: bool) -> None:
    """Save the report's sections as a draft (any time, as often as wanted); commits."""
    if not policy.can_edit_report(user, record):
        raise Refused("the report cannot be changed now", "แก้ไขรายงานไม่ได้ในขณะนี้")
    for key in REPORT_SECTIONS:
        setattr(record, key, (sections.get(key) or "").strip()[:50_000])
    record.internal_suggestions = bool(internal_suggestions)
    record.updated_at = clock.now()
    session.commit()


def submit(session: Session, user, record: TrainingRecord, url: Callable[[TrainingRecord], str] = lambda r: "") -> None:
    """Send the report up the chain (first submission sets ``submitted_on``, what "on
    time" is judged by; a returned report goes back to the step that returned it);
    notifies the approvers of that step; commits. BadInput when the unit has no chain
    or the report is empty."""
    if not policy.can_edit_report(user, record):
        raise Refused("the report cannot be submitted now", "ส่งรายงานไม่ได้ในขณะนี้")
    chain = chain_of(session, record.unit_id)
    if not chain:
        raise BadInput("the trainee's unit has no chain of approvers; ask the admin to set one",
                       "หน่วยงานของผู้เข้ารับการพัฒนายังไม่มีลำดับผู้อนุมัติ กรุณาแจ้งผู้ดูแลระบบ")
    if not (record.content.strip() or record.knowledge.strip()):
        raise BadInput("the report is empty", "กรุณากรอกสาระสำคัญหรือความรู้ที่ได้รับก่อนส่งรายงาน")
    today = clock.today()
    record.submitted_on = record.submitted_on or today
    record.state = "submitted"
    record.chain_position = min(record.chain_position, len(chain) - 1)
    session.add(ApprovalStep(record=record, position=record.chain_position, decision="submitted", actor_id=user.id,
                             at=clock.now()))
    audit.record(session, "report_submitted", user, target=record)
    session.flush()
    for approver_id in approvers_now(session, record, today):
        notify(session, approver_id, f"รายงานผลการอบรมรออนุมัติ: {record.course} ({record.trainee_display})",
               url(record))
    session.commit()


def decide(session: Session, user, record: TrainingRecord, approve: bool, comment: str,
           url: Callable[[TrainingRecord], str] = lambda r: "",
           entry_url: Callable[[Entry], str] = lambda e: "", settings: Settings = Settings()) -> None:
    """Approve (an optional comment) or return (a comment required) the report at its
    step; the decision, the decider and whom it acted for are kept. Approval at the last
    step publishes the report (:func:`publish`); notifies who must act next; commits."""
    today = clock.today()
    deciders = approvers_now(session, record, today)
    if not policy.can_decide(user, record, set(deciders)):
        raise Refused("this report does not wait for this user's decision", "รายงานนี้ไม่ได้รอการพิจารณาจากท่าน")
    comment = (comment or "").strip()[:5000]
    if not approve and not comment:
        raise BadInput("a returned report needs a comment saying what to change",
                       "การส่งกลับให้แก้ไขต้องระบุความเห็นว่าต้องแก้ไขอะไร")
    session.add(ApprovalStep(record=record, position=record.chain_position, decision="approved" if approve else "returned",
                             actor_id=user.id, acting_for_id=deciders[user.id], comment=comment, at=clock.now()))
    acting = f"acting for user {deciders[user.id]}; " if deciders[user.id] else ""
    audit.record(session, "report_approved" if approve else "report_returned", user, target=record,
                 detail=f"step {record.chain_position + 1}; {acting}{comment}"[:2000])
    if not approve:
        record.state = "returned"
        if record.trainee_id:
            notify(session, record.trainee_id, f"รายงานผลการอบรมถูกส่งกลับให้แก้ไข: {record.course}", url(record))
        session.commit()
        return
    chain = chain_of(session, record.unit_id)
    record.chain_position += 1
    if record.chain_position < len(chain):
        session.flush()
        for approver_id in approvers_now(session, record, today):
            notify(session, approver_id, f"รายงานผลการอบรมรออนุมัติ: {record.course} ({record.trainee_display})",
                   url(record))
        session.commit()
        return
    record.state = "approved"
    record.approved_at = clock.now()
    entry = publish(session, record, dict(settings.headings))
    if record.trainee_id:
        notify(session, record.trainee_id, f"รายงานผลการอบรมได้รับอนุมัติและเผยแพร่แล้ว: {record.course}",
               entry_url(entry))
    session.commit()


def publish(session: Session, record: TrainingRecord, headings: dict[str, str] | None = None) -> Entry:
    """The approved report as a ``training_report`` entry, published and found by search
    like any entry (banmai-municipality.txt §16 item 2: record it on the website),
    tagged to the record's knowledge items, in the unit and the fiscal year of the
    return, its sections under the office's ``headings``. Suggestions marked internal
    stay out, and so do the cost and the assessment. Does not commit."""
    sections = [(title, getattr(record, key)) for key, title in (headings or REPORT_SECTIONS).items()
                if getattr(record, key).strip() and not (key == "suggestions" and record.internal_suggestions)]
    facts = [f"- ผู้เข้ารับการพัฒนา: {record.trainee_display}",
             f"- ประเภท: {TRAINING_KINDS.get(record.kind, record.kind)}",
             *([f"- หน่วยงานผู้จัด: {record.organiser}"] if record.organiser else []),
             *([f"- สถานที่: {record.place}"] if record.place else []),
             *([f"- ระหว่างวันที่ {format_thai_date(record.starts_on)} – {format_thai_date(record.ends_on)}"]
               if record.starts_on and record.ends_on else []),
             f"- วันที่กลับ: {format_thai_date(record.returned_on)}"]
    body = "\n".join(facts) + "\n\n" + "\n\n".join(f"## {title}\n\n{text}" for title, text in sections) + "\n"
    title = f"รายงานผลการ{TRAINING_KINDS.get(record.kind, 'ฝึกอบรม')} {record.course}"[:500]
    entry = record.entry
    if entry is None:
        entry = Entry(slug=new_slug(session, title), created_at=clock.now(), author_id=record.trainee_id)
        session.add(entry)
        record.entry = entry
    entry.title = title
    entry.type = "training_report"
    entry.body = body
    entry.summary = f"{record.trainee_display} · {TRAINING_KINDS.get(record.kind, '')} · กลับ {format_thai_date(record.returned_on)}"
    entry.department_id = record.unit_id
    entry.fiscal_year = fiscal_year(record.returned_on)
    entry.visibility = "public"
    entry.status = library_policy.PUBLISHED
    entry.knowledge_items = list(record.knowledge_items)
    entry.updated_at = clock.now()
    record.state = "published"
    return entry


def follow_up(session: Session, user, record: TrainingRecord, assessment: str) -> None:
    """Record the supervisor's comparison of the trainee's work before and after the
    training (banmai-municipality.txt §16 item 4); commits."""
    approved_by = {s.actor_id for s in record.steps if s.decision == "approved" and s.actor_id}
    if not policy.can_follow_up(user, record, approved_by):
        raise Refused("only an approver of this report follows it up", "ผู้อนุมัติรายงานนี้เท่านั้นที่บันทึกการติดตามผลได้")
    if not assessment.strip():
        raise BadInput("the assessment is empty", "กรุณาบันทึกผลการเปรียบเทียบการปฏิบัติงานก่อนและหลังการอบรม")
    record.assessment = assessment.strip()[:20_000]
    record.followed_up_at = clock.now()
    record.followed_up_by_id = user.id
    session.commit()


def attach(session: Session, user, record: TrainingRecord, filename: str | None, data: bytes, folder: str,
           max_bytes: int):
    """Attach a certificate, slides or other file to the report (the upload rules of
    :mod:`kmrepo.library.uploads`; UploadRefused with the reason). The files live on the
    report's entry, a draft only the trainee, its approvers and the KM team reach until
    the report is published with them. Commits."""
    if not policy.can_edit_report(user, record):
        raise Refused("files are attached while the report is being written", "แนบไฟล์ได้ขณะเขียนรายงานเท่านั้น")
    if record.entry is None:
        title = f"รายงานผลการ{TRAINING_KINDS.get(record.kind, 'ฝึกอบรม')} {record.course}"[:500]
        record.entry = Entry(slug=new_slug(session, title), title=title, type="training_report", body="",
                             status="draft", visibility="internal", author_id=record.trainee_id,
                             department_id=record.unit_id, created_at=clock.now(), updated_at=clock.now())
        session.add(record.entry)
        session.flush()
    return store_attachment(session, record.entry, filename, data, user, folder, max_bytes)


def attachment_of(session: Session, user, record_id: int, attachment_id: int, filename: str):
    """An attachment of a report ``user`` may see (:func:`record_for`); NotFound otherwise."""
    record = record_for(session, user, record_id)
    for att in (record.entry.attachments if record.entry else []):
        if att.id == attachment_id and att.filename == filename:
            return att
    raise NotFound(f"no attachment {attachment_id} on training record {record_id}")


# -- chains, delegations, holidays --------------------------------------------------------------


def set_chain(session: Session, user, unit_name: str, steps: list[tuple[str, str]]) -> None:
    """Replace the chain of unit ``unit_name`` with ``steps``, first first: each
    ``(username, position title)``, one of the two given; commits. Admin only."""
    if not policy.can_keep_chains(user):
        raise Refused("chains of approvers are kept by the admin")
    unit = session.scalar(select(Department).where(Department.name == unit_name.strip()))
    if unit is None:
        raise BadInput(f"unknown unit {unit_name!r}", "ไม่พบหน่วยงานนี้")
    rows = []
    for i, (username, title) in enumerate(steps):
        username, title = (username or "").strip().lower(), (title or "").strip()
        if not username and not title:
            continue
        approver = session.scalar(select(User).where(User.username == username)) if username else None
        if username and approver is None:
            raise BadInput(f"step {i + 1}: no account {username!r}", f"ลำดับที่ {i + 1}: ไม่พบบัญชีผู้ใช้ {username}")
        rows.append(ChainStep(unit_id=unit.id, position=len(rows), approver=approver,
                              position_title="" if approver else title[:200]))
    for old in chain_of(session, unit.id):
        session.delete(old)
    session.flush()
    session.add_all(rows)
    session.commit()


def chains_data(session: Session) -> dict:
    """Every unit with its chain: ``{"units": [{"unit", "steps": [{"username", "title", "name"}]}]}``."""
    units = session.scalars(select(Department).order_by(Department.name)).all()
    return {"units": [{"unit": u.name, "steps": [
        {"username": s.approver.username if s.approver else "", "title": s.position_title,
         "name": _step_name(session, s)} for s in chain_of(session, u.id)]} for u in units]}


def add_delegation(session: Session, user, acting_username: str, starts_on: date | None, ends_on: date | None,
                   approver_username: str = "") -> Delegation:
    """``user`` (or, for the admin, ``approver_username``) names a stand-in for a date
    range; commits. BadInput for an unknown stand-in, oneself, or a range that ends
    before it starts."""
    approver = user
    if approver_username and approver_username.strip().lower() != user.username:
        if not policy.can_keep_chains(user):
            raise Refused("only the admin names a stand-in for someone else")
        approver = session.scalar(select(User).where(User.username == approver_username.strip().lower()))
        if approver is None:
            raise BadInput("unknown approver", "ไม่พบผู้อนุมัติ")
    acting = session.scalar(select(User).where(User.username == (acting_username or "").strip().lower(), User.active))
    if acting is None or acting.id == approver.id:
        raise BadInput("the stand-in must be another active account", "ผู้ปฏิบัติราชการแทนต้องเป็นบัญชีอื่นที่ใช้งานอยู่")
    if starts_on is None or ends_on is None or ends_on < starts_on:
        raise BadInput("the period must have a start and an end, in order", "กรุณาระบุช่วงวันที่ให้ถูกต้อง")
    d = Delegation(approver_id=approver.id, acting_id=acting.id, starts_on=starts_on, ends_on=ends_on)
    session.add(d)
    session.commit()
    return d


def delegations_data(session: Session, user) -> dict:
    """The stand-ins ``user`` named (or, for the admin, all): ``{"delegations": [...]}``."""
    q = select(Delegation).order_by(Delegation.starts_on.desc())
    if not policy.can_keep_chains(user):
        q = q.where(Delegation.approver_id == user.id)
    return {"delegations": [{"id": d.id, "approver": d.approver.display_name, "acting": d.acting.display_name,
                             "acting_username": d.acting.username, "starts_on": d.starts_on.isoformat(),
                             "ends_on": d.ends_on.isoformat()} for d in session.scalars(q)]}


def holidays_data(session: Session, year: int | None = None) -> dict:
    """The office's own closed days, and Thailand's public holidays of ``year``
    (default: this year): ``{"office": [{"day", "name"}], "public": [{"day", "name"}]}``."""
    year = year or clock.today().year
    public = holidays.Thailand(years=year, categories=("public",), language="th")
    return {"office": [{"day": h.day.isoformat(), "name": h.name}
                       for h in session.scalars(select(OfficeHoliday).order_by(OfficeHoliday.day))],
            "public": [{"day": d.isoformat(), "name": n} for d, n in sorted(public.items())]}


def add_office_holiday(session: Session, user, day: date | None, name: str) -> None:
    """Add a day the office is closed; commits. Admin only."""
    if not policy.can_keep_chains(user):
        raise Refused("office holidays are kept by the admin")
    if day is None:
        raise BadInput("no date", "กรุณาระบุวันที่")
    session.merge(OfficeHoliday(day=day, name=(name or "").strip()[:200]))
    session.commit()


# -- notifications and reminders -------------------------------------------------------------


def reminder_kind(days_left: int) -> str | None:
    """Which reminder is due with ``days_left`` to the due date: ``7``, ``3``, ``1``
    (when fewer than that many days are left, the nearest), ``overdue``, or None."""
    if days_left < 0:
        return "overdue"
    due = [k for k in REMINDER_DAYS if days_left <= k]
    return str(min(due)) if due else None


def remind(session: Session, settings: Settings, send_mail: Callable[[str, str, str], None] | None = None,
           url: Callable[[TrainingRecord], str] = lambda r: "") -> list[tuple[int, str]]:
    """Send the reminders that are due today for every report not yet submitted: a
    notification in the site, and an e-mail when ``send_mail(to, subject, text)`` is
    given and the trainee has an address. Each (record, kind) is sent exactly once,
    even when this runs twice or on two servers at once: the reminder row is inserted
    first, under a unique key, and only the run whose insert succeeded sends. Returns
    the ``(record id, kind)`` pairs sent by this run."""
    from sqlalchemy.dialects.postgresql import insert as pg_insert
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    today, days = clock.today(), office_days(session)
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    sent = []
    for record in session.scalars(select(TrainingRecord).where(TrainingRecord.submitted_on.is_(None),
                                                               TrainingRecord.trainee_id.is_not(None))):
        dl = deadline(record, today, due_date(record.returned_on, settings.move_off_holidays, days))
        kind = reminder_kind(dl.days_left)
        if kind is None:
            continue
        claimed = session.execute(insert(Reminder).values(record_id=record.id, kind=kind, sent_at=clock.now(),
                                                          emailed=False).on_conflict_do_nothing()
                                  .returning(Reminder.id))
        won = claimed.first() is not None  # a row back: this run inserted it (psycopg gives no row count here)
        session.commit()
        if not won:
            continue  # sent already, by an earlier run or another server
        text = (f"รายงานผลการอบรม “{record.course}” เกินกำหนดส่งแล้ว (กำหนด {format_thai_date(dl.due_on)})"
                if kind == "overdue" else
                f"อีก {dl.days_left} วันครบกำหนดส่งรายงานผลการอบรม “{record.course}” ({format_thai_date(dl.due_on)})")
        notify(session, record.trainee_id, text, url(record))
        trainee = record.trainee
        if send_mail is not None and trainee is not None and trainee.email:
            send_mail(trainee.email, "แจ้งเตือนรายงานผลการอบรม", text)
            session.execute(Reminder.__table__.update().where(Reminder.record_id == record.id, Reminder.kind == kind)
                            .values(emailed=True))
        session.commit()
        sent.append((record.id, kind))
    return sent


# -- past years ----------------------------------------------------------------------------


def import_history(session: Session, parsed_entries, errors: list[tuple[str, str]]) -> int:
    """Training records for loaded ``training_report`` entries whose front matter says
    ``returned_on`` (and optionally ``trainee``, ``course``, ``submitted_on``, ``kind``,
    ``unit``), so an office's past years count in the KPI like reports made in the site;
    dates ISO or Thai, Buddhist Era accepted (:func:`parse_date`). The record is linked
    to its entry (published) and updated when the file is loaded again. A date that
    cannot be read is reported in ``errors`` with the file and the key, and only that
    record is skipped. Commits; returns how many records were made or updated."""
    n = 0
    for p in parsed_entries:
        with session.no_autoflush:
            n += _import_one(session, p, errors)
        session.flush()  # a unit made for this record is found by the next
    session.commit()
    return n


def _import_one(session: Session, p, errors: list[tuple[str, str]]) -> int:
    """:func:`import_history` for one parsed entry; 1 when a record was made or updated."""
    meta = dict(p.extra)
    if p.type != "training_report" or "returned_on" not in meta:
        return 0
    try:
        dates = {key: parse_date(meta.get(key)) for key in ("returned_on", "submitted_on")}
    except BadInput as err:
        key = next(k for k in ("returned_on", "submitted_on")
                   if _unreadable(meta.get(k)))
        errors.append((p.source_path, f"front matter '{key}': {err}"))
        return 0
    kind = str(meta.get("kind") or "training")
    if kind not in TRAINING_KINDS:
        errors.append((p.source_path, f"front matter 'kind' is {kind!r}; it must be one of: {', '.join(TRAINING_KINDS)}"))
        return 0
    entry = session.scalar(select(Entry).where(Entry.slug == p.slug))
    if entry is None:
        return 0
    record = session.scalar(select(TrainingRecord).where(TrainingRecord.entry_id == entry.id)) or TrainingRecord(
        entry=entry, created_at=clock.now())
    session.add(record)
    trainee_text = " ".join(str(meta.get("trainee") or "").split())
    trainee = session.scalar(select(User).where(User.username == trainee_text.lower())) if trainee_text else None
    record.trainee, record.trainee_name = trainee, "" if trainee else trainee_text[:200]
    unit_name = " ".join(str(meta.get("unit") or p.department or "").split())
    record.unit = named(session, Department, unit_name) if unit_name else None
    record.course = " ".join(str(meta.get("course") or p.title).split())[:500]
    record.kind = kind
    record.returned_on = dates["returned_on"]
    record.submitted_on = dates["submitted_on"]
    record.state = "published"
    record.source_path = p.source_path[:1000]
    record.updated_at = clock.now()
    return 1


def _unreadable(value) -> bool:
    try:
        parse_date(value)
    except BadInput:
        return True
    return False
