"""The library on the web: home, search, entries, knowledge items, tags, my work,
writing and files, each page beside its JSON twin (:func:`kmrepo.web.page`).

A view reads the request, calls one service function (:mod:`kmrepo.library.service`,
:mod:`kmrepo.library.search`, :mod:`kmrepo.library.access`) and renders or returns JSON.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from markupsafe import Markup
from sqlalchemy import select
from werkzeug.routing import RequestRedirect

from .. import db
from ..accounts.models import Department
from ..accounts.policy import can_manage_users, can_purge_logs, is_signed_in
from ..errors import BadInput, Conflict, NotFound, Refused
from ..privacy import address_hash
from ..web import (
    current_user,
    fiscal_year_arg,
    int_arg,
    is_api,
    page,
    require,
    send_stored,
    template_names,
    upload_folder,
)
from . import access, extract, feedback, index_sync, policy, revisions, search, service, uploads
from .forms import CommentForm, EntryForm, KnowledgeItemForm, PurgeForm, TagRenameForm, UploadForm
from .models import ENTRY_STATUSES, ENTRY_TYPES, KNOWLEDGE_KINDS, VISIBILITIES, KnowledgeItem
from .rendering import render_markdown

bp = Blueprint("library", __name__)


@bp.app_context_processor
def _index_health() -> dict:
    """For administrators on every page: a failed search-index update no repair has
    followed yet (:func:`kmrepo.library.index_sync.index_problem`)."""
    user = current_user()
    return {"index_problem": index_sync.index_problem(db.session()) if can_manage_users(user) else None}

template_names(bp, {"markdown": lambda text: Markup(render_markdown(text))}, library_policy=policy,
               ENTRY_TYPES=ENTRY_TYPES, ENTRY_STATUSES=ENTRY_STATUSES, KNOWLEDGE_KINDS=KNOWLEDGE_KINDS,
               VISIBILITIES=VISIBILITIES)


@bp.get("/favicon.ico")
def favicon():
    """The site's icon where browsers look for it first."""
    return current_app.send_static_file("favicon.ico")


@bp.get("/health")
def health():
    """For monitors (send user agent ``kmrepo-healthcheck``): ``{"status": "ok",
    "entries": n, "index": n, "index_problem": null or {...}}``; 503 when the database
    cannot be read. Never counts as an access."""
    session = db.session()
    try:
        entries = index_sync.searchable_count(session)
    except Exception:  # noqa: BLE001 -- a monitor needs an answer, not a traceback
        return {"status": "database unavailable"}, 503
    backend = index_sync.backend_of(session)
    return {"status": "ok", "entries": entries, "index": backend.count(),
            "index_problem": index_sync.index_problem(session)}


# -- reading -----------------------------------------------------------------------------


@bp.get("/")
def home():
    """The home page: search box, featured and newest entries, knowledge items; its
    data is :func:`kmrepo.library.service.home_data` (JSON: ``/api/home``)."""
    return render_template("library/home.html", data=service.home_data(db.session(), current_user()))


@bp.get("/api/home")
def api_home():
    return service.home_data(db.session(), current_user())


@page(bp, "/search", "/api/search", "library/search.html", context=lambda: {"sorts": search.SORTS})
def search_results():
    """``?q=&type=&department=&item=&year=&sort=&page=&limit=&exact=1``
    (:func:`kmrepo.library.search.search_data`)."""
    return search.search_data(db.session(), current_user(), request.args, current_app.config["PAGE_SIZE"])


@bp.get("/api/suggest")
def api_suggest():
    """``?q=``: suggestions while typing (titles, knowledge items, tags), each with the
    ``url`` it opens."""
    data = search.suggest_data(db.session(), current_user(), request.args.get("q", ""))
    for s in data["suggestions"]:
        s["url"] = _suggestion_url(s["kind"], s["key"])
    return data


def _suggestion_url(kind: str, key) -> str:
    if kind == "entry":
        return url_for("library.entry", slug=key)
    if kind == "item":
        return url_for("library.item", item_id=key)
    return url_for("library.tag", name=key)


