"""The library's work on entries: reading them, listing them, writing them, moving
them through their lifecycle, attaching files.

Plain functions: a session and the acting user in, data out; no Flask. Who may do what
is asked of :mod:`kmrepo.library.policy`; a refusal raises
:class:`~kmrepo.errors.Refused`, an unknown or unreadable entry
:class:`~kmrepo.errors.NotFound`. Writing functions audit (:mod:`kmrepo.accounts.audit`)
and commit; the search index follows each commit (:mod:`kmrepo.library.index_sync`).
"""

from __future__ import annotations

import os
import re
import secrets
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_dirty

from indexer.diff import word_diff

from .. import clock
from ..accounts import audit
from ..accounts.models import Department, User
from ..base import named
from ..errors import BadInput, Conflict, NotFound, Refused
from ..thai_dates import fiscal_year
from . import access, extract, feedback, policy, revisions, uploads
from .models import (
    ENTRY_STATUSES,
    KNOWLEDGE_KINDS,
    Attachment,
    Entry,
    KnowledgeItem,
    SlugAlias,
    Tag,
    entry_knowledge_items,
    entry_tags,
)
from .rendering import check_renderable, markup_problem, render_document

# -- reading ---------------------------------------------------------------------------


def summary_of(e: Entry) -> dict:
    """The short JSON form of an entry, as lists show it: ``slug``, ``title``, ``type``,
    ``summary``, ``department``, ``fiscal_year``, ``document_date`` (the document's own
    date, ISO, or None) and ``updated_at`` (when it last changed in kmrepo, ISO)."""
    return {
        "slug": e.slug,
        "title": e.title,
        "type": e.type,
        "summary": e.summary,
        "department": e.department.name if e.department else "",
        "fiscal_year": e.fiscal_year,
        "document_date": e.document_date.isoformat() if e.document_date else None,
        "updated_at": e.updated_at.isoformat(),
    }


def renamed(session: Session, slug: str) -> str | None:
    """The address now of the entry that had address ``slug`` before, or None."""
    if len(slug) > 200:
        return None
    return session.scalar(select(Entry.slug).join(SlugAlias, SlugAlias.entry_id == Entry.id)
                          .where(SlugAlias.old_slug == slug))


def entry_for(session: Session, user, slug: str) -> Entry:
    """The entry ``slug`` if ``user`` may read it; :class:`NotFound` otherwise (an
    internal entry is not even admitted to exist)."""
    entry = session.scalar(select(Entry).where(Entry.slug == slug)) if len(slug) <= 200 else None
    if entry is None or not policy.can_view_entry(user, entry):
        raise NotFound(f"no entry {slug!r} that this user may read")
    return entry


def editable_entry(session: Session, user, slug: str) -> Entry:
    """The entry ``slug`` if ``user`` may edit it; NotFound or :class:`Refused`."""
    entry = entry_for(session, user, slug)
    if not policy.can_edit_entry(user, entry):
        raise Refused(f"{getattr(user, 'username', 'anonymous')} may not edit {slug!r}")
    return entry


