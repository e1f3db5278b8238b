"""Who curates the KM corner, and what a corner shows (each rule once)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement

from ..accounts.policy import has_role
from ..library import policy as library_policy
from ..library.models import Entry


def can_curate(user: Any | None) -> bool:
    """The KM team and the CKO choose what the corners show (KMP step 3–4: refined,
    approved knowledge put where staff see it)."""
    return has_role(user, "km_team", "cko")


def can_keep_units(user: Any | None) -> bool:
    """The KM team and administrators add and rename units (a unit's page is its KM
    landing page; accounts are placed in units by administrators)."""
    return has_role(user, "km_team", "admin")


def may_show(entry: Entry) -> bool:
    """Only published knowledge goes into a corner (a draft or retired entry is not
    knowledge the organisation stands behind); :func:`shown` is the same rule in SQL."""
    return entry.status == library_policy.PUBLISHED


def shown() -> ColumnElement[bool]:
    """:func:`may_show` as a condition on :class:`Entry` for queries: a corner shows an
    entry only while it is published (a retired one drops out by itself)."""
    return Entry.status == library_policy.PUBLISHED