@page(bp, "/entries/", "/api/entries", "library/entry_list.html")
def entry_list():
    """``?type=&page=``: published entries, newest first."""
    return service.list_data(db.session(), current_user(), request.args.get("type", ""), int_arg("page"))


def _open(slug: str) -> dict:
    """:func:`kmrepo.library.service.open_entry` for this request (one access), with
    each attachment's URL."""
    user = current_user()
    agent = request.headers.get("User-Agent", "")
    reader = access.Reader(
        user_id=user.id if user else None,
        visitor="" if user else address_hash(f"{request.remote_addr}|{agent}" if request.remote_addr else "",
                                             current_app.config["SECRET_KEY"]),
        user_agent=agent, machine=is_api() and request.headers.get("X-Machine-Read", "") in ("1", "true", "yes"))
    try:
        data = service.open_entry(db.session(), user, slug, "api" if is_api() else "web", reader)
    except NotFound:
        now = service.renamed(db.session(), slug)
        if now is None:
            raise
        # an address the entry had before: to where it is now, page or JSON twin alike
        raise RequestRedirect(url_for("library.api_entry" if is_api() else "library.entry", slug=now)) from None
    for a in data["attachments"]:
        a["url"] = url_for("library.attachment", attachment_id=a["id"], filename=a["filename"])
    return data


@page(bp, "/entries/<slug>", "/api/entries/<slug>", "library/entry.html",
      context=lambda: {"upload_form": UploadForm()})
def entry(slug: str):
    """One entry (records one access)."""
    return _open(slug)


@page(bp, "/items/", "/api/items", "library/items.html")
def item_list():
    """Every knowledge item with its number of readable entries."""
    return service.items_data(db.session(), current_user())


@bp.route("/items/new", methods=["GET", "POST"], endpoint="item_new")
@bp.route("/items/<id:item_id>/edit", methods=["GET", "POST"])
@require(policy.can_keep_items)
def item_edit(item_id: int | None = None):
    """Create or edit a knowledge item (KM team): :func:`service.save_item`."""
    session = db.session()
    item = session.get(KnowledgeItem, item_id) if item_id is not None else None
    if item_id is not None and item is None:
        raise NotFound(f"no knowledge item {item_id}")
    form = KnowledgeItemForm(obj=item if request.method == "GET" else None)
    form.owner.choices = {0: "— ไม่ระบุ —"} | {
        d.id: d.name for d in session.scalars(select(Department).order_by(Department.name))}
    if request.method == "GET" and item is not None:
        form.owner.data = item.owner_id or 0
    if form.validate_on_submit():
        try:
            saved = service.save_item(session, current_user(), item_id, name=form.name.data, kind=form.kind.data,
                                      owner_id=form.owner.data or None, description=form.description.data or "",
                                      strategic_issue=form.strategic_issue.data or "",
                                      retired=bool(form.retired.data))
        except (BadInput, NotFound) as exc:
            session.rollback()
            form.name.errors = [*form.name.errors, exc.thai]
        else:
            flash("บันทึกองค์ความรู้แล้ว", "info")
            return redirect(url_for("library.item", item_id=saved), code=303)
    return render_template("library/item_form.html", form=form, item=item), 400 if form.errors else 200


@page(bp, "/items/<id:item_id>", "/api/items/<id:item_id>", "library/item.html")
def item(item_id: int):
    """One knowledge item and its entries."""
    return service.item_data(db.session(), current_user(), item_id)


@page(bp, "/tags/", "/api/tags", "library/tags.html", context=lambda: {"rename_form": TagRenameForm()})
def tag_list():
    """Tags with their counts, most used first (the KM team also renames and merges
    them here: :func:`tag_rename`)."""
    return service.tags_data(db.session(), current_user())