def open_entry(session: Session, user, slug: str, channel: str, reader: access.Reader | None = None) -> dict:
    """Open an entry for reading: count one access if it is published and the counting
    rule says so (:func:`kmrepo.library.access.record_access`; ``channel`` is ``web`` or
    ``api``, ``reader`` who opened it, by default ``user`` alone) and return its data: the
    :func:`summary_of` fields plus ``status``, ``author``, ``body`` (Markdown), ``html``
    (safe rendered body, :func:`~kmrepo.library.rendering.render_document`), ``toc`` (its
    table of contents: ``level``, ``id``, ``text``), ``tags``, ``knowledge_items`` (``id``, ``name``),
    ``visibility``, ``created_at``, ``attachments`` (``id``, ``filename``,
    ``content_type``, ``size`` in bytes, ``searchable``: whether its text is searched,
    ``text_note``: what a reader is told about it, in Thai), ``accesses`` (``total`` and
    ``this_fiscal_year``), ``feedback`` (:func:`kmrepo.library.feedback.feedback_of`) and
    what ``user`` may do: ``can_edit``, ``can_upload``,
    ``actions`` (lifecycle actions, :data:`kmrepo.library.policy.LIFECYCLE`)."""
    entry = entry_for(session, user, slug)
    if policy.is_searchable(entry):
        access.record_access(session, entry, channel, reader or access.Reader(user_id=user.id if user else None))
    return {
        **summary_of(entry),
        "status": entry.status,
        "department_id": entry.department_id,
        "author": entry.author.display_name if entry.author else "",
        "attachments": [
            {"id": a.id, "filename": a.filename, "content_type": a.content_type, "size": a.size,
             "searchable": a.text_status in ("ok", "in_body"), "text_note": extract.STATUSES.get(a.text_status, "")}
            for a in entry.attachments
        ],
        "can_edit": policy.can_edit_entry(user, entry),
        "can_upload": policy.can_upload(user, entry),
        "can_delete": policy.can_delete_entry(user, entry),
        "actions": policy.entry_actions(user, entry),
        "body": entry.body,
        **dict(zip(("html", "toc"), render_document(entry.body), strict=True)),
        "tags": [t.name for t in entry.tags],
        "knowledge_items": [{"id": k.id, "name": k.name} for k in entry.knowledge_items],
        "visibility": entry.visibility,
        "created_at": entry.created_at.isoformat(),
        "last_edit": revisions.last_edit(session, entry),
        "review_by": entry.review_by.isoformat() if entry.review_by else None,
        "review_overdue": bool(policy.is_searchable(entry) and entry.review_by and entry.review_by < clock.today()),
        "feedback": feedback.feedback_of(session, user, entry),
        "accesses": {
            "total": access.entry_access_count(session, entry.id),
            "this_fiscal_year": access.entry_access_count(session, entry.id, fiscal_year(clock.now())),
        },
    }


