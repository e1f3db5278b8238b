"""Access logging: the raw data of the KPI "number of accesses to the knowledge base".

The counting rule (one function, :func:`not_counted`; docs/domain.md, "Accesses"): one
view of a published entry (its page or its JSON twin) is one access, written as one
:class:`~kmrepo.library.models.AccessLog` row and counted in the Buddhist Era fiscal year
of its moment in Thai time, except:

- repeated views of one entry by one reader within :data:`REPEAT_WINDOW` (30 minutes)
  count once (a reader: the account, or for an anonymous visitor a salted hash of the
  address and user agent, never the address itself: :mod:`kmrepo.privacy`);
- known bots and crawlers never count (the CrawlerDetect user-agent list, the
  ``crawlerdetect`` package, not a hand-written pattern), nor the site's own health
  checks (user agent :data:`HEALTH_CHECK_AGENT`);
- API calls marked as machine reads (header ``X-Machine-Read: 1``) never count;
- an author's views of their own entry never count.

Rows written before the rule (:data:`RULE_SINCE`) are kept as they were counted.
Targets: at least 6 accesses a year (pathumthani-pao-2566-plan2-training.txt), at least
12 (banmai-municipality.txt). :func:`purge_older_than` deletes old rows.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import delete, false, func, select, text
from sqlalchemy.orm import Session

from .. import clock
from ..accounts import audit
from ..accounts.models import Department
from ..errors import BadInput
from ..thai_dates import fiscal_year, to_thai_time
from .models import AccessLog, Entry, KnowledgeItem, entry_knowledge_items

#: Repeated views of one entry by one reader within this time count once.
REPEAT_WINDOW = timedelta(minutes=30)
#: The user agent the site's own health checks send (docs/deployment.md): never counted.
HEALTH_CHECK_AGENT = "kmrepo-healthcheck"
#: The day the counting rule took effect; earlier rows counted every view.
RULE_SINCE = date(2026, 12, 1)


@dataclass(frozen=True)
class Reader:
    """Who opened an entry, as the counting rule sees them: ``user_id`` when signed in,
    otherwise ``visitor`` (:func:`kmrepo.privacy.address_hash` of address and user
    agent); ``user_agent`` as sent; ``machine`` when an API call said it is a machine
    read."""

    user_id: int | None = None
    visitor: str = ""
    user_agent: str = ""
    machine: bool = False


_detector = None
_detector_lock = threading.Lock()


def is_bot(user_agent: str) -> bool:
    """True for a known bot, crawler or script (CrawlerDetect's list) or the site's own
    health check."""
    global _detector
    if user_agent.startswith(HEALTH_CHECK_AGENT):
        return True
    if not user_agent:
        return False
    with _detector_lock:  # a CrawlerDetect object keeps the last match: one caller at a time
        if _detector is None:
            from crawlerdetect import CrawlerDetect

            _detector = CrawlerDetect()
        return bool(_detector.isCrawler(user_agent[:1000]))


def not_counted(session: Session, entry: Entry, reader: Reader, now: datetime) -> str | None:
    """Why this view of ``entry`` is no access (see the module docstring), or None when
    it counts: ``"bot"``, ``"machine"``, ``"own_entry"`` or ``"repeat"``."""
    if is_bot(reader.user_agent):
        return "bot"
    if reader.machine:
        return "machine"
    if reader.user_id is not None and reader.user_id == entry.author_id:
        return "own_entry"
    who = (AccessLog.user_id == reader.user_id) if reader.user_id is not None else (
        (AccessLog.visitor == reader.visitor) & AccessLog.user_id.is_(None))
    if reader.user_id is None and not reader.visitor:
        return None  # no address known: nothing to tell repeats apart by
    recent = session.scalar(select(AccessLog.id).where(
        AccessLog.entry_id == entry.id, who, AccessLog.accessed_at > now - REPEAT_WINDOW).limit(1))
    return "repeat" if recent is not None else None


def record_access(session: Session, entry: Entry, channel: str, reader: Reader) -> AccessLog | None:
    """Count one view of ``entry`` by ``reader`` when the rule says it is an access
    (:func:`not_counted`): add and commit its row (``channel`` is ``web`` or ``api``;
    a signed-in reader kept as the account, an anonymous one as the hash — nothing
    more) and return it; None when it is not counted (nothing is written)."""
    now = clock.now()
    if not_counted(session, entry, reader, now):
        return None  # the common repeat, told without any lock
    _one_count_at_a_time(session, entry.id)
    if not_counted(session, entry, reader, now):  # the same reader's other view, on another thread or server
        session.rollback()
        return None
    row = AccessLog(entry_id=entry.id, accessed_at=now, fiscal_year=fiscal_year(now), channel=channel,
                    visitor="" if reader.user_id else reader.visitor, user_id=reader.user_id)
    session.add(row)
    session.commit()
    return row


#: The first key of the advisory locks that serialise counting on PostgreSQL (the second is the entry).
COUNTING_LOCK = 0x6B6D_6163


def _one_count_at_a_time(session: Session, entry_id: int) -> None:
    """Make the check and the write of a view of ``entry_id`` one step, so that one
    reader's two views at once (two tabs, two app servers behind a load balancer) count
    once: on PostgreSQL a transaction-scoped advisory lock per entry; on SQLite the
    database's write lock, taken now by a write that changes nothing (a read then sees
    every view committed before it). Released by the commit or rollback that follows."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:kind, :entry)"), {"kind": COUNTING_LOCK, "entry": entry_id})
    elif dialect == "sqlite":
        session.execute(delete(AccessLog).where(false()))