@bp.post("/tags/rename")
@require(policy.can_curate_tags)
def tag_rename():
    """Rename a tag, or merge it into the tag of the new name (:func:`service.rename_tag`)."""
    form = TagRenameForm()
    if not form.validate_on_submit():
        flash(next(iter(form.new_name.errors or form.name.errors), "กรุณาระบุแท็กและชื่อใหม่"), "error")
        return redirect(url_for("library.tag_list"), code=303)
    try:
        done = service.rename_tag(db.session(), current_user(), form.name.data, form.new_name.data)
    except (BadInput, NotFound) as exc:
        flash(exc.thai, "error")
        return redirect(url_for("library.tag_list"), code=303)
    verb = "รวมเข้ากับแท็ก" if done["merged"] else "เปลี่ยนชื่อเป็น"
    flash(f"{verb} “{done['name']}” แล้ว ({done['entries']} เอกสาร)", "info")
    return redirect(url_for("library.tag_list"), code=303)


@page(bp, "/tags/<path:name>", "/api/tags/<path:name>", "library/tag.html")
def tag(name: str):
    """One tag and its entries."""
    return service.tag_data(db.session(), current_user(), name)


@page(bp, "/workspace", "/api/workspace", "library/workspace.html", check=policy.is_workspace_user)
def workspace():
    """My drafts, and the review queue for curators."""
    return service.workspace_data(db.session(), current_user())


@page(bp, "/entries/<slug>/history", "/api/entries/<slug>/revisions", "library/history.html")
def history(slug: str):
    """Every revision of an entry, oldest first."""
    return revisions.history_data(db.session(), current_user(), slug)


@page(bp, "/entries/<slug>/diff", "/api/entries/<slug>/diff", "library/diff.html")
def diff(slug: str):
    """``?from=N&to=M``: what changed between two revisions, word by word."""
    return revisions.diff_data(db.session(), current_user(), slug, request.args.get("from"), request.args.get("to"))


@page(bp, "/review", "/api/review", "library/review.html", check=policy.is_curator)
def review():
    """Published entries past or near their review date (KM team, CKO)."""
    return revisions.review_data(db.session(), current_user())


@page(bp, "/changes", "/api/changes", "library/changes.html")
def changes():
    """``?page=``: recent changes, newest first (public entries only for anonymous readers)."""
    return revisions.changes_data(db.session(), current_user(), int_arg("page"))


@bp.get("/changes.atom")
def changes_feed():
    """The Atom feed of recent changes to public entries."""
    data = revisions.changes_data(db.session(), None)
    feed = revisions.atom_feed(data, url_for("library.home", _external=True),
                               lambda slug: url_for("library.entry", slug=slug, _external=True),
                               url_for("library.changes_feed", _external=True))
    return Response(feed, mimetype="application/atom+xml")


@bp.post("/entries/<slug>/restore")
@require(policy.is_workspace_user)
def restore(slug: str):
    rev = revisions.restore(db.session(), current_user(), slug, request.form.get("number"))
    flash(f"นำฉบับที่ {rev.number} กลับมาใช้แล้ว (บันทึกเป็นฉบับใหม่)", "info")
    return redirect(url_for("library.history", slug=slug), code=303)


@bp.get("/files/<id:attachment_id>/<path:filename>")
def attachment(attachment_id: int, filename: str):
    """Serve an attachment to whoever may read its entry, with safe headers: the
    stored type, nosniff, a sandboxing CSP, and download unless it is a PDF or image."""
    return send_stored(service.attachment_for(db.session(), current_user(), attachment_id, filename))


# -- writing -----------------------------------------------------------------------------


def _entry_form(entry) -> EntryForm:
    session = db.session()
    form = EntryForm(obj=entry if request.method == "GET" else None)
    # A retired knowledge item is offered only to the entries already tagged to it.
    kept = {k.id for k in entry.knowledge_items} if entry is not None else set()
    form.knowledge_items.choices = {
        k.id: k.name for k in session.scalars(select(KnowledgeItem).order_by(KnowledgeItem.name))
        if not k.retired or k.id in kept
    }
    form.department.choices = {0: "— ไม่ระบุ —"} | {
        d.id: d.name for d in session.scalars(select(Department).order_by(Department.name))
    }
    if request.method == "GET" and entry is not None:
        form.tags.data = ", ".join(t.name for t in entry.tags)
        form.knowledge_items.data = [k.id for k in entry.knowledge_items]
        form.department.data = entry.department_id or 0
        form.fiscal_year.data = str(entry.fiscal_year or "")
        newest = revisions.latest(session, entry)
        form.base_revision.data = str(newest.number if newest else 0)
        # Left empty: the review date follows each change by itself unless the writer sets
        # one (the current date is shown as the field's hint, not sent back as a choice).
        form.review_by.data = ""
    elif request.method == "GET":
        form.department.data = current_user().department_id or 0
        form.visibility.data = "internal"
        chosen = request.args.get("type", "")
        if chosen in ENTRY_TYPES:  # a new entry starts from its type's template
            form.type.data = chosen
            form.body.data = service.template_body(chosen)
    return form


