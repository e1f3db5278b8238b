"""The entries blueprint: entry pages, the entry list, knowledge items and tags.

Each page's data comes from one function here, which the JSON API calls too.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template, request
from sqlalchemy import func, select

from . import access, db, policy
from .models import Entry, KnowledgeItem, Tag, entry_knowledge_items, entry_tags, utcnow
from .rendering import render_markdown
from .thai_dates import fiscal_year

bp = Blueprint("entries", __name__)


def _visible(user):
    return (Entry.status == "published") & Entry.visibility.in_(policy.visibilities(user))


def summary_of(e: Entry) -> dict:
    """The short JSON form of an entry, as lists show it."""
    return {
        "slug": e.slug,
        "title": e.title,
        "type": e.type,
        "summary": e.summary,
        "department": e.department.name if e.department else "",
        "fiscal_year": e.fiscal_year,
        "updated_at": e.updated_at.isoformat(),
    }


def get_visible_entry(slug: str, user) -> Entry:
    """The entry ``slug`` if ``user`` may read it; aborts with 404 otherwise (an
    internal entry is not even admitted to exist)."""
    entry = db.session().scalar(select(Entry).where(Entry.slug == slug))
    if entry is None or not policy.can_view_entry(user, entry):
        abort(404)
    return entry


def open_entry(slug: str, user, channel: str, address: str | None) -> dict:
    """Open an entry for reading: record one access (see :mod:`kmrepo.access`) and
    return its data: the summary fields plus ``body`` (Markdown), ``html`` (safe
    rendered body), ``tags``, ``knowledge_items`` (``id``, ``name``), ``visibility``,
    ``created_at``, and ``accesses`` (``total`` and ``this_fiscal_year``)."""
    session = db.session()
    entry = get_visible_entry(slug, user)
    visitor = "" if user else access.visitor_hash(address, current_app.config["SECRET_KEY"])
    access.record_access(session, entry, channel, visitor)
    data = summary_of(entry)
    data.update(
        body=entry.body,
        html=render_markdown(entry.body),
        tags=[t.name for t in entry.tags],
        knowledge_items=[{"id": k.id, "name": k.name} for k in entry.knowledge_items],
        visibility=entry.visibility,
        created_at=entry.created_at.isoformat(),
        accesses={
            "total": access.entry_access_count(session, entry.id),
            "this_fiscal_year": access.entry_access_count(session, entry.id, fiscal_year(utcnow())),
        },
    )
    return data


def list_data(user, type_: str = "", page: int = 1, per_page: int = 30) -> dict:
    """Published entries ``user`` may read, newest first, optionally of one type:
    ``{"type", "total", "page", "pages", "entries": [summary...]}``."""
    session = db.session()
    cond = _visible(user)
    if type_:
        cond = cond & (Entry.type == type_)
    total = session.scalar(select(func.count(Entry.id)).where(cond)) or 0
    pages = max(1, -(-total // per_page))
    page = max(1, min(page, pages))
    rows = session.scalars(
        select(Entry).where(cond).order_by(Entry.updated_at.desc(), Entry.title)
        .offset((page - 1) * per_page).limit(per_page)
    ).all()
    return {"type": type_, "total": total, "page": page, "pages": pages, "entries": [summary_of(e) for e in rows]}


def items_data(user) -> list[dict]:
    """Every knowledge item with its owner unit, kind and number of readable entries."""
    session = db.session()
    counts = dict(session.execute(
        select(entry_knowledge_items.c.knowledge_item_id, func.count())
        .join(Entry, Entry.id == entry_knowledge_items.c.entry_id).where(_visible(user))
        .group_by(entry_knowledge_items.c.knowledge_item_id)
    ).all())
    return [
        {"id": k.id, "name": k.name, "kind": k.kind, "owner": k.owner.name if k.owner else "",
         "description": k.description, "entries": counts.get(k.id, 0)}
        for k in session.scalars(select(KnowledgeItem).order_by(KnowledgeItem.name))
    ]


def item_data(item_id: int, user) -> dict:
    """One knowledge item and the entries ``user`` may read that are tagged to it."""
    session = db.session()
    item = session.get(KnowledgeItem, item_id)
    if item is None:
        abort(404)
    rows = session.scalars(
        select(Entry).join(entry_knowledge_items).where(entry_knowledge_items.c.knowledge_item_id == item.id)
        .where(_visible(user)).order_by(Entry.type, Entry.title)
    ).all()
    return {
        "id": item.id, "name": item.name, "kind": item.kind, "owner": item.owner.name if item.owner else "",
        "description": item.description, "strategic_issue": item.strategic_issue,
        "entries": [summary_of(e) for e in rows],
    }


def tags_data(user) -> list[dict]:
    """Tags used by entries ``user`` may read, with counts, most used first."""
    rows = db.session().execute(
        select(Tag.name, func.count()).join(entry_tags).join(Entry, Entry.id == entry_tags.c.entry_id)
        .where(_visible(user)).group_by(Tag.id, Tag.name).order_by(func.count().desc(), Tag.name)
    ).all()
    return [{"name": name, "entries": n} for name, n in rows]


def tag_data(name: str, user) -> dict:
    """One tag and the entries ``user`` may read that carry it; 404 if unknown."""
    session = db.session()
    tag = session.scalar(select(Tag).where(Tag.name == name))
    if tag is None:
        abort(404)
    rows = session.scalars(
        select(Entry).join(entry_tags).where(entry_tags.c.tag_id == tag.id).where(_visible(user))
        .order_by(Entry.updated_at.desc())
    ).all()
    return {"name": tag.name, "entries": [summary_of(e) for e in rows]}


@bp.get("/entries/")
def entry_list():
    type_ = request.args.get("type", "")
    page = request.args.get("page", "1")
    data = list_data(policy.current_user(), type_, int(page) if page.isdigit() else 1)
    return render_template("entry_list.html", data=data)


@bp.get("/entries/<slug>")
def entry_page(slug: str):
    data = open_entry(slug, policy.current_user(), "web", request.remote_addr)
    return render_template("entry.html", entry=data)


@bp.get("/items/")
def item_list():
    return render_template("items.html", items=items_data(policy.current_user()))


@bp.get("/items/<int:item_id>")
def item_page(item_id: int):
    return render_template("item.html", item=item_data(item_id, policy.current_user()))


@bp.get("/tags/")
def tag_list():
    return render_template("tags.html", tags=tags_data(policy.current_user()))


@bp.get("/tags/<path:name>")
def tag_page(name: str):
    return render_template("tag.html", tag=tag_data(name, policy.current_user()))
