"""Who may see and do what: every permission rule of kmrepo, in one place.

Views, templates and the API ask these functions; they never test roles themselves.
Source of the rules: the issue "Accounts, roles and security" and KM-DOMAIN.md
(the KM team collects, refines (กลั่นกรอง), approves and publishes knowledge; the CKO
leads it and sees everything).

- Anonymous visitors read public, published entries only.
- Every active account is a *reader* (reads internal entries too) and has *trainee*
  duties (files its own post-training reports); these two roles are implicit.
- *contributor* writes entries and edits its own until they are published.
- *supervisor* approves the reports of its own unit (the report chain).
- *km_team* curates: edits any entry, moves it through the lifecycle, sees KPIs.
- *cko* approves the plan, sees everything (drafts, KPIs, audit log).
- *admin* manages accounts and settings, sees the audit log, purges old access logs.

``user`` is a :class:`~kmrepo.models.User`, or None / an anonymous Flask-Login user.
"""

from __future__ import annotations

from typing import Any

from .models import Entry

#: Roles every active account holds without storing them.
IMPLICIT_ROLES = frozenset({"reader", "trainee"})

#: Entry lifecycle moves: action → (from status, to status, roles allowed). The author
#: may also submit its own draft. Lifecycle: KM-DOMAIN.md "What is stored".
ENTRY_TRANSITIONS: dict[str, tuple[str, str, frozenset[str]]] = {
    "submit": ("draft", "review", frozenset({"km_team"})),
    "return": ("review", "draft", frozenset({"km_team", "cko"})),
    "approve": ("review", "approved", frozenset({"km_team", "cko"})),
    "publish": ("approved", "published", frozenset({"km_team"})),
    "retire": ("published", "retired", frozenset({"km_team", "cko"})),
    "restore": ("retired", "published", frozenset({"km_team", "cko"})),
}

#: Thai labels of the lifecycle actions (buttons).
TRANSITION_LABELS = {
    "submit": "ส่งกลั่นกรอง",
    "return": "ส่งกลับไปแก้ไข",
    "approve": "อนุมัติให้เผยแพร่",
    "publish": "เผยแพร่",
    "retire": "เลิกใช้",
    "restore": "นำกลับมาเผยแพร่",
}


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


def visibilities(user: Any | None) -> list[str]:
    """The entry visibilities ``user`` may read."""
    return ["public", "internal"] if is_signed_in(user) else ["public"]


def is_curator(user: Any | None) -> bool:
    """KM team and CKO: see entries in every state of the lifecycle."""
    return has_role(user, "km_team", "cko")


def _is_author(user: Any | None, entry: Entry) -> bool:
    return is_signed_in(user) and entry.author_id is not None and entry.author_id == user.id


def can_view_entry(user: Any | None, entry: Entry) -> bool:
    """Published entries of a visibility ``user`` may read; unpublished ones only for
    their author and curators."""
    if entry.status == "published":
        return entry.visibility in visibilities(user)
    return is_curator(user) or _is_author(user, entry)


def can_create_entry(user: Any | None) -> bool:
    """Contributors and the KM team write new entries."""
    return has_role(user, "contributor", "km_team")


def can_edit_entry(user: Any | None, entry: Entry) -> bool:
    """The KM team edits any entry that is not retired; a contributor edits its own
    entry while it is a draft."""
    if has_role(user, "km_team"):
        return entry.status != "retired"
    return has_role(user, "contributor") and _is_author(user, entry) and entry.status == "draft"


def entry_actions(user: Any | None, entry: Entry) -> list[str]:
    """The lifecycle actions (keys of :data:`ENTRY_TRANSITIONS`) ``user`` may take on
    ``entry`` now."""
    allowed = []
    for action, (source, _target, roles) in ENTRY_TRANSITIONS.items():
        if entry.status != source:
            continue
        if has_role(user, *roles) or (action == "submit" and _is_author(user, entry)):
            allowed.append(action)
    return allowed


def can_upload(user: Any | None, entry: Entry) -> bool:
    """Files are attached by whoever may edit the entry."""
    return can_edit_entry(user, entry)


def can_view_kpi(user: Any | None) -> bool:
    """The KM plan's indicators (access counts by fiscal year): KM team and CKO."""
    return has_role(user, "km_team", "cko")


def can_manage_users(user: Any | None) -> bool:
    """Create, change, deactivate accounts and reset passwords: admin only."""
    return has_role(user, "admin")


def can_view_audit(user: Any | None) -> bool:
    """The audit log: admin and CKO."""
    return has_role(user, "admin", "cko")


def can_purge_logs(user: Any | None) -> bool:
    """Delete access logs older than a given age: admin only."""
    return has_role(user, "admin")


def current_user() -> Any | None:
    """The signed-in user of this request, or None (anonymous)."""
    from flask_login import current_user as proxy

    user = proxy._get_current_object()
    return user if is_signed_in(user) else None
