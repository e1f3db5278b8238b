"""The one clock of kmrepo: every date and time the product uses comes from here.

Deadlines, fiscal years, access counting, lock-outs and audit times all read
:func:`now` (or :func:`today`, the date in Thai time), so a test of a deadline moves
this clock (:func:`travel`) instead of sleeping or waiting for midnight.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta

from .thai_dates import to_thai_time

#: Where the clock has been moved to: a fixed moment, or None for real time.
_fixed: datetime | None = None


def now() -> datetime:
    """The current time, timezone-aware UTC (databases store it as UTC)."""
    return _fixed if _fixed is not None else datetime.now(UTC)


def today() -> date:
    """Today's date in Thai time (UTC+7): the day a Thai office lives in, which is what
    due dates and fiscal years count (docs/domain.md, "Dates")."""
    return to_thai_time(now()).date()


def set_now(moment: datetime | None) -> None:
    """Stop the clock at ``moment`` (a naive datetime is taken to be UTC), or let it
    run again with None. For tests and benchmarks."""
    global _fixed
    if moment is not None and moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    _fixed = moment.astimezone(UTC) if moment is not None else None


def advance(delta: timedelta) -> datetime:
    """Move a stopped clock forward by ``delta`` (stopping it at the real time first if
    it runs); returns the new time."""
    set_now(now() + delta)
    return now()


@contextmanager
def travel(moment: datetime) -> Iterator[None]:
    """``with clock.travel(datetime(2027, 3, 16, 9, tzinfo=THAI_TZ)):`` the clock stands
    at ``moment`` inside the block and runs again after it."""
    before = _fixed
    set_now(moment)
    try:
        yield
    finally:
        set_now(before)
