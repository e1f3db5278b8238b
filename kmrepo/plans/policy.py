"""Who may see the KM plan's indicators: each rule once (docs/roles.md)."""

from __future__ import annotations

from typing import Any

from ..accounts.policy import has_role


def can_view_kpi(user: Any | None) -> bool:
    """The KM plan's indicators (access counts by fiscal year): KM team and CKO, who
    report them to the executives (docs/domain.md, "The KM plan")."""
    return has_role(user, "km_team", "cko")
