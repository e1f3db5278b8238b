"""The JSON API: a JSON twin of every page, from the same data functions."""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from . import admin, auth, entries, kpi, policy, search
from .auth import require

bp = Blueprint("api", __name__, url_prefix="/api")


@bp.get("/search")
def api_search():
    """``GET /api/search?q=&limit=&page=&type=&department=&item=&year=&sort=``"""
    data = search.search_data(request.args, policy.current_user())
    for r in data["results"]:
        r.pop("title_html")
    return jsonify(data)


@bp.get("/suggest")
def api_suggest():
    """``GET /api/suggest?q=`` suggestions while typing (titles, knowledge items, tags)."""
    return jsonify(search.suggest_data(request.args.get("q", ""), policy.current_user()))


@bp.get("/entries")
def api_entries():
    page = request.args.get("page", "1")
    return jsonify(entries.list_data(policy.current_user(), request.args.get("type", ""),
                                     int(page) if page.isdigit() else 1))


@bp.get("/entries/<slug>")
def api_entry(slug: str):
    return jsonify(entries.open_entry(slug, policy.current_user(), "api", request.remote_addr))


@bp.get("/items")
def api_items():
    return jsonify(entries.items_data(policy.current_user()))


@bp.get("/items/<int:item_id>")
def api_item(item_id: int):
    return jsonify(entries.item_data(item_id, policy.current_user()))


@bp.get("/tags")
def api_tags():
    return jsonify(entries.tags_data(policy.current_user()))


@bp.get("/tags/<path:name>")
def api_tag(name: str):
    return jsonify(entries.tag_data(name, policy.current_user()))


@bp.get("/stats")
@require(policy.can_view_kpi)
def api_stats():
    return jsonify(kpi.stats_data(request.args.get("year"), policy.current_user()))


@bp.get("/me")
def api_me():
    """The signed-in account and its roles (``{"signed_in": false}`` when anonymous)."""
    return jsonify(auth.me_data(policy.current_user()))


@bp.get("/workspace")
@require(policy.is_signed_in)
def api_workspace():
    return jsonify(entries.workspace_data(policy.current_user()))


@bp.get("/users")
@require(policy.can_manage_users)
def api_users():
    return jsonify(admin.users_data())


@bp.get("/audit")
@require(policy.can_view_audit)
def api_audit():
    """``GET /api/audit?action=&user=&page=``"""
    return jsonify(admin.audit_data(request.args.get("action", ""), request.args.get("user", ""),
                                    request.args.get("page", 1, type=int)))
