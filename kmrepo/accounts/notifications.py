"""Messages in the site (the bell in the header): any area tells an account something
with :func:`notify`; the account reads them on its notifications page."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .. import clock
from .models import Notification


def notify(session: Session, user_id: int, text: str, url: str = "") -> None:
    """A message in the site for one account (the bell); not committed."""
    session.add(Notification(user_id=user_id, text=text[:500], url=url[:500], created_at=clock.now()))


def notifications_data(session: Session, user) -> dict:
    """``{"unread", "notifications": [{"id", "text", "url", "created_at", "read"}]}``, newest first (50)."""
    rows = session.scalars(select(Notification).where(Notification.user_id == user.id)
                           .order_by(Notification.id.desc()).limit(50)).all()
    return {"unread": unread_count(session, user),
            "notifications": [{"id": n.id, "text": n.text, "url": n.url, "created_at": n.created_at.isoformat(),
                               "read": n.read_at is not None} for n in rows]}


def unread_count(session: Session, user) -> int:
    """How many of ``user``'s notifications are unread."""
    return session.scalar(select(func.count(Notification.id)).where(Notification.user_id == user.id,
                                                                    Notification.read_at.is_(None))) or 0


def mark_read(session: Session, user) -> None:
    """Mark every notification of ``user`` read; commits."""
    for n in session.scalars(select(Notification).where(Notification.user_id == user.id,
                                                        Notification.read_at.is_(None))):
        n.read_at = clock.now()
    session.commit()
