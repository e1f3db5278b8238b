"""The KM corner: plain functions (session + acting user in, data out).

An organisation-wide corner and one per unit, each an ordered list of published
entries with a curator's note; a unit's page (its corner, its manuals, its knowledge
items); and the KPI "share of units with a knowledge corner" (80 → 90 → 100 %:
samutsongkhram-pao plan, docs/domain.md "Indicators").
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_dirty

from ..accounts import audit
from ..accounts.models import Department
from ..errors import BadInput, NotFound, Refused
from ..library import policy as library_policy
from ..library.models import Entry, KnowledgeItem
from ..library.service import entry_for, summary_of
from . import policy
from .models import CornerEntry

#: The longest curator's note (characters).
MAX_NOTE = 500


def _of_corner(department_id: int | None):
    """The SQL condition "in the corner of ``department_id``" (None: the organisation's)."""
    if department_id is None:
        return CornerEntry.department_id.is_(None)
    return CornerEntry.department_id == department_id


def _shown_rows(session: Session, user, department_id: int | None | bool = False) -> list[CornerEntry]:
    """Corner rows whose entries are shown (:func:`policy.shown`) and ``user`` may read,
    in corner order; of one corner, or of every corner when ``department_id`` is False."""
    query = (select(CornerEntry).join(Entry, Entry.id == CornerEntry.entry_id)
             .where(library_policy.readable_entries(user), policy.shown())
             .order_by(CornerEntry.position, CornerEntry.id))
    if department_id is not False:
        query = query.where(_of_corner(department_id))
    return list(session.scalars(query))


def _row(c: CornerEntry) -> dict:
    return {"id": c.id, "slug": c.entry.slug, "title": c.entry.title, "note": c.note, "type": c.entry.type}


def units(session: Session) -> list[dict]:
    """Every unit, by name: ``[{"id", "name"}]`` (the corners a curator can fill)."""
    return [{"id": u.id, "name": u.name} for u in session.scalars(select(Department).order_by(Department.name))]


def save_unit(session: Session, user, unit_id: int | None, name: str) -> int:
    """Add (``unit_id`` None) or rename a unit; commits, audits (unit_saved) and
    re-indexes the unit's entries on a rename (search filters by unit name). Returns
    its id. Refused unless :func:`~kmrepo.corner.policy.can_keep_units`; NotFound for an
    unknown unit; BadInput for an empty name, over 200 characters, or another unit's."""
    if not policy.can_keep_units(user):
        raise Refused(f"{getattr(user, 'username', 'anonymous')} may not keep units")
    name = " ".join((name or "").split())
    if not name or len(name) > 200:
        raise BadInput("a unit needs a name of at most 200 characters", "กรุณาระบุชื่อหน่วยงาน (ไม่เกิน ๒๐๐ ตัวอักษร)")
    unit = Department() if unit_id is None else session.get(Department, unit_id)
    if unit is None:
        raise NotFound(f"no unit {unit_id}", "ไม่พบหน่วยงานนี้")
    same = session.scalar(select(Department).where(Department.name == name))
    if same is not None and same is not unit:
        raise BadInput(f"another unit is named {name!r}", "มีหน่วยงานชื่อนี้อยู่แล้ว")
    old = unit.name
    unit.name = name
    session.add(unit)
    if unit_id is not None and old != name:
        for entry in session.scalars(select(Entry).where(Entry.department_id == unit.id)):
            flag_dirty(entry)
    session.flush()
    audit.record(session, "unit_saved", user, detail=f"{unit.id}: {old + ' → ' if unit_id and old != name else ''}{name}")
    session.commit()
    return unit.id


def corner_entries(session: Session, user, unit_id: int | None = None) -> list[dict]:
    """One corner's entries ``user`` may read, in order (``unit_id`` None: the
    organisation's, as the home page shows it): ``[{"id", "slug", "title", "note", "type"}]``."""
    return [_row(c) for c in _shown_rows(session, user, unit_id)]


def corners_data(session: Session, user) -> dict:
    """Every corner ``user`` can see something in: ``{"corners": [{"unit": None or the
    unit's name, "unit_id", "entries": [{"id", "slug", "title", "note", "type"}]}],
    "units": [{"id", "name"}]}``; the organisation's corner first (even if empty), then
    units by name. Entries ``user`` may not read are left out."""
    by_corner: dict[int | None, list[dict]] = {}
    for c in _shown_rows(session, user):
        by_corner.setdefault(c.department_id, []).append(_row(c))
    all_units = units(session)
    corners = [{"unit": None, "unit_id": None, "entries": by_corner.get(None, [])}]
    corners += [{"unit": u["name"], "unit_id": u["id"], "entries": by_corner[u["id"]]}
                for u in all_units if u["id"] in by_corner]
    return {"corners": corners, "units": all_units}


def _units_with_corner(session: Session) -> set[int]:
    """The units whose corner shows at least one entry (whoever reads): the KPI's count."""
    return set(session.scalars(
        select(CornerEntry.department_id).join(Entry, Entry.id == CornerEntry.entry_id)
        .where(policy.shown(), CornerEntry.department_id.is_not(None))))


def _unit(session: Session, unit_id: int | None) -> Department | None:
    if unit_id is None:
        return None
    unit = session.get(Department, unit_id)
    if unit is None:
        raise NotFound(f"no unit {unit_id}", "ไม่พบหน่วยงานนี้")
    return unit


def add(session: Session, user, slug: str, unit_id: int | None, note: str = "") -> dict:
    """Put entry ``slug`` last in the corner of ``unit_id`` (None: the organisation's);
    an entry already there keeps its place and takes the new note. The entry becomes
    featured (it ranks a little higher in search) until it is in no corner
    (:func:`remove`). Commits and audits.
    Returns :func:`corners_data`'s row. Refused for non-curators; NotFound for an
    unknown entry or unit; BadInput for an unpublished entry or a note over
    :data:`MAX_NOTE` characters."""
    if not policy.can_curate(user):
        raise Refused("only the KM team curates the corner")
    entry = entry_for(session, user, slug)
    unit = _unit(session, unit_id)
    if not policy.may_show(entry):
        raise BadInput(f"{slug} is not published", "มุม KM แสดงได้เฉพาะเอกสารที่เผยแพร่แล้ว")
    note = " ".join((note or "").split())
    if len(note) > MAX_NOTE:
        raise BadInput(f"note longer than {MAX_NOTE} characters", f"คำแนะนำยาวเกิน {MAX_NOTE} ตัวอักษร")
    where = _of_corner(unit.id if unit else None)
    row = session.scalar(select(CornerEntry).where(where, CornerEntry.entry_id == entry.id))
    if row is None:
        last = session.scalar(select(func.max(CornerEntry.position)).where(where))
        row = CornerEntry(department=unit, entry=entry, position=(last or 0) + 1, note=note, added_by=user)
        session.add(row)
    else:
        row.note = note
    entry.featured = True  # curated knowledge ranks a little higher in search (the library's flag)
    audit.record(session, "corner_changed", user, target=entry,
                 detail=f"เพิ่มใน{'มุม KM ' + unit.name if unit else 'มุม KM ขององค์กร'}")
    session.commit()
    return _row(row)


def _curated(session: Session, user, corner_entry_id: int) -> CornerEntry:
    if not policy.can_curate(user):
        raise Refused("only the KM team curates the corner")
    row = session.get(CornerEntry, corner_entry_id)
    if row is None:
        raise NotFound(f"no corner entry {corner_entry_id}", "ไม่พบรายการนี้ในมุม KM")
    return row


def remove(session: Session, user, corner_entry_id: int) -> str:
    """Take one entry out of its corner (the entry itself stays; no longer featured
    once it is in no corner); commits, audits; returns the entry's title."""
    row = _curated(session, user, corner_entry_id)
    title = row.entry.title
    audit.record(session, "corner_changed", user, target=row.entry, detail="นำออกจากมุม KM")
    elsewhere = session.scalar(select(func.count(CornerEntry.id)).where(
        CornerEntry.entry_id == row.entry_id, CornerEntry.id != row.id))
    if not elsewhere:
        row.entry.featured = False
    session.delete(row)
    session.commit()
    return title


def move(session: Session, user, corner_entry_id: int, step: int) -> None:
    """Move one entry up (``step`` -1) or down (+1) its corner; commits. Positions are
    renumbered 1..n, so the order is always plain."""
    if step not in (-1, 1):
        raise BadInput("step must be -1 or 1", "ย้ายได้ขึ้นหรือลงทีละหนึ่งตำแหน่ง")
    row = _curated(session, user, corner_entry_id)
    rows = list(session.scalars(select(CornerEntry).where(_of_corner(row.department_id)).order_by(CornerEntry.position, CornerEntry.id)))
    i = rows.index(row)
    j = i + step
    if 0 <= j < len(rows):
        rows[i], rows[j] = rows[j], rows[i]
    for n, r in enumerate(rows, 1):
        r.position = n
    session.commit()


def unit_data(session: Session, user, unit_id: int) -> dict:
    """A unit's landing page: ``{"unit": {"id", "name"}, "corner": [...], "manuals":
    [summary_of], "knowledge_items": [{"id", "name"}], "entries": n}`` (what ``user`` may
    read); NotFound for an unknown unit."""
    unit = _unit(session, unit_id)
    readable = library_policy.readable_entries(user)
    manuals = session.scalars(
        select(Entry).where(readable, Entry.department_id == unit.id, Entry.type == "manual").order_by(Entry.title)
    ).all()
    items = session.scalars(
        select(KnowledgeItem).where(KnowledgeItem.owner_id == unit.id).order_by(KnowledgeItem.name)
    ).all()
    total = session.scalar(select(func.count(Entry.id)).where(readable, Entry.department_id == unit.id))
    return {
        "unit": {"id": unit.id, "name": unit.name},
        "corner": corner_entries(session, user, unit.id),
        "manuals": [summary_of(e) for e in manuals],
        "knowledge_items": [{"id": k.id, "name": k.name} for k in items],
        "entries": total,
    }


def units_data(session: Session, user) -> list[dict]:
    """Every unit with the number of entries ``user`` may read from it and whether it
    has a corner: ``[{"id", "name", "entries", "corner"}]`` by name."""
    readable = library_policy.readable_entries(user)
    counts = dict(session.execute(
        select(Entry.department_id, func.count()).where(readable).group_by(Entry.department_id)).all())
    with_corner = _units_with_corner(session)
    return [{**u, "entries": counts.get(u["id"], 0), "corner": u["id"] in with_corner} for u in units(session)]


def corner_kpi(session: Session) -> dict:
    """"Share of units with a knowledge corner": units whose corner shows at least one
    published entry, over all units. ``{"units", "with_corner", "share"}`` (share a
    percentage, one decimal; None when there are no units). Targets 80, 90, 100 %:
    samutsongkhram-pao plan."""
    total = session.scalar(select(func.count(Department.id))) or 0
    with_corner = len(_units_with_corner(session))
    return {"units": total, "with_corner": with_corner,
            "share": round(100 * with_corner / total, 1) if total else None}
