"""Access logging: the raw data of the KPI "number of accesses to the knowledge base".

Rule (one place): every view of an entry's page or its JSON twin is one access, written
as one :class:`~kmrepo.models.AccessLog` row, counted in the Buddhist Era fiscal year of
the moment of access in Thai time. Targets: at least 6 accesses a year
(pathumthani-pao-2566-plan2-training.txt), at least 12 (banmai-municipality.txt).
Anonymous visitors are recorded as a salted hash of their address, never the address.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .models import AccessLog, Entry, utcnow
from .thai_dates import fiscal_year, to_thai_time


def visitor_hash(address: str | None, salt: str) -> str:
    """A salted SHA-256 of a visitor's address (hex, 64 chars); "" when unknown."""
    if not address:
        return ""
    return hashlib.sha256(f"{salt}:{address}".encode()).hexdigest()


def record_access(session: Session, entry: Entry, channel: str, visitor: str = "") -> AccessLog:
    """Add and commit one access row for ``entry``; ``channel`` is ``web`` or ``api``."""
    now = utcnow()
    row = AccessLog(entry_id=entry.id, accessed_at=now, fiscal_year=fiscal_year(now), channel=channel,
                    visitor=visitor)
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
    total = dict((y, n) for y, n in by_year).get(fy, 0)
    return AccessStats(
        fiscal_year=fy,
        total=total,
        by_year=[(y, n) for y, n in by_year],
        by_entry=by_entry,
        by_month=[(y, m, n) for (y, m), n in sorted(months.items())],
    )
