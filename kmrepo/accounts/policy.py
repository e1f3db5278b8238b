"""Who holds which role, and the rules of the accounts area: each rule once.

Views, templates, services and the CLI ask these functions; none tests a role itself.
Roles (docs/roles.md): every active account is a *reader* (reads internal entries
too) and a *trainee* (files its own post-training reports), implicitly; stored roles
are *contributor*, *supervisor*, *km_team*, *cko* and *admin*
(:data:`kmrepo.accounts.models.ROLES`).

``user`` is a :class:`~kmrepo.accounts.models.User`, or None / an anonymous
Flask-Login user. Nothing here imports Flask.
"""

from __future__ import annotations

from typing import Any

#: Roles every active account holds without storing them.
IMPLICIT_ROLES = frozenset({"reader", "trainee"})


def is_signed_in(user: Any | None) -> bool:
    """True for an active, signed-in account."""
    return bool(user is not None and getattr(user, "is_authenticated", False) and getattr(user, "is_active", False))


def roles_of(user: Any | None) -> frozenset[str]:
    """Every role ``user`` holds, implicit ones included; empty for anonymous."""
    if not is_signed_in(user):
        return frozenset()
    return frozenset(user.roles) | IMPLICIT_ROLES


def has_role(user: Any | None, *roles: str) -> bool:
    """True when ``user`` holds at least one of ``roles``."""
    return bool(roles_of(user) & set(roles))


def can_manage_users(user: Any | None) -> bool:
    """Create, change, deactivate accounts and reset passwords: admin only."""
    return has_role(user, "admin")


def can_view_audit(user: Any | None) -> bool:
    """The audit log: admin and CKO."""
    return has_role(user, "admin", "cko")


def can_purge_logs(user: Any | None) -> bool:
    """Delete access logs older than a given age: admin only."""
    return has_role(user, "admin")
