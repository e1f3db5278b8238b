"""Access logging: the raw data of the KPI "number of accesses to the knowledge base".

Rule (one place; docs/domain.md, "Accesses"): every view of an entry's page or its JSON
twin is one access, written as one :class:`~kmrepo.library.models.AccessLog` row,
counted in the Buddhist Era fiscal year of the moment of access in Thai time. Targets:
at least 6 accesses a year (pathumthani-pao-2566-plan2-training.txt), at least 12
(banmai-municipality.txt). Signed-in readers are recorded by user id; anonymous visitors
as a salted hash of their address, never the address (:mod:`kmrepo.privacy`).
:func:`purge_older_than` deletes old rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from .. import clock
from ..accounts import audit
from ..errors import BadInput
from ..thai_dates import fiscal_year, to_thai_time
from .models import AccessLog, Entry


def record_access(session: Session, entry: Entry, channel: str, visitor: str = "",
                  user_id: int | None = None) -> AccessLog:
    """Add and commit one access row for ``entry``; ``channel`` is ``web`` or ``api``.
    A signed-in reader is kept as ``user_id``, an anonymous one as ``visitor`` (a hash
    from :func:`kmrepo.privacy.address_hash`) — nothing more."""
    now = clock.now()
    row = AccessLog(entry_id=entry.id, accessed_at=now, fiscal_year=fiscal_year(now), channel=channel,
                    visitor="" if user_id else visitor, user_id=user_id)
    session.add(row)
    session.commit()
    return row


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
