"""Revisions of entries: every change of content kept, compared word by word in Thai,
and any version brought back (docs/users/km-team.md, "ประวัติการแก้ไข").

Plain functions (a session and the acting user in, data out; no Flask). A revision holds
an entry's title, summary and body as they were. Saving in the editor, a load of a
changed file and a restore each make one; saving or loading what is already there makes
none.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from indexer.diff import word_diff

from .. import clock
from ..errors import BadInput, NotFound, Refused
from . import policy
from .models import Entry, Revision

Content = tuple[str, str, str]


def content_of(entry: Entry) -> Content:
    """What a revision keeps of an entry: ``(title, summary, body)``."""
    return (entry.title or "", entry.summary or "", entry.body or "")


def latest(session: Session, entry: Entry) -> Revision | None:
    """The entry's newest revision, or None (a new entry, or one from before revisions)."""
    if entry.id is None:
        return None
    return session.scalar(select(Revision).where(Revision.entry_id == entry.id)
                          .order_by(Revision.number.desc()).limit(1))


class Stale(Exception):
    """The change was based on a revision that is no longer the newest: someone else
    saved in between (:func:`record`'s ``based_on``)."""


def record(session: Session, entry: Entry, author_id: int | None, note: str, before: Content | None = None,
           based_on: int | None = None) -> int:
    """Add a revision for ``entry``'s content now, unless it is what the newest revision
    already holds; ``before`` is the content before this change, kept first as
    revision 1 when the entry had no revision yet. Returns how many were added (0–2).
    Not committed: it joins the caller's change.

    ``based_on``: the number of the revision the change was made on (0: none); raises
    :class:`Stale` when the newest is another, read now, just before the new revision
    is added. Two saves that read the same newest at once both pass, and the unique
    (entry, number) of the revision they both add stops the second at its flush."""
    now = content_of(entry)
    last = latest(session, entry)
    if based_on is not None and (last.number if last else 0) != based_on \
            and (last is None or (last.title, last.summary, last.body) != now):
        raise Stale(f"{entry.slug}: revision {last.number if last else 0} is newer than {based_on}")
    added = 0
    number = last.number if last else 0
    if last is None and before is not None and before != now:
        number += 1
        session.add(Revision(entry=entry, number=number, title=before[0], summary=before[1], body=before[2],
                             author_id=entry.author_id, note="ฉบับก่อนมีประวัติการแก้ไข",
                             created_at=entry.updated_at or clock.now()))
        added += 1
    if last is not None and (last.title, last.summary, last.body) == now:
        return added
    renew_review(entry)
    session.add(Revision(entry=entry, number=number + 1, title=now[0], summary=now[1], body=now[2],
                         author_id=author_id, note=(note or "").strip()[:500], created_at=clock.now()))
    return added + 1


def renew_review(entry: Entry) -> None:
    """Content just written or revised is current: its next review falls one
    :func:`~kmrepo.library.policy.review_period` from today (none for types never due)."""
    days = policy.review_period(entry.type or "")
    entry.review_by = clock.today() + timedelta(days=days) if days else None


def review_data(session: Session, user, soon_days: int = 30) -> dict:
    """For the KM team: published entries past their review date (``overdue``, oldest
    first) and due within ``soon_days`` (``due_soon``): ``[{"slug", "title", "type",
    "department", "review_by", "days"}]`` (days to the date, negative when past)."""
    if not policy.is_curator(user):
        raise Refused("the review list is for the KM team and the CKO")
    today = clock.today()
    rows = session.scalars(select(Entry).where(Entry.status == policy.PUBLISHED, Entry.review_by.is_not(None),
                                               Entry.review_by <= today + timedelta(days=soon_days))
                           .order_by(Entry.review_by, Entry.title)).all()

    def row(e: Entry) -> dict:
        return {"slug": e.slug, "title": e.title, "type": e.type, "department": e.department.name if e.department else "",
                "review_by": e.review_by.isoformat(), "days": (e.review_by - today).days}

    return {"today": today.isoformat(), "overdue": [row(e) for e in rows if e.review_by < today],
            "due_soon": [row(e) for e in rows if e.review_by >= today]}


def _entry(session: Session, user, slug: str) -> Entry:
    entry = session.scalar(select(Entry).where(Entry.slug == slug)) if len(slug) <= 200 else None
    if entry is None or not policy.can_view_entry(user, entry):
        raise NotFound(f"no entry {slug!r} that this user may read")
    return entry


def _revision(session: Session, entry: Entry, number) -> Revision:
    text = str(number or "").strip()
    if not text.isdigit() or len(text) > 9:
        raise BadInput(f"revision {text[:20]!r} is not a number", "หมายเลขฉบับต้องเป็นตัวเลข")
    rev = session.scalar(select(Revision).where(Revision.entry_id == entry.id, Revision.number == int(text)))
    if rev is None:
        raise NotFound(f"{entry.slug} has no revision {text}")
    return rev