def _fields(form: EntryForm) -> service.EntryFields:
    return service.EntryFields(
        title=form.title.data, type=form.type.data, summary=form.summary.data or "", body=form.body.data,
        tags=service.split_tags(form.tags.data), knowledge_items=form.knowledge_items.data or [],
        department_id=form.department.data or 0, fiscal_year=form.fiscal_year.data,
        visibility=form.visibility.data, featured=form.featured.data, note=form.note.data or "",
        review_by=form.review_by.date,
        base_revision=int(form.base_revision.data) if (form.base_revision.data or "").isdigit()
        and len(form.base_revision.data) < 10 else None,
    )


@bp.route("/entries/new", methods=["GET", "POST"])
@require(policy.can_create_entry)
def entry_new():
    form = _entry_form(None)
    if form.validate_on_submit():
        try:
            entry = service.save_entry(db.session(), None, _fields(form), current_user())
        except BadInput as err:
            form.body.errors = [*form.body.errors, err.thai]
        else:
            flash("บันทึกฉบับร่างแล้ว", "info")
            return redirect(url_for("library.entry", slug=entry.slug))
    return render_template("library/entry_form.html", form=form, entry=None), 400 if form.errors else 200


@bp.route("/entries/<slug>/edit", methods=["GET", "POST"])
@require(policy.is_workspace_user)
def entry_edit(slug: str):
    entry = service.editable_entry(db.session(), current_user(), slug)
    form = _entry_form(entry)
    conflict = None
    if form.validate_on_submit():
        try:
            service.save_entry(db.session(), entry, _fields(form), current_user())
        except Conflict as err:
            # Someone saved since this editor opened: the writer's text stays in the form,
            # with what changed; saving again (on the newest revision now) keeps theirs.
            conflict = {**err.details, "message": err.thai}
            form.base_revision.data = str(err.details.get("revision") or 0)
            entry = service.editable_entry(db.session(), current_user(), slug)
        except BadInput as err:
            db.session().rollback()
            form.body.errors = [*form.body.errors, err.thai]
        else:
            flash("บันทึกการแก้ไขแล้ว", "info")
            return redirect(url_for("library.entry", slug=entry.slug))
    status = 409 if conflict else 400 if form.errors else 200
    return render_template("library/entry_form.html", form=form, entry=entry, conflict=conflict), status


@bp.post("/api/entries/preview")
@require(policy.can_create_entry)
def entry_preview():
    """The editor's live preview: POST ``{"body": markdown}`` (JSON, with the page's
    X-CSRFToken header) → ``{"html", "problem"}`` (:func:`service.preview`)."""
    data = request.get_json(silent=True)
    body = data.get("body") if isinstance(data, dict) else request.form.get("body", "")
    return service.preview(current_user(), body)


@bp.post("/entries/<slug>/delete")
@require(policy.is_workspace_user)
def entry_delete(slug: str):
    title = service.delete_draft(db.session(), current_user(), slug, upload_folder())
    flash(f"ลบฉบับร่าง “{title}” แล้ว", "info")
    return redirect(url_for("library.workspace"), code=303)


@bp.post("/entries/<slug>/files/<id:attachment_id>/remove")
@require(policy.is_workspace_user)
def attachment_remove(slug: str, attachment_id: int):
    name = service.remove_attachment(db.session(), current_user(), slug, attachment_id, upload_folder())
    flash(f"ลบไฟล์แนบ {name} แล้ว", "info")
    return redirect(url_for("library.entry", slug=slug), code=303)


