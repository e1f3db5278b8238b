"""The entries blueprint: entry pages, the entry list, knowledge items and tags.

Each page's data comes from one function here, which the JSON API calls too.
"""

from __future__ import annotations

import os

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from sqlalchemy import func, select

from . import access, db, editing, policy, uploads
from .auth import require
from .forms import EntryForm, UploadForm
from .models import (
    ENTRY_STATUSES,
    Attachment,
    Department,
    Entry,
    KnowledgeItem,
    Tag,
    entry_knowledge_items,
    entry_tags,
    utcnow,
)
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
    """Open an entry for reading: record one access if it is published (see
    :mod:`kmrepo.access`) and return its data: the summary fields plus ``body``
    (Markdown), ``html`` (safe rendered body), ``tags``, ``knowledge_items`` (``id``,
    ``name``), ``visibility``, ``status``, ``created_at``, ``attachments`` (``id``,
    ``filename``, ``content_type``, ``size`` in bytes, ``url``), ``accesses``
    (``total`` and ``this_fiscal_year``) and what ``user`` may do: ``can_edit``,
    ``can_upload``, ``actions`` (lifecycle actions, see :mod:`kmrepo.policy`)."""
    session = db.session()
    entry = get_visible_entry(slug, user)
    if entry.status == "published":
        visitor = "" if user else access.visitor_hash(address, current_app.config["SECRET_KEY"])
        access.record_access(session, entry, channel, visitor, user.id if user else None)
    data = summary_of(entry)
    data.update(
        status=entry.status,
        author=entry.author.display_name if entry.author else "",
        attachments=[
            {"id": a.id, "filename": a.filename, "content_type": a.content_type, "size": a.size,
             "url": url_for("entries.attachment", attachment_id=a.id, filename=a.filename)}
            for a in entry.attachments
        ],
        can_edit=policy.can_edit_entry(user, entry),
        can_upload=policy.can_upload(user, entry),
        actions=policy.entry_actions(user, entry),
    )
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
    return render_entry(slug)


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


def workspace_data(user) -> dict:
    """Entries not yet published that ``user`` works on: ``mine`` (its own, any status
    but published) and, for curators, ``queue`` (everything in review or approved)."""
    session = db.session()
    mine = session.scalars(
        select(Entry).where(Entry.author_id == user.id, Entry.status != "published")
        .order_by(Entry.updated_at.desc())
    ).all()
    queue = []
    if policy.is_curator(user):
        queue = session.scalars(
            select(Entry).where(Entry.status.in_(["review", "approved"])).order_by(Entry.updated_at)
        ).all()
    def row(e: Entry) -> dict:
        return {**summary_of(e), "status": e.status, "status_label": ENTRY_STATUSES[e.status]}

    return {"mine": [row(e) for e in mine], "queue": [row(e) for e in queue]}


@bp.get("/workspace")
@require(policy.is_signed_in)
def workspace():
    return render_template("workspace.html", data=workspace_data(policy.current_user()))


def _entry_form(entry: Entry | None) -> EntryForm:
    session = db.session()
    form = EntryForm(obj=entry if request.method == "GET" else None)
    form.knowledge_items.choices = {
        k.id: k.name for k in session.scalars(select(KnowledgeItem).order_by(KnowledgeItem.name))
    }
    form.department.choices = {0: "— ไม่ระบุ —"} | {
        d.id: d.name for d in session.scalars(select(Department).order_by(Department.name))
    }
    if request.method == "GET" and entry is not None:
        form.tags.data = ", ".join(t.name for t in entry.tags)
        form.knowledge_items.data = [k.id for k in entry.knowledge_items]
        form.department.data = entry.department_id or 0
        form.fiscal_year.data = str(entry.fiscal_year or "")
    elif request.method == "GET":
        user = policy.current_user()
        form.department.data = user.department_id or 0
        form.visibility.data = "internal"
    return form


def _fields(form: EntryForm) -> editing.EntryFields:
    return editing.EntryFields(
        title=form.title.data, type=form.type.data, summary=form.summary.data or "", body=form.body.data,
        tags=editing.split_tags(form.tags.data), knowledge_items=form.knowledge_items.data or [],
        department_id=form.department.data or 0, fiscal_year=form.fiscal_year.data,
        visibility=form.visibility.data, featured=form.featured.data,
    )


