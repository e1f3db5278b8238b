"""The KPI blueprint: access statistics per fiscal year (the "number of accesses" KPI)."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from . import access, db, policy
from .auth import require
from .models import utcnow
from .thai_dates import fiscal_year, fiscal_year_bounds

bp = Blueprint("kpi", __name__)

#: Yearly access targets quoted in the real plans (KM-DOMAIN.md, "Indicators").
ACCESS_TARGETS = (
    (6, "อบจ.ปทุมธานี (อย่างน้อย ๖ ครั้ง)"),
    (12, "ทต.บ้านใหม่ (อย่างน้อย ๑๒ ครั้ง)"),
)


def stats_data(year: str | None, user) -> dict:
    """Access statistics for fiscal year ``year`` (BE; default: the current one):
    ``fiscal_year``, ``starts``/``ends`` (ISO dates), ``total``, ``by_year``,
    ``by_month`` and ``by_entry`` (entries ``user`` may read), and ``targets``."""
    fy = int(year) if year and year.isdigit() else fiscal_year(utcnow())
    stats = access.access_stats(db.session(), fy, policy.visibilities(user))
    starts, ends = fiscal_year_bounds(fy)
    return {
        "fiscal_year": fy,
        "starts": starts.isoformat(),
        "ends": ends.isoformat(),
        "total": stats.total,
        "by_year": [{"fiscal_year": y, "accesses": n} for y, n in stats.by_year],
        "by_month": [{"year": y, "month": m, "accesses": n} for y, m, n in stats.by_month],
        "by_entry": [{"slug": s, "title": t, "accesses": n} for s, t, n in stats.by_entry],
        "targets": [{"target": n, "source": src, "met": stats.total >= n} for n, src in ACCESS_TARGETS],
    }


@bp.get("/stats")
@require(policy.can_view_kpi)
def stats_page():
    return render_template("stats.html", data=stats_data(request.args.get("year"), policy.current_user()))