def entry_access_count(session: Session, entry_id: int, fy: int | None = None) -> int:
    """Accesses of one entry, in fiscal year ``fy`` or in all."""
    q = select(func.count(AccessLog.id)).where(AccessLog.entry_id == entry_id)
    if fy is not None:
        q = q.where(AccessLog.fiscal_year == fy)
    return session.scalar(q) or 0


@dataclass(frozen=True)
class AccessStats:
    """Access counts: ``by_year`` as ``[(fiscal_year, count)]`` newest first; for the
    chosen ``fiscal_year``, ``total`` and ``by_entry`` as ``[(slug, title, count)]``
    most accessed first, ``by_month`` as ``[(year, month, count)]`` in calendar order."""

    fiscal_year: int
    total: int
    by_year: list[tuple[int, int]]
    by_entry: list[tuple[str, str, int]]
    by_month: list[tuple[int, int, int]]


def access_stats(session: Session, fy: int, visible: list[str] | None = None) -> AccessStats:
    """Gather :class:`AccessStats` for Buddhist Era fiscal year ``fy``.

    ``visible`` limits the per-entry list to entries of those visibilities (totals count
    every access, as the KPI does).
    """
    by_year = session.execute(
        select(AccessLog.fiscal_year, func.count(AccessLog.id))
        .group_by(AccessLog.fiscal_year).order_by(AccessLog.fiscal_year.desc())
    ).all()
    q = (
        select(Entry.slug, Entry.title, func.count(AccessLog.id).label("n"))
        .join(AccessLog, AccessLog.entry_id == Entry.id)
        .where(AccessLog.fiscal_year == fy)
        .group_by(Entry.id, Entry.slug, Entry.title)
        .order_by(func.count(AccessLog.id).desc(), Entry.title)
    )
    if visible is not None:
        q = q.where(Entry.visibility.in_(visible))
    by_entry = [(slug, title, n) for slug, title, n in session.execute(q).all()]
    months: dict[tuple[int, int], int] = {}
    for (moment,) in session.execute(select(AccessLog.accessed_at).where(AccessLog.fiscal_year == fy)):
        local = to_thai_time(moment)
        months[(local.year, local.month)] = months.get((local.year, local.month), 0) + 1
    total = {y: n for y, n in by_year}.get(fy, 0)
    return AccessStats(
        fiscal_year=fy,
        total=total,
        by_year=[(y, n) for y, n in by_year],
        by_entry=by_entry,
        by_month=[(y, m, n) for (y, m), n in sorted(months.items())],
    )


def access_breakdown(session: Session, fy: int, unit_id: int | None = None, item_id: int | None = None) -> dict:
    """Accesses of Buddhist Era fiscal year ``fy`` (of one unit's entries, or one
    knowledge item's, when given): ``{"total", "by_month": {"YYYY-MM": n} for each of
    the twelve months October to September (Thai time), "by_unit": {unit name or "":
    n}, "by_knowledge_item": {name: n}}`` (an entry tagged to two items counts for each)."""
    q = (select(AccessLog.accessed_at, Entry.id, Department.name).join(Entry, Entry.id == AccessLog.entry_id)
         .outerjoin(Department, Department.id == Entry.department_id).where(AccessLog.fiscal_year == fy))
    if unit_id is not None:
        q = q.where(Entry.department_id == unit_id)
    if item_id is not None:
        q = q.where(Entry.id.in_(select(entry_knowledge_items.c.entry_id)
                                 .where(entry_knowledge_items.c.knowledge_item_id == item_id)))
    start_year = fy - 543 - 1
    by_month = {f"{start_year + (m < 10)}-{m:02d}": 0 for m in (10, 11, 12, *range(1, 10))}
    by_unit: dict[str, int] = {}
    per_entry: dict[int, int] = {}
    total = 0
    for moment, entry_id, unit in session.execute(q):
        local = to_thai_time(moment)
        key = f"{local.year}-{local.month:02d}"
        by_month[key] = by_month.get(key, 0) + 1
        by_unit[unit or ""] = by_unit.get(unit or "", 0) + 1
        per_entry[entry_id] = per_entry.get(entry_id, 0) + 1
        total += 1
    by_item: dict[str, int] = {}
    if per_entry:
        for entry_id, name in session.execute(
                select(entry_knowledge_items.c.entry_id, KnowledgeItem.name)
                .join(KnowledgeItem, KnowledgeItem.id == entry_knowledge_items.c.knowledge_item_id)
                .where(entry_knowledge_items.c.entry_id.in_(list(per_entry)))):
            by_item[name] = by_item.get(name, 0) + per_entry[entry_id]
    order = lambda d: dict(sorted(d.items(), key=lambda kv: (-kv[1], kv[0])))
    return {"total": total, "by_month": by_month, "by_unit": order(by_unit), "by_knowledge_item": order(by_item)}


def purge_older_than(session: Session, days: int, actor=None) -> int:
    """Delete access rows older than ``days`` days (a whole number from 1 to 100,000;
    :class:`~kmrepo.errors.BadInput` otherwise), record it in the audit log as done by
    ``actor`` (None: the command line), commit, and return how many were deleted.
    Privacy rule (docs/roles.md, "Privacy"): keep no more than the KPI needs."""
    if not 1 <= int(days) <= 100_000:
        raise BadInput(f"days must be a whole number from 1 to 100000, not {days}",
                       "กรุณาระบุจำนวนวันตั้งแต่ ๑ ถึง ๑๐๐,๐๐๐ วัน")
    cutoff = clock.now() - timedelta(days=int(days))
    result = session.execute(delete(AccessLog).where(AccessLog.accessed_at < cutoff))
    n = result.rowcount or 0
    audit.record(session, "access_logs_purged", actor, username="" if actor else "(command line)",
                 detail=f"older than {days} days: {n} rows")
    session.commit()
    return n