@bp.route("/entries/new", methods=["GET", "POST"])
@require(policy.can_create_entry)
def entry_new():
    form = _entry_form(None)
    if form.validate_on_submit():
        entry = editing.save_entry(db.session(), None, _fields(form), policy.current_user())
        flash("บันทึกฉบับร่างแล้ว", "info")
        return redirect(url_for("entries.entry_page", slug=entry.slug))
    return render_template("entry_form.html", form=form, entry=None), 400 if form.errors else 200


def _editable(slug: str) -> Entry:
    user = policy.current_user()
    entry = get_visible_entry(slug, user)
    if not policy.can_edit_entry(user, entry):
        abort(403)
    return entry


@bp.route("/entries/<slug>/edit", methods=["GET", "POST"])
@require(policy.is_signed_in)
def entry_edit(slug: str):
    entry = _editable(slug)
    form = _entry_form(entry)
    if form.validate_on_submit():
        editing.save_entry(db.session(), entry, _fields(form), policy.current_user())
        flash("บันทึกการแก้ไขแล้ว", "info")
        return redirect(url_for("entries.entry_page", slug=entry.slug))
    return render_template("entry_form.html", form=form, entry=entry), 400 if form.errors else 200


@bp.post("/entries/<slug>/status")
@require(policy.is_signed_in)
def entry_status(slug: str):
    user = policy.current_user()
    entry = get_visible_entry(slug, user)
    action = request.form.get("action", "")
    try:
        editing.change_status(db.session(), entry, action, user)
    except PermissionError:
        abort(403)
    flash(f"{policy.TRANSITION_LABELS[action]}แล้ว — สถานะ: {ENTRY_STATUSES[entry.status]}", "info")
    return redirect(url_for("entries.entry_page", slug=entry.slug))


@bp.post("/entries/<slug>/files")
@require(policy.is_signed_in)
def entry_upload(slug: str):
    user = policy.current_user()
    entry = get_visible_entry(slug, user)
    if not policy.can_upload(user, entry):
        abort(403)
    form = UploadForm()
    if not form.validate_on_submit():
        flash(" ".join(e for errs in form.errors.values() for e in errs) or "คำขอไม่ถูกต้อง", "error")
        return redirect(url_for("entries.entry_page", slug=entry.slug), code=303)
    upload = form.file.data
    data = upload.read(current_app.config["UPLOAD_MAX_BYTES"] + 1)
    try:
        editing.attach_file(db.session(), entry, upload.filename, data, user, _upload_folder(),
                            current_app.config["UPLOAD_MAX_BYTES"])
    except uploads.UploadRefused as err:
        flash(f"ไม่รับไฟล์: {err.thai}", "error")
        return render_entry(entry.slug, status=400)
    flash(f"แนบไฟล์ {upload.filename} แล้ว", "info")
    return redirect(url_for("entries.entry_page", slug=entry.slug))


def _upload_folder() -> str:
    return os.path.join(current_app.instance_path, "uploads")


@bp.get("/files/<int:attachment_id>/<path:filename>")
def attachment(attachment_id: int, filename: str):
    """Serve an attachment to whoever may read its entry, with safe headers: the
    stored type, nosniff, a sandboxing CSP, and download unless it is a PDF or image."""
    att = db.session().get(Attachment, attachment_id)
    if att is None or att.filename != filename or not policy.can_view_entry(policy.current_user(), att.entry):
        abort(404)
    resp = send_file(
        os.path.join(_upload_folder(), att.stored_name), mimetype=att.content_type,
        as_attachment=att.content_type not in uploads.INLINE_TYPES, download_name=att.filename,
        max_age=0,
    )
    resp.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    resp.headers["Cache-Control"] = "private, no-store"
    return resp


def render_entry(slug: str, status: int = 200):
    """The entry page for ``slug`` (records one access)."""
    data = open_entry(slug, policy.current_user(), "web", request.remote_addr)
    return render_template("entry.html", entry=data, upload_form=UploadForm()), status