def last_edit(session: Session, entry: Entry) -> dict | None:
    """Who last changed the entry's content and when: ``{"number", "author", "at",
    "note"}`` (author "" for a load), or None without revisions."""
    rev = latest(session, entry)
    if rev is None:
        return None
    return {"number": rev.number, "author": rev.author.display_name if rev.author else "", "at": rev.created_at.isoformat(),
            "note": rev.note}


def history_data(session: Session, user, slug: str) -> dict:
    """``{"slug", "title", "can_restore", "revisions": [{"number", "created_at", "author",
    "note"}]}``, oldest first (issue 19's shape)."""
    entry = _entry(session, user, slug)
    revs = session.scalars(select(Revision).where(Revision.entry_id == entry.id).order_by(Revision.number)).all()
    return {"slug": entry.slug, "title": entry.title, "can_restore": policy.can_edit_entry(user, entry),
            "revisions": [{"number": r.number, "created_at": r.created_at.isoformat(),
                           "author": r.author.display_name if r.author else "", "note": r.note} for r in revs]}


def diff_data(session: Session, user, slug: str, old, new) -> dict:
    """The word-level changes from revision ``old`` to ``new`` (default: the one before
    the newest, and the newest), title and body: ``{"slug", "from", "to", "title_ops",
    "ops": [{"op": "equal" | "insert" | "delete", "text"}]}``, Thai words whole
    (:func:`indexer.diff.word_diff`)."""
    entry = _entry(session, user, slug)
    count = session.scalar(select(func.max(Revision.number)).where(Revision.entry_id == entry.id)) or 0
    if count == 0:
        raise NotFound(f"{slug} has no revisions")
    a = _revision(session, entry, old or max(1, count - 1))
    b = _revision(session, entry, new or count)
    return {"slug": entry.slug, "title": entry.title, "from": a.number, "to": b.number,
            "title_ops": word_diff(a.title, b.title), "ops": word_diff(a.body, b.body)}


def restore(session: Session, user, slug: str, number) -> Revision:
    """Bring back revision ``number`` as the entry's content: itself a new revision,
    noted as a restore; commits (the index follows). Refused unless ``user`` may edit."""
    entry = _entry(session, user, slug)
    if not policy.can_edit_entry(user, entry):
        raise Refused(f"{getattr(user, 'username', 'anonymous')} may not edit {slug}")
    rev = _revision(session, entry, number)
    before = content_of(entry)
    entry.title, entry.summary, entry.body = rev.title, rev.summary, rev.body
    entry.updated_at = clock.now()
    record(session, entry, user.id, f"นำฉบับที่ {rev.number} กลับมาใช้", before)
    session.commit()
    return rev


def changes_data(session: Session, user, page: int = 1, per_page: int = 50) -> dict:
    """Recent changes: the newest revisions of the published entries ``user`` may read
    (public ones only for anonymous readers), newest first: ``{"page", "pages",
    "changes": [{"slug", "title", "type", "number", "created_at", "author", "note",
    "new"}]}``; ``new`` is True for an entry's first revision."""
    cond = policy.readable_entries(user)
    total = session.scalar(select(func.count(Revision.id)).join(Entry, Entry.id == Revision.entry_id).where(cond)) or 0
    pages = max(1, -(-total // per_page))
    page = max(1, min(page, pages))
    rows = session.execute(
        select(Revision, Entry).join(Entry, Entry.id == Revision.entry_id).where(cond)
        .order_by(Revision.created_at.desc(), Revision.id.desc()).offset((page - 1) * per_page).limit(per_page)
    ).all()
    return {"page": page, "pages": pages, "total": total, "changes": [
        {"slug": e.slug, "title": e.title, "type": e.type, "number": r.number, "created_at": r.created_at.isoformat(),
         "author": r.author.display_name if r.author else "", "note": r.note, "new": r.number == 1}
        for r, e in rows]}


def atom_feed(data: dict, site_url: str, entry_url, feed_url: str) -> bytes:
    """:func:`changes_data` (of an anonymous reader: public entries only) as an Atom
    feed (feedgen), for feed readers and the office's intranet portal."""
    from datetime import UTC, datetime

    from feedgen.feed import FeedGenerator

    feed = FeedGenerator()
    feed.id(feed_url)
    feed.title("คลังความรู้: เอกสารใหม่และที่แก้ไขล่าสุด")
    feed.link(href=site_url, rel="alternate")
    feed.link(href=feed_url, rel="self")
    feed.language("th")
    latest_at = None
    for change in reversed(data["changes"]):  # feedgen puts the last added first
        item = feed.add_entry()
        url = entry_url(change["slug"])
        item.id(f"{url}#r{change['number']}")
        item.title(("เอกสารใหม่: " if change["new"] else "แก้ไข: ") + change["title"])
        item.link(href=url)
        at = datetime.fromisoformat(change["created_at"])
        at = at if at.tzinfo else at.replace(tzinfo=UTC)
        item.updated(at)
        latest_at = max(latest_at or at, at)
        if change["author"]:
            item.author({"name": change["author"]})
        if change["note"]:
            item.summary(change["note"])
    feed.updated(latest_at or clock.now())
    return feed.atom_str(pretty=True)