@bp.post("/entries/<slug>/status")
@require(policy.is_workspace_user)
def entry_status(slug: str):
    user = current_user()
    entry = service.entry_for(db.session(), user, slug)
    move = service.change_status(db.session(), entry, request.form.get("action", ""), user)
    flash(f"{move.label}แล้ว — สถานะ: {ENTRY_STATUSES[entry.status]}", "info")
    return redirect(url_for("library.entry", slug=entry.slug))


@bp.post("/entries/<slug>/files")
@require(policy.is_workspace_user)
def entry_upload(slug: str):
    user = current_user()
    entry = service.entry_for(db.session(), user, slug)
    if not policy.can_upload(user, entry):
        raise Refused(f"{user.username} may not attach files to {slug}")
    form = UploadForm()
    if not form.validate_on_submit():
        flash(" ".join(e for errs in form.errors.values() for e in errs) or "คำขอไม่ถูกต้อง", "error")
        return redirect(url_for("library.entry", slug=entry.slug), code=303)
    upload = form.file.data
    limit = current_app.config["UPLOAD_MAX_BYTES"]
    try:
        att = service.attach_file(db.session(), entry, upload.filename, upload.read(limit + 1), user,
                                  upload_folder(), limit)
    except uploads.UploadRefused as err:
        flash(f"ไม่รับไฟล์: {err.thai}", "error")
        return render_template("library/entry.html", data=_open(entry.slug), upload_form=UploadForm()), 400
    note = "" if att.text_status == "unsupported" else f" ({extract.STATUSES[att.text_status]})"
    flash(f"แนบไฟล์ {att.filename} แล้ว{note}", "info")
    return redirect(url_for("library.entry", slug=entry.slug))


@bp.post("/entries/<slug>/useful")
@require(is_signed_in)
def entry_useful(slug: str):
    """Mark the entry useful (``useful=1``) or take the mark back (``useful=0``)."""
    feedback.mark_useful(db.session(), current_user(), slug, request.form.get("useful", "1") != "0")
    return redirect(url_for("library.entry", slug=slug, _anchor="feedback"), code=303)


@bp.post("/entries/<slug>/comments")
@require(is_signed_in)
def entry_comment(slug: str):
    """Add a comment (``body``); the author and the KM team are told."""
    form = CommentForm()
    if not form.validate_on_submit():
        flash(" ".join(e for errs in form.errors.values() for e in errs) or "คำขอไม่ถูกต้อง", "error")
        return redirect(url_for("library.entry", slug=slug, _anchor="feedback"), code=303)
    comment_id = feedback.add_comment(db.session(), current_user(), slug, form.body.data)
    flash("บันทึกความเห็นแล้ว", "info")
    return redirect(url_for("library.entry", slug=slug, _anchor=f"comment-{comment_id}"), code=303)


@bp.post("/comments/<id:comment_id>/delete")
@require(is_signed_in)
def comment_delete(comment_id: int):
    """Delete a comment (its writer or the KM team)."""
    slug = feedback.delete_comment(db.session(), current_user(), comment_id)
    flash("ลบความเห็นแล้ว", "info")
    return redirect(url_for("library.entry", slug=slug, _anchor="feedback"), code=303)


@bp.get("/api/kpi/knowledge")
def api_kpi_knowledge():
    """``?fiscal_year=2570`` (default: the current one): the feedback and revision
    measures of that fiscal year (:func:`feedback.indicators`)."""
    return feedback.indicators(db.session(), fiscal_year_arg())


@bp.route("/admin/access-logs", methods=["GET", "POST"])
@require(can_purge_logs)
def access_logs():
    """The admin's page to delete access rows older than a number of days."""
    form = PurgeForm()
    if form.validate_on_submit():
        n = access.purge_older_than(db.session(), form.days.data, current_user())
        flash(f"ลบบันทึกการเข้าถึงที่เก่ากว่า {form.days.data} วันแล้ว {n} รายการ", "info")
        return redirect(url_for("library.access_logs"))
    return render_template("library/access_logs.html", form=form), 400 if form.errors else 200
