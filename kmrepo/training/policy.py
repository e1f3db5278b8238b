"""Who may file, see, approve and follow up post-training reports: each rule once
(docs/roles.md; banmai-municipality.txt §16).

- The trainee files its own report; the KM team (which keeps the training records, as
  HR does) creates records and sees every report; the CKO and the admin see them too.
- An approver sees a report once it reaches the approver's step of the chain (and
  after), never before; a trainee never approves its own report.
- Supervisors follow up (assess the work before and after) the reports they approved.

``user`` is a :class:`~kmrepo.accounts.models.User` or None; nothing here touches the
database but through the objects given.
"""

from __future__ import annotations

from typing import Any

from ..accounts.policy import has_role, is_signed_in
from .models import TrainingRecord

#: Report states in which the trainee may still edit the report.
EDITABLE_STATES = frozenset({"draft", "returned"})


def keeps_records(user: Any | None) -> bool:
    """The KM team (and the admin) keep training records for anyone and see them all."""
    return has_role(user, "km_team", "admin")


def sees_all_reports(user: Any | None) -> bool:
    """The KM team, the CKO and the admin see every record and the deadlines list."""
    return has_role(user, "km_team", "cko", "admin")


def is_trainee(user: Any | None, record: TrainingRecord) -> bool:
    return is_signed_in(user) and record.trainee_id is not None and record.trainee_id == user.id


def can_create_record(user: Any | None, trainee_id: int | None) -> bool:
    """A person records its own training; the KM team anyone's."""
    return is_signed_in(user) and (trainee_id == user.id or keeps_records(user))


def can_edit_report(user: Any | None, record: TrainingRecord) -> bool:
    """The trainee (or the KM team for it) edits the record and report until it is
    submitted, and again when it is returned."""
    return record.state in EDITABLE_STATES and (is_trainee(user, record) or keeps_records(user))


def can_view_record(user: Any | None, record: TrainingRecord, reached: set[int]) -> bool:
    """The trainee, those who see every report, and the approvers the report has
    reached (``reached``: the ids of the approvers of the steps it has been at, acting
    approvers included)."""
    return is_trainee(user, record) or sees_all_reports(user) or (is_signed_in(user) and user.id in reached)


def can_decide(user: Any | None, record: TrainingRecord, approvers_now: set[int]) -> bool:
    """The approver of the step the report waits at (or who acts for that approver
    today: ``approvers_now``) approves or returns it; never its own trainee."""
    return (record.state == "submitted" and is_signed_in(user) and user.id in approvers_now
            and not is_trainee(user, record))


def can_follow_up(user: Any | None, record: TrainingRecord, approved_by: set[int]) -> bool:
    """After approval, a supervisor who approved it (or the KM team) records the
    before/after assessment of the trainee's work (banmai-municipality.txt §16 item 4)."""
    return (record.state in ("approved", "published") and not is_trainee(user, record)
            and is_signed_in(user) and (user.id in approved_by or keeps_records(user)))


def can_keep_chains(user: Any | None) -> bool:
    """Chains of approvers and office holidays are kept by the admin."""
    return has_role(user, "admin")
