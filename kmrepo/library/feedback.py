"""Readers' feedback on entries: "useful" marks and comments, and the two indicators
they feed with the entries' revisions (docs/domain.md, "Indicators"):

- usable knowledge (องค์ความรู้ที่นำไปใช้ประโยชน์ได้): published entries that at least one
  reader marked useful in the fiscal year;
- revised entries this fiscal year (จำนวนองค์ความรู้ที่ได้รับการปรับปรุง): entries whose
  content changed in the fiscal year (a revision after the first; a restore counts).

Plain functions: a session and the acting user in, data out; no Flask.
"""

from __future__ import annotations

from sqlalchemy import and_, delete, distinct, func, select
from sqlalchemy.orm import Session

from .. import clock
from ..accounts.models import User, UserRole
from ..accounts.notifications import notify
from ..errors import BadInput, NotFound, Refused
from ..thai_dates import fiscal_year_span
from . import policy
from .models import Comment, Entry, Revision, UsefulMark

#: The longest comment, in characters.
MAX_COMMENT = 2000


def feedback_of(session: Session, user, entry: Entry) -> dict:
    """``{"useful": n, "marked": bool (by ``user``), "can_give": bool, "comments":
    [{"id", "author", "body", "created_at", "can_delete"}]}`` (oldest first)."""
    useful = session.scalar(select(func.count()).select_from(UsefulMark).where(UsefulMark.entry_id == entry.id))
    marked = user is not None and session.get(UsefulMark, (entry.id, user.id)) is not None
    comments = session.scalars(select(Comment).where(Comment.entry_id == entry.id).order_by(Comment.id)).all()
    return {
        "useful": useful or 0, "marked": marked, "can_give": policy.can_give_feedback(user, entry),
        "comments": [{"id": c.id, "author": c.user.display_name if c.user else "(บัญชีที่ถูกลบ)", "body": c.body,
                      "created_at": c.created_at.isoformat(), "can_delete": policy.can_delete_comment(user, c.user_id)}
                     for c in comments],
    }


def _entry(session: Session, user, slug: str) -> Entry:
    entry = session.scalar(select(Entry).where(Entry.slug == slug)) if len(slug) <= 200 else None
    if entry is None or not policy.can_view_entry(user, entry):
        raise NotFound(f"no entry {slug[:200]!r} that this user may read")
    if not policy.can_give_feedback(user, entry):
        raise Refused(f"feedback on {slug} is not open to this reader",
                      "ให้ความเห็นได้เฉพาะเอกสารที่เผยแพร่แล้ว และต้องเข้าสู่ระบบก่อน")
    return entry


def mark_useful(session: Session, user, slug: str, useful: bool = True) -> int:
    """Mark (or unmark) entry ``slug`` useful for ``user``; one mark per reader, so
    marking twice counts once. The author is told of a new mark. Commits; returns the
    entry's number of marks. NotFound for an entry ``user`` may not read, Refused
    unless :func:`~kmrepo.library.policy.can_give_feedback`."""
    entry = _entry(session, user, slug)
    mark = session.get(UsefulMark, (entry.id, user.id))
    if useful and mark is None:
        session.add(UsefulMark(entry_id=entry.id, user_id=user.id, marked_at=clock.now()))
        if entry.author_id and entry.author_id != user.id:
            notify(session, entry.author_id, f"{user.display_name} เห็นว่าเอกสารของคุณมีประโยชน์: {entry.title}",
                   f"/entries/{entry.slug}")
    elif not useful and mark is not None:
        session.delete(mark)
    session.commit()
    return session.scalar(select(func.count()).select_from(UsefulMark).where(UsefulMark.entry_id == entry.id)) or 0


def add_comment(session: Session, user, slug: str, body: str) -> int:
    """Add ``user``'s comment (plain text, trimmed, 1 to :data:`MAX_COMMENT`
    characters) to entry ``slug``; the author and the KM team are told in the site
    (not the commenter). Commits; returns the comment's id. BadInput for an empty or
    too long comment."""
    entry = _entry(session, user, slug)
    body = (body or "").strip()
    if not body or len(body) > MAX_COMMENT:
        raise BadInput(f"a comment has 1 to {MAX_COMMENT} characters",
                       "กรุณาพิมพ์ความเห็น (ไม่เกิน ๒,๐๐๐ ตัวอักษร)")
    comment = Comment(entry_id=entry.id, user_id=user.id, body=body, created_at=clock.now())
    session.add(comment)
    session.flush()
    km_team = session.scalars(select(UserRole.user_id).join(User, User.id == UserRole.user_id)
                              .where(UserRole.role == "km_team", User.active.is_(True))).all()
    for person in {entry.author_id, *km_team} - {None, user.id}:
        notify(session, person, f"ความเห็นใหม่จาก {user.display_name} ในเอกสาร: {entry.title}",
               f"/entries/{entry.slug}#comment-{comment.id}")
    session.commit()
    return comment.id


def delete_comment(session: Session, user, comment_id: int) -> str:
    """Delete a comment (:func:`~kmrepo.library.policy.can_delete_comment`); commits;
    returns its entry's slug."""
    comment = session.get(Comment, comment_id)
    if comment is None:
        raise NotFound(f"no comment {comment_id}", "ไม่พบความเห็นนี้")
    if not policy.can_delete_comment(user, comment.user_id):
        raise Refused(f"may not delete comment {comment_id}", "ลบได้เฉพาะความเห็นของตนเอง")
    slug = session.scalar(select(Entry.slug).where(Entry.id == comment.entry_id))
    session.execute(delete(Comment).where(Comment.id == comment_id))
    session.commit()
    return slug


def indicators(session: Session, fy: int) -> dict:
    """The feedback and revision measures of Buddhist Era fiscal year ``fy``:
    ``{"fiscal_year", "usable_entries", "useful_marks", "comments", "revised_entries"}``
    (see the module docstring; counts of the moments inside the fiscal year in Thai time)."""
    start, end = fiscal_year_span(fy)
    in_year = and_(UsefulMark.marked_at >= start, UsefulMark.marked_at < end)
    published = Entry.status == policy.PUBLISHED
    usable = session.scalar(select(func.count(distinct(UsefulMark.entry_id)))
                            .join(Entry, Entry.id == UsefulMark.entry_id).where(in_year, published))
    marks = session.scalar(select(func.count()).select_from(UsefulMark).where(in_year))
    comments = session.scalar(select(func.count(Comment.id)).where(Comment.created_at >= start,
                                                                   Comment.created_at < end))
    revised = session.scalar(select(func.count(distinct(Revision.entry_id))).where(
        Revision.number > 1, Revision.created_at >= start, Revision.created_at < end))
    return {"fiscal_year": fy, "usable_entries": usable or 0, "useful_marks": marks or 0,
            "comments": comments or 0, "revised_entries": revised or 0}
