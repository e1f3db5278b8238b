"""The KM plan's indicators on the web: the access statistics page and its JSON twin."""

from __future__ import annotations

from flask import Blueprint, current_app, request

from .. import db
from ..training.service import settings_from
from ..web import current_user, page, template_names
from . import policy, service

bp = Blueprint("plans", __name__)
template_names(bp, plans_policy=policy)


@page(bp, "/stats", "/api/stats", "plans/stats.html", check=policy.can_view_kpi)
def stats():
    """``?year=2570``: accesses to the knowledge base in a fiscal year (พ.ศ.)."""
    return service.stats_data(db.session(), current_user(), request.args.get("year"),
                              settings_from(current_app.config))
