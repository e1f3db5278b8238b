"""The KM plan's indicators that kmrepo measures itself; for now the number of
accesses to the knowledge base per fiscal year (docs/domain.md, "Indicators").

Plain functions: a session and the acting user in, data out; no Flask.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from .. import clock
from ..library import access
from ..library.policy import visibilities
from ..thai_dates import fiscal_year_bounds, parse_fiscal_year
from ..training import service as training

#: Yearly access targets quoted in the real plans (docs/domain.md, "Indicators").
ACCESS_TARGETS = (
    (6, "อบจ.ปทุมธานี (อย่างน้อย ๖ ครั้ง)"),
    (12, "ทต.บ้านใหม่ (อย่างน้อย ๑๒ ครั้ง)"),
)


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
        "targets": [{"target": n, "source": src, "met": stats.total >= n} for n, src in ACCESS_TARGETS],
        "training_reports": training.kpi_data(session, fy, training_settings or training.Settings()),
    }
