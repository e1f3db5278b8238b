"""The JSON API: a JSON twin of every page, from the same data functions."""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from . import entries, kpi, policy, search

bp = Blueprint("api", __name__, url_prefix="/api")


@bp.get("/search")
def api_search():
    """``GET /api/search?q=&limit=&page=&type=&department=&item=&year=&sort=``"""
    data = search.search_data(request.args, policy.current_user())
    for r in data["results"]:
        r.pop("title_html")
    return jsonify(data)


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
def api_stats():
    return jsonify(kpi.stats_data(request.args.get("year"), policy.current_user()))
