"""Closed lists of the accounts domain."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l

from app.core import roles, workflow
from app.core.states import LabelledEnum, ReachKind
from app.core.workflow import Workflow

if TYPE_CHECKING:
    from app.core.actor import Actor


class RequestKind(LabelledEnum):
    NEW = "new", _l("New account")
    TRANSFER = "transfer", _l("Transfer")
    CANCEL = "cancel", _l("Cancel account")


class RequestState(LabelledEnum):
    PENDING = "pending", _l("Pending approval")
    APPROVED = "approved", _l("Approved")
    REJECTED = "rejected", _l("Rejected")


def _decides_for_a_region(actor: Actor, _request: object) -> bool:
    """A coordinator decides with a region's reach (or wider); a unit never approves its own."""
    return actor.reach.kind not in (ReachKind.UNIT, ReachKind.NONE)


APPROVER_ROLES = frozenset({roles.COUNTY_COORDINATOR, roles.PROVINCE_ADMIN})

REQUEST = Workflow(
    "account_request",
    [
        workflow.Transition(
            "approve",
            _l("Approve the request"),
            source=("pending",),
            target="approved",
            roles=APPROVER_ROLES,
            rule=_decides_for_a_region,
        ),
        workflow.Transition(
            "reject",
            _l("Reject"),
            source=("pending",),
            target="rejected",
            roles=APPROVER_ROLES,
            rule=_decides_for_a_region,
            needs_reason=True,
            reason_message=_l("Give the reason for the rejection."),
            style="danger",
        ),
    ],
    state_label=RequestState.label_of,
)


class WindowUserStatus(LabelledEnum):
    ACTIVE = "active", _l("Active")
    CANCELLED = "cancelled", _l("Account cancelled")


class SessionEnd(LabelledEnum):
    LOGOUT = "logout", _l("Signed out")
    IDLE = "idle", _l("Idle timeout")
    FORCED = "forced", _l("Forced logout")
    CREDENTIALS = "credentials", _l("Password changed or account disabled")


class SessionKind(LabelledEnum):
    """How a session was opened: a browser sign-in (cookie) or an API sign-in (JWT)."""

    BROWSER = "browser", _l("Browser")
    API = "api", _l("API")
