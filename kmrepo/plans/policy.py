"""Who may see the KM plan's indicators: each rule once (docs/roles.md)."""

from __future__ import annotations

from typing import Any

from ..accounts.policy import has_role


def can_view_kpi(user: Any | None) -> bool:
    """The KM plan's indicators (access counts by fiscal year): KM team and CKO, who
    report them to the executives (docs/domain.md, "The KM plan")."""
    return has_role(user, "km_team", "cko")


def can_keep_plans(user: Any | None) -> bool:
    """The KM team writes the KM plan: creates, imports and edits plans and their
    activities, and records progress and hand-entered results."""
    return has_role(user, "km_team")


def can_approve_plan(user: Any | None, plan) -> bool:
    """The CKO approves a draft plan that has activities (docs/roles.md)."""
    return has_role(user, "cko") and plan.status == "draft" and bool(plan.activities)
