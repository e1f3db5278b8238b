"""Who may see what: the permission rules, in one place.

Views and templates ask these functions; they never test roles themselves.
Rule: anonymous visitors read public, published entries only (issue "Accounts, roles
and security"); signed-in staff also read internal ones.
"""

from __future__ import annotations

from typing import Any

from .models import Entry


def visibilities(user: Any | None) -> list[str]:
    """The entry visibilities ``user`` may read (None is an anonymous visitor)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return ["public"]
    return ["public", "internal"]


def can_view_entry(user: Any | None, entry: Entry) -> bool:
    """True when ``user`` may open ``entry``'s page."""
    return entry.status == "published" and entry.visibility in visibilities(user)


def current_user() -> Any | None:
    """The signed-in user of this request, or None (anonymous)."""
    from flask import g

    return g.get("user")
