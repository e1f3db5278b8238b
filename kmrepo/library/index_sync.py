"""Keeps the search index in step with the database, on every commit.

Any code that adds, changes or deletes an :class:`~kmrepo.library.models.Entry`
through a session from :func:`kmrepo.db.session` updates the index when it commits: documents are
built at flush time (while the rows can be read) and written after the commit succeeds,
so a rolled-back change never reaches the index. A failure to write the index is logged
and leaves the database as committed; ``kmrepo reindex`` repairs the index.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, time

from sqlalchemy import event, func, insert, inspect, select
from sqlalchemy.orm import Session, selectinload

from indexer.backend import IndexDocument, SearchBackend, stamp

from .. import clock
from ..accounts.models import AuditEvent
from . import policy
from .models import Attachment, Entry
from .rendering import plain_text

log = logging.getLogger(__name__)
_BACKEND = "kmrepo.search_backend"
#: Where a watched session keeps its backend (:func:`watch`).
BACKEND_KEY = _BACKEND
_PENDING = "kmrepo.index_pending"


def watch(session: Session, backend: SearchBackend) -> None:
    """Make commits of ``session`` update ``backend``."""
    session.info[_BACKEND] = backend


def backend_of(session: Session) -> SearchBackend:
    """The search backend ``session``'s commits update (:func:`watch`): the one a
    service searches with."""
    return session.info[_BACKEND]


_PLAIN = "_kmrepo_plain_text"


def remember_plain_text(entry: Entry, text: str) -> None:
    """Note that ``text`` is the plain text of ``entry``'s body as it is now (rendered
    elsewhere, in a loader's worker process), so :func:`to_document` need not render
    it again. Forgotten as soon as the body is another string."""
    setattr(entry, _PLAIN, (entry.body, text))


#: What :func:`to_document` reads of each entry, loaded with it.
_LOADS = (selectinload(Entry.tags), selectinload(Entry.knowledge_items), selectinload(Entry.department),
          selectinload(Entry.attachments).undefer(Attachment.text))


_PREPARED = "_kmrepo_prepared"


def remember_prepared(entry: Entry, prepared: object) -> None:
    """Keep what the backend's ``prepare`` made of ``entry`` ahead of time (in a
    loader's worker); the backend uses it only if the entry's text is still what it was
    made from."""
    setattr(entry, _PREPARED, prepared)


def to_document(entry: Entry) -> IndexDocument:
    """The index document for ``entry`` (body rendered to plain text)."""
    known = getattr(entry, _PLAIN, None)
    body = known[1] if known is not None and known[0] is entry.body else plain_text(entry.body)
    return IndexDocument(
        id=entry.slug,
        title=entry.title,
        body=body,
        summary=entry.summary or "",
        tags=[t.name for t in entry.tags],
        type=entry.type,
        department=entry.department.name if entry.department else "",
        knowledge_items=[str(k.id) for k in entry.knowledge_items],
        knowledge_item_names=[k.name for k in entry.knowledge_items],
        fiscal_year=entry.fiscal_year,
        visibility=entry.visibility,
        featured=entry.featured,
        updated_at=entry.updated_at,
        attachments=[(a.filename, a.text) for a in entry.attachments if a.text_status == "ok"],
        dated=datetime.combine(entry.document_date, time(12), tzinfo=UTC) if entry.document_date else None,
        prepared=getattr(entry, _PREPARED, None),
    )


_CHANGED = "kmrepo.index_changed"


@event.listens_for(Session, "after_flush")
def _collect(session: Session, _ctx) -> None:
    """Note what this flush changed: entries added or changed (and those whose attached
    files were), slugs gone. Their documents are built after the flush
    (:func:`_build`), where reading more rows is safe."""
    if _BACKEND not in session.info:
        return
    pending: dict[str, IndexDocument | None] = session.info.setdefault(_PENDING, {})
    changed: dict[int, Entry] = session.info.setdefault(_CHANGED, {})  # by identity: one each
    deleted = session.deleted  # read once: each read builds the set anew
    dirty = [*session.new, *session.dirty]
    # An attached file added or removed changes what its entry is found by.
    dirty += [o.entry for o in [*dirty, *deleted] if isinstance(o, Attachment) and o.entry is not None]
    for obj in dirty:
        if isinstance(obj, Entry) and obj not in deleted and id(obj) not in changed:
            for slug in inspect(obj).attrs.slug.history.deleted or ():
                pending[slug] = None
            changed[id(obj)] = obj
    for obj in deleted:
        if isinstance(obj, Entry):
            pending[obj.slug] = None


@event.listens_for(Session, "after_flush_postexec")
def _build(session: Session, _ctx) -> None:
    changed = session.info.pop(_CHANGED, None)
    if not changed:
        return
    pending = session.info.setdefault(_PENDING, {})
    for entry in changed.values():
        pending[entry.slug] = to_document(entry) if policy.is_searchable(entry) else None


@event.listens_for(Session, "after_commit")
def _apply(session: Session) -> None:
    pending = session.info.pop(_PENDING, None)
    backend = session.info.get(_BACKEND)
    if not pending or backend is None:
        return
    try:
        backend.delete([slug for slug, doc in pending.items() if doc is None])
        backend.add([doc for doc in pending.values() if doc is not None])
    except Exception as exc:  # the database is the source of truth, and it is committed
        log.exception("search index update failed for %s; the database is committed; the index is repaired "
                      "at the next start, or run 'kmrepo reindex'", ", ".join(sorted(pending))[:500])
        _record(session, "index_update_failed", f"{type(exc).__name__}: {exc}; entries: {', '.join(sorted(pending))}")


def _record(session: Session, action: str, detail: str) -> None:
    """An audit event written on a connection of its own (the session that just
    committed can run no more SQL); a failure here is only logged."""
    try:
        with session.get_bind().begin() as conn:
            conn.execute(insert(AuditEvent).values(at=clock.now(), action=action, username="(search index)",
                                                   detail=detail[:2000], target_type="", target_id="",
                                                   target_label="", address=""))
    except Exception:
        log.exception("could not record %s in the audit log", action)


def index_problem(session: Session) -> dict | None:
    """The last failed index update that no repair has followed, as ``{"at", "detail"}``,
    or None when the index is known to follow the database (what the admin is shown)."""
    failed = session.scalar(select(AuditEvent).where(AuditEvent.action == "index_update_failed")
                            .order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(1))
    if failed is None:
        return None
    repaired = session.scalar(select(func.max(AuditEvent.id)).where(AuditEvent.action == "index_repaired"))
    if repaired is not None and repaired > failed.id:
        return None
    return {"at": failed.at.isoformat(), "detail": failed.detail}


def repair(session: Session, backend: SearchBackend) -> tuple[int, int]:
    """Bring ``backend`` back in step with the database after a crash or a failed
    update: every published entry whose stamp the index lacks or has older is indexed
    again, every indexed document that is no published entry is removed. Returns
    ``(indexed, removed)``; records "index_repaired" when it changed anything."""
    wanted = {slug: stamp(updated) for slug, updated in session.execute(
        select(Entry.slug, Entry.updated_at).where(Entry.status == policy.PUBLISHED))}
    have = backend.stamps()
    stale = [slug for slug, s in wanted.items() if have.get(slug) != s]
    extra = [slug for slug in have if slug not in wanted]
    if extra:
        backend.delete(extra)
    if stale:
        rows = session.scalars(select(Entry).where(Entry.slug.in_(stale)).options(
            *_LOADS))
        backend.add([to_document(e) for e in rows])
    if stale or extra or index_problem(session):
        _record(session, "index_repaired", f"indexed again: {len(stale)}, removed: {len(extra)}")
    return len(stale), len(extra)


@event.listens_for(Session, "after_rollback")
def _discard(session: Session) -> None:
    session.info.pop(_PENDING, None)
    session.info.pop(_CHANGED, None)


def ensure_current(session: Session, backend: SearchBackend) -> int | None:
    """Rebuild ``backend`` from the database when it was missing or outdated when opened
    (another schema, analysis or vocabulary; see ``needs_rebuild``); return the number
    of entries indexed, or None when the index was current.

    Called when the application starts, before anything writes to the index: an
    outdated index is emptied when opened and stays marked outdated until rebuilt, so
    entries added to it one by one would be lost at the next start."""
    if not backend.needs_rebuild:
        return None
    return reindex(session, backend)


def searchable_count(session: Session) -> int:
    """How many entries a rebuild indexes (for a progress bar)."""
    return session.scalar(select(func.count(Entry.id)).where(Entry.status == policy.PUBLISHED)) or 0


def reindex(session: Session, backend: SearchBackend, progress=None) -> int:
    """Rebuild ``backend`` from every searchable entry in the database; return the count.

    ``progress`` is called with the number of entries done since its last call.
    """
    rows = session.scalars(
        select(Entry).where(Entry.status == policy.PUBLISHED)
        .options(*_LOADS)
        .order_by(Entry.id)
        .execution_options(yield_per=500)
    )
    n = backend.rebuild((to_document(e) for e in rows), progress=progress)
    _record(session, "index_repaired", f"rebuilt: {n} entries")
    return n
