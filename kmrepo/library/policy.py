"""Who may read, write and move entries through their lifecycle: each rule once.

Views, templates, services, the index sync and the CLI ask these; none tests a role or
a status itself. Sources: docs/domain.md ("The life of an entry") and docs/roles.md.

- Anonymous visitors read public, published entries only; every account reads
  internal ones too (:func:`readable_entries`, :func:`can_view_entry`).
- *contributor* writes entries and edits its own drafts; the KM team edits any entry
  that is not retired (:func:`can_edit_entry`); only the KM team features entries in
  the KM corner (:func:`can_feature`).
- Moves through the lifecycle are the rows of :data:`LIFECYCLE`.

``user`` is a :class:`~kmrepo.accounts.models.User`, or None for anonymous.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement

from ..accounts.policy import has_role, is_signed_in
from .models import Entry

#: The one status in which an entry is read by everyone allowed, searched and counted
#: as an access (docs/domain.md, "The life of an entry").
PUBLISHED = "published"


@dataclass(frozen=True)
class Transition:
    """One move of the entry lifecycle: ``action`` takes an entry from ``source`` to
    ``target`` status; ``roles`` may take it (and the author too, when
    ``author_may``); ``label`` is the Thai button text; ``audit`` the audit action
    (a key of :data:`kmrepo.accounts.models.AUDIT_ACTIONS`) it is recorded as."""

    action: str
    source: str
    target: str
    roles: frozenset[str]
    label: str
    audit: str
    author_may: bool = False


#: The entry lifecycle: draft → review (กลั่นกรอง) → approved → published → retired,
#: and back (docs/domain.md, "The life of an entry").
LIFECYCLE: tuple[Transition, ...] = (
    Transition("submit", "draft", "review", frozenset({"km_team"}), "ส่งกลั่นกรอง", "entry_submitted",
               author_may=True),
    Transition("return", "review", "draft", frozenset({"km_team", "cko"}), "ส่งกลับไปแก้ไข", "entry_returned"),
    Transition("approve", "review", "approved", frozenset({"km_team", "cko"}), "อนุมัติให้เผยแพร่",
               "entry_approved"),
    Transition("publish", "approved", PUBLISHED, frozenset({"km_team"}), "เผยแพร่", "entry_published"),
    Transition("retire", PUBLISHED, "retired", frozenset({"km_team", "cko"}), "เลิกใช้", "entry_retired"),
    Transition("restore", "retired", PUBLISHED, frozenset({"km_team", "cko"}), "นำกลับมาเผยแพร่",
               "entry_published"),
)
#: :data:`LIFECYCLE` by action.
TRANSITIONS: dict[str, Transition] = {t.action: t for t in LIFECYCLE}


#: Slugs an entry may not have: the site's own addresses under ``/entries/``
#: (``/entries/new`` is the editor of a new entry).
RESERVED_SLUGS = frozenset({"new"})


#: How long published content stays current before the KM team reviews it, per entry
#: type (docs/domain.md, "The life of an entry": obsolete knowledge is discarded, KMP
#: step 2). A type not listed: :data:`DEFAULT_REVIEW_DAYS`; None: never due.
REVIEW_DAYS: dict[str, int | None] = {"qa": 180, "regulation": 365, "manual": 365, "best_practice": 730,
                                      "lessons_learned": 730, "km_plan": 365, "training_report": None,
                                      "article": 365}
DEFAULT_REVIEW_DAYS = 365


def review_period(entry_type: str) -> int | None:
    """Days from publication or revision to the next review of an entry of this type."""
    return REVIEW_DAYS.get(entry_type, DEFAULT_REVIEW_DAYS)


def visibilities(user: Any | None) -> list[str]:
    """The entry visibilities ``user`` may read."""
    return ["public", "internal"] if is_signed_in(user) else ["public"]


def readable_entries(user: Any | None) -> ColumnElement[bool]:
    """The SQL condition on :class:`Entry` for "published and readable by ``user``":
    what lists, counts, suggestions and facets show."""
    return (Entry.status == PUBLISHED) & Entry.visibility.in_(visibilities(user))


def is_searchable(entry: Entry) -> bool:
    """Only published entries are in the search index (drafts and retired ones are not)."""
    return entry.status == PUBLISHED


def is_curator(user: Any | None) -> bool:
    """KM team and CKO: see entries in every state of the lifecycle."""
    return has_role(user, "km_team", "cko")


def is_author(user: Any | None, entry: Entry) -> bool:
    """True when ``user`` wrote ``entry``."""
    return is_signed_in(user) and entry.author_id is not None and entry.author_id == user.id


def can_view_entry(user: Any | None, entry: Entry) -> bool:
    """Published entries of a visibility ``user`` may read; unpublished ones only for
    their author and curators."""
    if entry.status == PUBLISHED:
        return entry.visibility in visibilities(user)
    return is_curator(user) or is_author(user, entry)


def can_create_entry(user: Any | None) -> bool:
    """Contributors and the KM team write new entries (and use the editor's preview)."""
    return has_role(user, "contributor", "km_team")


def can_edit_entry(user: Any | None, entry: Entry) -> bool:
    """The KM team edits any entry that is not retired; a contributor edits its own
    entry while it is a draft."""
    if has_role(user, "km_team"):
        return entry.status != "retired"
    return has_role(user, "contributor") and is_author(user, entry) and entry.status == "draft"


def can_feature(user: Any | None) -> bool:
    """Featuring an entry in the KM corner is the KM team's call."""
    return has_role(user, "km_team")


def entry_actions(user: Any | None, entry: Entry) -> list[str]:
    """The lifecycle actions (keys of :data:`TRANSITIONS`) ``user`` may take on
    ``entry`` now, in :data:`LIFECYCLE` order."""
    return [
        t.action for t in LIFECYCLE
        if entry.status == t.source and (has_role(user, *t.roles) or (t.author_may and is_author(user, entry)))
    ]


def can_delete_entry(user: Any | None, entry: Entry) -> bool:
    """A draft that was never published is deleted by whoever may edit it; published
    knowledge is retired instead, never deleted (its accesses and history stay)."""
    return entry.status == "draft" and can_edit_entry(user, entry)


def can_upload(user: Any | None, entry: Entry) -> bool:
    """Files are attached by whoever may edit the entry."""
    return can_edit_entry(user, entry)


def can_keep_items(user: Any | None) -> bool:
    """The KM team creates and edits knowledge items (the KM plan's list: KMP step 1,
    identifying knowledge)."""
    return has_role(user, "km_team")


def can_curate_tags(user: Any | None) -> bool:
    """The KM team renames and merges tags (KMP step 3, organising knowledge)."""
    return has_role(user, "km_team")


def can_give_feedback(user: Any | None, entry: Entry) -> bool:
    """Signed-in readers mark published entries useful and comment on them (one who may
    read the entry: :func:`can_view_entry`, checked where the entry is found)."""
    return is_signed_in(user) and entry.status == PUBLISHED


def can_delete_comment(user: Any | None, commenter_id: int | None) -> bool:
    """A comment is deleted by its writer or the KM team (who moderate the library)."""
    return is_signed_in(user) and (commenter_id == user.id or has_role(user, "km_team"))


def is_workspace_user(user: Any | None) -> bool:
    """"งานของฉัน" (my drafts, and the review queue for curators): every account."""
    return is_signed_in(user)
