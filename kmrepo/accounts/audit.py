"""The audit log: who created, edited, approved, published, retired, signed in.

Rule (docs/roles.md): every such action writes one
:class:`~kmrepo.accounts.models.AuditEvent`; admin and CKO read the log
(:func:`kmrepo.accounts.policy.can_view_audit`).
Client addresses are kept only as a salted hash.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .. import clock
from ..privacy import address_hash
from .models import AUDIT_ACTIONS, AuditEvent, User


def record(
    session: Session,
    action: str,
    actor: User | None = None,
    *,
    username: str = "",
    target=None,
    detail: str = "",
    address: str | None = None,
    salt: str = "",
) -> AuditEvent:
    """Add one event (not committed: it joins the caller's transaction).

    ``action`` is a key of :data:`~kmrepo.accounts.models.AUDIT_ACTIONS` (ValueError otherwise).
    ``target`` is an Entry, User or Attachment, or None. ``address`` is hashed with
    ``salt`` before it is stored.
    """
    if action not in AUDIT_ACTIONS:
        raise ValueError(f"unknown audit action: {action}")
    event = AuditEvent(
        at=clock.now(),
        actor_id=actor.id if actor is not None else None,
        username=(username or (actor.username if actor is not None else ""))[:64],
        action=action,
        detail=detail,
        address=address_hash(address, salt) if address else "",
    )
    if target is not None:
        kind = type(target).__name__.lower()
        event.target_type = kind
        event.target_id = str(getattr(target, "slug", None) or target.id)
        event.target_label = str(
            getattr(target, "title", None) or getattr(target, "username", None) or getattr(target, "filename", "")
        )[:500]
    session.add(event)
    return event


def count_since(session: Session, action: str, since: datetime, *, username: str = "", address: str = "",
                after: datetime | None = None) -> int:
    """Events of ``action`` at or after ``since`` (and strictly after ``after``, if
    given), for one username and/or address hash."""
    q = select(func.count(AuditEvent.id)).where(AuditEvent.action == action, AuditEvent.at >= since)
    if after is not None:
        q = q.where(AuditEvent.at > after)
    if username:
        q = q.where(AuditEvent.username == username)
    if address:
        q = q.where(AuditEvent.address == address)
    return session.scalar(q) or 0


def last_at(session: Session, action: str, username: str = "", address: str = "",
            after: datetime | None = None) -> datetime | None:
    """When the last event of ``action`` for ``username`` and/or address hash
    ``address`` happened (strictly after ``after``, if given); None if never."""
    q = select(func.max(AuditEvent.at)).where(AuditEvent.action == action)
    if username:
        q = q.where(AuditEvent.username == username)
    if address:
        q = q.where(AuditEvent.address == address)
    if after is not None:
        q = q.where(AuditEvent.at > after)
    return session.scalar(q)


def events(session: Session, *, action: str = "", username: str = "", page: int = 1, per_page: int = 50) -> dict:
    """A page of the log, newest first: ``{"total", "page", "pages", "events": [...]}``;
    each event is ``{"at", "action", "action_label", "username", "target_type",
    "target_id", "target_label", "detail"}``."""
    cond = []
    if action:
        cond.append(AuditEvent.action == action)
    if username:
        cond.append(AuditEvent.username == username.strip().lower())
    total = session.scalar(select(func.count(AuditEvent.id)).where(*cond)) or 0
    pages = max(1, -(-total // per_page))
    page = max(1, min(page, pages))
    rows = session.scalars(
        select(AuditEvent).where(*cond).order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .offset((page - 1) * per_page).limit(per_page)
    ).all()
    return {
        "total": total,
        "page": page,
        "pages": pages,
        "events": [
            {
                "at": e.at.isoformat(),
                "action": e.action,
                "action_label": e.action_label,
                "username": e.username,
                "target_type": e.target_type,
                "target_id": e.target_id,
                "target_label": e.target_label,
                "detail": e.detail,
            }
            for e in rows
        ],
    }