def list_data(session: Session, user, type_: str = "", page: int = 1, per_page: int = 30) -> dict:
    """Published entries ``user`` may read, newest first (by the document's own date,
    else by its last change in kmrepo), optionally of one type:
    ``{"type", "total", "page", "pages", "entries": [summary...]}``."""
    cond = policy.readable_entries(user)
    if type_:
        cond = cond & (Entry.type == type_)
    total = session.scalar(select(func.count(Entry.id)).where(cond)) or 0
    pages = max(1, -(-total // per_page))
    page = max(1, min(page, pages))
    rows = session.scalars(
        select(Entry).where(cond)
        .order_by(func.coalesce(Entry.document_date, func.date(Entry.updated_at)).desc(), Entry.updated_at.desc(),
                  Entry.title)
        .offset((page - 1) * per_page).limit(per_page)
    ).all()
    return {"type": type_, "total": total, "page": page, "pages": pages, "entries": [summary_of(e) for e in rows]}


def home_data(session: Session, user) -> dict:
    """The home page: ``latest`` (8 newest readable entries), ``featured`` (up to 6 the
    KM corner features, by title), both as :func:`summary_of`, and every knowledge item
    (``knowledge_items``: ``id``, ``name``)."""
    readable = policy.readable_entries(user)
    latest = session.scalars(
        select(Entry).where(readable).order_by(Entry.updated_at.desc(), Entry.id.desc()).limit(8)
    ).all()
    featured = session.scalars(select(Entry).where(readable, Entry.featured).order_by(Entry.title).limit(6)).all()
    items = session.scalars(select(KnowledgeItem).order_by(KnowledgeItem.name)).all()
    return {
        "latest": [summary_of(e) for e in latest],
        "featured": [summary_of(e) for e in featured],
        "knowledge_items": [{"id": k.id, "name": k.name} for k in items],
    }


def items_data(session: Session, user) -> list[dict]:
    """Every knowledge item with its owner unit, kind and number of readable entries:
    ``[{"id", "name", "kind", "owner", "description", "entries", "retired"}]``, those
    in use first, each part by name."""
    counts = dict(session.execute(
        select(entry_knowledge_items.c.knowledge_item_id, func.count())
        .join(Entry, Entry.id == entry_knowledge_items.c.entry_id).where(policy.readable_entries(user))
        .group_by(entry_knowledge_items.c.knowledge_item_id)
    ).all())
    return [
        {"id": k.id, "name": k.name, "kind": k.kind, "owner": k.owner.name if k.owner else "",
         "description": k.description, "entries": counts.get(k.id, 0), "retired": k.retired}
        for k in session.scalars(select(KnowledgeItem).order_by(KnowledgeItem.retired, KnowledgeItem.name))
    ]


def item_data(session: Session, user, item_id: int) -> dict:
    """One knowledge item (``id``, ``name``, ``kind``, ``owner``, ``description``,
    ``strategic_issue``, ``retired``) and the ``entries`` ``user`` may read that are tagged to it;
    NotFound for an unknown id."""
    item = session.get(KnowledgeItem, item_id)
    if item is None:
        raise NotFound(f"no knowledge item {item_id}")
    rows = session.scalars(
        select(Entry).join(entry_knowledge_items).where(entry_knowledge_items.c.knowledge_item_id == item.id)
        .where(policy.readable_entries(user)).order_by(Entry.type, Entry.title)
    ).all()
    return {
        "id": item.id, "name": item.name, "kind": item.kind, "owner": item.owner.name if item.owner else "",
        "description": item.description, "strategic_issue": item.strategic_issue, "retired": item.retired,
        "entries": [summary_of(e) for e in rows],
    }


def save_item(session: Session, user, item_id: int | None, *, name: str, kind: str, owner_id: int | None,
              description: str = "", strategic_issue: str = "", retired: bool = False) -> int:
    """Create (``item_id`` None) or edit a knowledge item; commits, audits
    (item_saved, or item_retired / item_restored when ``retired`` changes) and, when
    the name changes, re-indexes its entries (search knows items by name). A retired
    item keeps its entries but is offered for no new one. Returns the item's id.

    Refused unless :func:`~kmrepo.library.policy.can_keep_items`; NotFound for an
    unknown item or unit; BadInput for an empty name, a name another item has, or a
    kind not in :data:`KNOWLEDGE_KINDS`.
    """
    if not policy.can_keep_items(user):
        raise Refused(f"{getattr(user, 'username', 'anonymous')} may not keep knowledge items")
    name = " ".join((name or "").split())
    if not name or len(name) > 300:
        raise BadInput("a knowledge item needs a name of at most 300 characters",
                       "กรุณาระบุชื่อองค์ความรู้ (ไม่เกิน ๓๐๐ ตัวอักษร)")
    if kind not in KNOWLEDGE_KINDS:
        raise BadInput(f"unknown kind {kind!r}", "ประเภทความรู้ไม่ถูกต้อง")
    item = KnowledgeItem() if item_id is None else session.get(KnowledgeItem, item_id)
    if item is None:
        raise NotFound(f"no knowledge item {item_id}")
    same = session.scalar(select(KnowledgeItem).where(KnowledgeItem.name == name))
    if same is not None and same is not item:
        raise BadInput(f"another knowledge item is named {name!r}", "มีองค์ความรู้ชื่อนี้อยู่แล้ว")
    owner = session.get(Department, owner_id) if owner_id else None
    if owner_id and owner is None:
        raise NotFound(f"no unit {owner_id}", "ไม่พบหน่วยงานนี้")
    renamed = item.id is not None and item.name != name
    retiring = bool(retired) != bool(item.retired)
    item.name, item.kind, item.owner, item.retired = name, kind, owner, bool(retired)
    item.description, item.strategic_issue = (description or "").strip(), (strategic_issue or "").strip()
    session.add(item)
    if renamed:
        for entry in item.entries:
            flag_dirty(entry)
    session.flush()
    action = ("item_retired" if retired else "item_restored") if retiring and item_id is not None else "item_saved"
    audit.record(session, action, user, detail=f"{item.id}: {name}")
    session.commit()
    return item.id


def tags_data(session: Session, user) -> list[dict]:
    """Tags used by entries ``user`` may read, with counts, most used first:
    ``[{"name", "entries"}]``."""
    rows = session.execute(
        select(Tag.name, func.count()).join(entry_tags).join(Entry, Entry.id == entry_tags.c.entry_id)
        .where(policy.readable_entries(user)).group_by(Tag.id, Tag.name).order_by(func.count().desc(), Tag.name)
    ).all()
    return [{"name": name, "entries": n} for name, n in rows]


def _tag_named(session: Session, name: str) -> Tag | None:
    """The tag called ``name``, or None (a name over 100 characters is no tag's)."""
    return session.scalar(select(Tag).where(Tag.name == name)) if len(name or "") <= 100 else None


def tag_data(session: Session, user, name: str) -> dict:
    """One tag and the entries ``user`` may read that carry it: ``{"name",
    "entries"}``; NotFound if the tag is unknown, or carried only by entries ``user``
    may not read (the answer must not tell that such entries exist)."""
    tag = _tag_named(session, name)
    rows = session.scalars(
        select(Entry).join(entry_tags).where(entry_tags.c.tag_id == tag.id).where(policy.readable_entries(user))
        .order_by(Entry.updated_at.desc())
    ).all() if tag is not None else []
    if not rows:
        raise NotFound(f"no tag {name!r} on an entry this user may read")
    return {"name": tag.name, "entries": [summary_of(e) for e in rows]}


def rename_tag(session: Session, user, name: str, new_name: str) -> dict:
    """Rename tag ``name`` to ``new_name``; when a tag ``new_name`` exists already the
    two are merged: every entry that carried either carries ``new_name`` once, and
    ``name`` is gone. Commits, audits (tag_renamed or tag_merged) and updates the
    search index of those entries. Returns ``{"name", "entries", "merged"}``.

    Refused unless :func:`~kmrepo.library.policy.can_curate_tags`; NotFound for an
    unknown ``name``; BadInput for an empty or too long ``new_name`` (100 characters).
    Entries are not revised (their text is unchanged) and keep their dates.
    """
    if not policy.can_curate_tags(user):
        raise Refused(f"{getattr(user, 'username', 'anonymous')} may not curate tags")
    tags = split_tags(new_name)
    if len(tags) != 1 or len(" ".join((new_name or "").split())) > 100:
        raise BadInput("the new name must be one tag of at most 100 characters",
                       "ชื่อใหม่ต้องเป็นแท็กเดียว ยาวไม่เกิน ๑๐๐ ตัวอักษร และไม่มีจุลภาค")
    target_name = tags[0]
    source = _tag_named(session, name)
    if source is None:
        raise NotFound(f"no tag {name!r}", "ไม่พบแท็กนี้")
    target = session.scalar(select(Tag).where(Tag.name == target_name))
    entries = list(source.entries)
    if target is None or target.id == source.id:
        source.name = target_name
        for entry in entries:  # the index holds tag names: mark each entry for re-indexing
            flag_dirty(entry)
        audit.record(session, "tag_renamed", user, detail=f"{name} → {target_name}")
        session.commit()
        return {"name": target_name, "entries": len(entries), "merged": False}
    for entry in entries:
        if target not in entry.tags:
            entry.tags.append(target)
        entry.tags.remove(source)
    session.delete(source)
    audit.record(session, "tag_merged", user, detail=f"{name} → {target_name}")
    session.commit()
    return {"name": target_name, "entries": len(target.entries), "merged": True}


def workspace_data(session: Session, user) -> dict:
    """Entries not yet published that ``user`` works on: ``mine`` (its own, any status
    but published) and, for curators, ``queue`` (everything in review or approved);
    each a :func:`summary_of` with ``status`` and ``status_label``."""
    mine = session.scalars(
        select(Entry).where(Entry.author_id == user.id, Entry.status != policy.PUBLISHED)
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


def attachment_for(session: Session, user, attachment_id: int, filename: str) -> Attachment:
    """The attachment ``attachment_id`` named ``filename`` if ``user`` may read its
    entry; NotFound otherwise."""
    att = session.get(Attachment, attachment_id)
    if att is None or att.filename != filename or not policy.can_view_entry(user, att.entry):
        raise NotFound(f"no attachment {attachment_id}/{filename}")
    return att


# -- writing ---------------------------------------------------------------------------


@dataclass
class EntryFields:
    """What the entry form edits. ``tags`` are names, ``knowledge_items`` ids,
    ``department_id`` 0 for none, ``fiscal_year`` a Buddhist Era year or None."""

    title: str
    type: str
    summary: str
    body: str
    tags: list[str]
    knowledge_items: list[int]
    department_id: int
    fiscal_year: int | None
    visibility: str
    featured: bool = False
    note: str = ""
    #: When the KM team should review the content; None: one review period of the
    #: type from each change (:func:`kmrepo.library.policy.review_period`).
    review_by: date | None = None
    #: The number of the entry's newest revision when the editor was opened (None: not
    #: known, as from the command line): another save since is a :class:`Conflict`.
    base_revision: int | None = None


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def split_tags(text: str) -> list[str]:
    """Tag names from "a, b, c" (commas, semicolons or new lines), trimmed, unique, in
    order; control characters (a NUL byte) count as spaces."""
    out: list[str] = []
    for part in re.split(r"[,;\n]", text or ""):
        name = " ".join(_CONTROL.sub(" ", part).split())[:100]
        if name and name not in out:
            out.append(name)
    return out


_SLUG_UNSAFE = re.compile(r"[^0-9a-z\u0e00-\u0e7f]+")


def readable_slug(title: str) -> str:
    """The words of ``title`` as an address: Thai and Latin letters and digits, other
    characters as one "-", lower case, at most 60 characters cut at a word ("คู่มือ
    การจัดเก็บภาษีป้าย" → "คู่มือ-การจัดเก็บภาษีป้าย"; browsers show Thai addresses as
    Thai and send them percent-encoded, as Thai sites do). "" when nothing is left."""
    base = _SLUG_UNSAFE.sub("-", (title or "").lower()).strip("-")
    if len(base) > 60:
        base = base[:60].rsplit("-", 1)[0] or base[:60]
    return base


def new_slug(session: Session, title: str) -> str:
    """An address for a new entry: :func:`readable_slug` of ``title`` if it has at least
    3 characters, else ``entry-<8 hex>``; made unique with a suffix, as is a reserved one
    (:data:`kmrepo.library.policy.RESERVED_SLUGS`: "new" becomes "new-2"), and never an
    address another entry had (:class:`~kmrepo.library.models.SlugAlias`)."""
    base = readable_slug(title)
    if len(base) < 3:
        base = f"entry-{secrets.token_hex(4)}"
    slug, n = base, 2
    while (slug in policy.RESERVED_SLUGS or session.scalar(select(Entry.id).where(Entry.slug == slug)) is not None
           or session.scalar(select(SlugAlias.id).where(SlugAlias.old_slug == slug)) is not None):
        slug, n = f"{base}-{n}", n + 1
    return slug


def save_entry(session: Session, entry: Entry | None, fields: EntryFields, user: User) -> Entry:
    """Create (``entry`` None: a draft by ``user``) or update an entry; commits.
    Only those :func:`~kmrepo.library.policy.can_feature` set ``featured``; for others
    it stays what it was. :class:`~kmrepo.errors.BadInput` when the body cannot be
    rendered within bounds (:func:`kmrepo.library.rendering.check_renderable`);
    :class:`Refused` when ``user`` may not create
    (:func:`~kmrepo.library.policy.can_create_entry`) or edit this entry."""
    allowed = policy.can_create_entry(user) if entry is None else policy.can_edit_entry(user, entry)
    if not allowed:
        raise Refused(f"{user.username} may not {'create entries' if entry is None else 'edit ' + entry.slug}")
    check_renderable(fields.body)
    if fields.review_by is not None and not clock.today() < fields.review_by <= clock.today() + timedelta(days=5 * 366):
        raise BadInput("the review date must be after today and within five years",
                       "วันที่ทบทวนต้องเป็นวันหลังจากวันนี้ และไม่เกิน ๕ ปี")
    created = entry is None
    before = None if entry is None else revisions.content_of(entry)
    if entry is None:
        entry = Entry(slug=new_slug(session, fields.title), status="draft", author_id=user.id, created_at=clock.now(),
                      document_date=clock.today())
        session.add(entry)
    entry.title = fields.title.strip()
    entry.type = fields.type
    entry.summary = (fields.summary or "").strip()
    entry.body = _normal_body(fields.body)
    entry.fiscal_year = fields.fiscal_year
    entry.visibility = fields.visibility
    if policy.can_feature(user):
        entry.featured = bool(fields.featured)
    entry.department = session.get(Department, fields.department_id) if fields.department_id else None
    entry.tags = [named(session, Tag, name) for name in fields.tags]
    entry.knowledge_items = [
        k for k in (session.get(KnowledgeItem, i) for i in fields.knowledge_items) if k is not None
    ]
    entry.updated_at = clock.now()
    try:
        revisions.record(session, entry, user.id, fields.note, before,
                         based_on=None if created else fields.base_revision)
        if fields.review_by is not None:
            entry.review_by = fields.review_by
        session.flush()
    except (revisions.Stale, IntegrityError) as exc:  # another save came in since the editor was opened
        session.rollback()
        raise _conflict(session, session.get(Entry, entry.id), fields) from exc
    audit.record(session, "entry_created" if created else "entry_edited", user, target=entry)
    session.commit()
    return entry


def _conflict(session: Session, entry: Entry, fields: EntryFields) -> Conflict:
    newest = revisions.latest(session, entry)
    return Conflict(
        f"{entry.slug} was saved by someone else (revision {newest.number if newest else '?'}) since it was opened",
        "มีผู้อื่นบันทึกเอกสารนี้ไปแล้วหลังจากที่คุณเปิดแก้ไข ข้อความของคุณยังอยู่ในฟอร์ม "
        "ตรวจดูสิ่งที่เปลี่ยนด้านล่าง แล้วกดบันทึกอีกครั้งเพื่อใช้ข้อความของคุณ",
        details={"revision": newest.number if newest else None,
                 "author": newest.author.display_name if newest and newest.author else "",
                 "at": newest.created_at.isoformat() if newest else None,
                 "ops": _around_changes(word_diff(entry.body or "", _normal_body(fields.body)))})


def _around_changes(ops: list[dict], keep: int = 80) -> list[dict]:
    """A word diff with long unchanged stretches shortened to ``keep`` characters at each
    side of a change ("…" between), so the changes of a long entry are seen at once."""
    out = []
    for i, op in enumerate(ops):
        text = op["text"]
        if op["op"] == "equal" and len(text) > 2 * keep + 20:
            head = text[:keep] if i > 0 else ""
            tail = text[-keep:] if i < len(ops) - 1 else ""
            text = f"{head} … {tail}".strip()
        out.append({**op, "text": text})
    return out


def _normal_body(body: str) -> str:
    """A body as it is stored: browser line ends folded, one final new line (so the same
    text saved from the editor and from a file is the same revision)."""
    return body.replace("\r\n", "\n").replace("\r", "\n").strip() + "\n"


def change_status(session: Session, entry: Entry, action: str, user: User) -> policy.Transition:
    """Apply lifecycle ``action`` (a key of :data:`kmrepo.library.policy.TRANSITIONS`)
    and return its :class:`~kmrepo.library.policy.Transition`; :class:`Refused` if
    ``user`` may not take it now. Commits and audits (the transition's audit action)."""
    if action not in policy.entry_actions(user, entry):
        raise Refused(f"{action!r} is not allowed on {entry.slug!r} now", "ไม่สามารถดำเนินการนี้กับเอกสารในสถานะปัจจุบันได้")
    move = policy.TRANSITIONS[action]
    entry.status = move.target
    if move.target == policy.PUBLISHED and entry.review_by is None:
        revisions.renew_review(entry)
    entry.updated_at = clock.now()
    audit.record(session, move.audit, user, target=entry)
    session.commit()
    return move


#: What a new entry of a type starts with: the DLA's manual outline (dla-2562.txt: ที่มา,
#: หลักการและเหตุผล, วัตถุประสงค์, ผังกระบวนการงาน, หลักเกณฑ์และขั้นตอนการปฏิบัติงาน) and the
#: shapes staff use for the others.
TEMPLATES = {
    "manual": ["ที่มา", "หลักการและเหตุผล", "วัตถุประสงค์", "ผังกระบวนการงาน (Work Flow)",
               "หลักเกณฑ์และขั้นตอนการปฏิบัติงาน", "แบบฟอร์มที่ใช้", "เอกสารอ้างอิง"],
    "best_practice": ["ที่มาและปัญหา", "สิ่งที่ทำ (วิธีปฏิบัติ)", "ผลลัพธ์", "ปัจจัยแห่งความสำเร็จ", "ข้อควรระวัง"],
    "lessons_learned": ["เหตุการณ์", "สิ่งที่ได้ผล", "สิ่งที่ควรปรับปรุง", "บทเรียน"],
    "qa": ["ถาม …", "ตอบ …"],
    "regulation": ["ชื่อและเลขที่หนังสือ", "สาระสำคัญ", "ผลต่อการปฏิบัติงาน", "ข้อสังเกต"],
}


def template_body(entry_type: str) -> str:
    """The starting Markdown of a new entry of ``entry_type`` ("" for a type without one)."""
    return "".join(f"## {heading}\n\n\n" for heading in TEMPLATES.get(entry_type, []))


#: The longest body the editor accepts (characters; the entry form's own limit).
MAX_BODY = 500_000


def preview(user, body: str) -> dict:
    """The editor's live preview of Markdown ``body``: ``{"html", "problem"}``.

    ``html`` is exactly what the published page shows (the same sanitised rendering);
    ``problem`` is None, or the Thai reason the text cannot be saved as it is (too
    deeply nested, too many tags: :func:`~kmrepo.library.rendering.markup_problem`).
    Refused for anyone who may not write; BadInput above :data:`MAX_BODY` characters.
    """
    if not policy.can_create_entry(user):
        raise Refused("only writers preview entries")
    if not isinstance(body, str):
        raise BadInput("body must be text", "เนื้อหาต้องเป็นข้อความ")
    if len(body) > MAX_BODY:
        raise BadInput(f"body longer than {MAX_BODY} characters", f"เนื้อหายาวเกิน {MAX_BODY:,} ตัวอักษร")
    problem = markup_problem(body)
    return {"html": render_document(body)[0], "problem": problem[1] if problem else None}


def delete_draft(session: Session, user, slug: str, folder: str) -> str:
    """Delete a draft that was never published, with its attachments (files too);
    commits and audits; returns its title. Refused for anything else."""
    entry = entry_for(session, user, slug)
    if not policy.can_delete_entry(user, entry):
        raise Refused(f"{slug} cannot be deleted", "ลบได้เฉพาะฉบับร่างที่ยังไม่เคยเผยแพร่")
    stored = [a.stored_name for a in entry.attachments]
    title = entry.title
    audit.record(session, "entry_deleted", user, target=entry)
    session.delete(entry)
    session.commit()
    for name in stored:
        uploads.discard(folder, name)
    return title


def remove_attachment(session: Session, user, slug: str, attachment_id: int, folder: str) -> str:
    """Remove one attached file (whoever may attach files may remove them); commits,
    audits and deletes the stored file; returns its name."""
    entry = entry_for(session, user, slug)
    if not policy.can_upload(user, entry):
        raise Refused(f"{user.username} may not remove files of {slug}")
    att = next((a for a in entry.attachments if a.id == attachment_id), None)
    if att is None:
        raise NotFound(f"{slug} has no attachment {attachment_id}")
    name, stored = att.filename, att.stored_name
    entry.attachments.remove(att)
    entry.updated_at = clock.now()
    audit.record(session, "file_removed", user, target=entry, detail=name)
    session.commit()
    uploads.discard(folder, stored)
    return name


def extract_pending(session: Session, folder: str, progress=None) -> dict[str, int]:
    """Read the text of every attachment stored before text was read (status
    ``pending``), so search finds it; commits each file. ``progress`` is called with 1
    per file. Returns the count per status (a file gone from ``folder``: ``failed``)."""
    counts: dict[str, int] = {}
    ids = session.scalars(select(Attachment.id).where(Attachment.text_status == "pending")
                          .order_by(Attachment.id)).all()
    for att_id in ids:
        att = session.get(Attachment, att_id)
        try:
            with open(os.path.join(folder, att.stored_name), "rb") as fh:
                found = extract.extract(att.content_type, fh.read())
        except OSError:
            found = extract.Extracted("", "failed")
        att.text, att.text_status = found.text, found.status
        att.entry.updated_at = clock.now()
        session.commit()
        counts[found.status] = counts.get(found.status, 0) + 1
        if progress:
            progress(1)
    return counts


def pending_count(session: Session) -> int:
    """How many attachments wait for :func:`extract_pending`."""
    return session.scalar(select(func.count(Attachment.id)).where(Attachment.text_status == "pending")) or 0


def attach_file(session: Session, entry: Entry, filename: str | None, data: bytes, user: User, folder: str,
                max_bytes: int) -> Attachment:
    """Check (:func:`kmrepo.library.uploads.check`, raising UploadRefused) and store a file
    for ``entry``; commits and audits. Nothing is written when the check fails;
    :class:`Refused` when ``user`` may not attach files to ``entry``."""
    if not policy.can_upload(user, entry):
        raise Refused(f"{user.username} may not attach files to {entry.slug}")
    return store_attachment(session, entry, filename, data, user, folder, max_bytes)


def store_attachment(session: Session, entry: Entry, filename: str | None, data: bytes, user: User, folder: str,
                     max_bytes: int) -> Attachment:
    """:func:`attach_file` without its permission check, for an area that decided who
    may attach (a trainee to its own report: :mod:`kmrepo.training.service`)."""
    checked = uploads.check(filename, data, max_bytes)
    found = extract.extract(checked.content_type, data)
    with uploads.stored_unless_failed(folder, data) as stored:
        try:
            att = Attachment(entry=entry, stored_name=stored, filename=checked.filename,
                             content_type=checked.content_type, size=checked.size, sha256=checked.sha256,
                             uploaded_by_id=user.id, text=found.text, text_status=found.status)
            session.add(att)
            entry.updated_at = clock.now()  # what it is found by changed: the index's stamp follows
            session.flush()
            audit.record(session, "file_uploaded", user, target=entry, detail=checked.filename)
            session.commit()
        except Exception:
            session.rollback()
            raise
    return att
