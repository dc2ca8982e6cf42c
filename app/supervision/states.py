"""Closed lists of the supervision domain (监督检查) and the rectification order's state machine."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.core import roles, workflow
from app.core.states import LabelledEnum
from app.core.workflow import Workflow


class Severity(LabelledEnum):
    HIGH = "high", _l("Serious")
    MEDIUM = "medium", _l("Moderate")
    LOW = "low", _l("Minor")


#: Working days a rectification order gives by default, per severity (editable when issued).
DEFAULT_ORDER_DAYS = {Severity.HIGH.value: 5, Severity.MEDIUM.value: 10, Severity.LOW.value: 15}
#: The longest deadline an order may give (working days).
MAX_ORDER_DAYS = 60


class PlanKind(LabelledEnum):
    """Seed 002 art. 35–36: online checks first, on-site checks beside them; seed 000 art. 21:
    clean-up campaigns."""

    ONLINE = "online", _l("Routine online check")
    ONSITE = "onsite", _l("On-site check")
    MYSTERY = "mystery", _l("Mystery shopper")
    CLEANUP = "cleanup", _l("List clean-up campaign")


class FindingSource(LabelledEnum):
    AUTOMATIC = "auto", _l("Automatic check")
    MANUAL = "manual", _l("Recorded by a supervisor")


class FindingState(LabelledEnum):
    OPEN = "open", _l("Awaiting action")
    ORDERED = "ordered", _l("Rectification ordered")
    RESOLVED = "resolved", _l("Resolved by the data")
    CLOSED = "closed", _l("Closed")


#: Findings still standing: a re-run does not add them again.
STANDING_STATES = (FindingState.OPEN.value, FindingState.ORDERED.value)


class OrderState(LabelledEnum):
    ISSUED = "issued", _l("To rectify")
    ANSWERED = "answered", _l("To verify")
    CLOSED = "closed", _l("Closed")


OPEN_ORDER_STATES = (OrderState.ISSUED.value, OrderState.ANSWERED.value)

SUPERVISORS = frozenset({roles.SUPERVISOR})
# The unit answers its orders; the county coordinator may answer for it (DOMAIN.md §1:
# "answers supervision").
ANSWERERS = frozenset({roles.UNIT_OPERATOR, roles.COUNTY_COORDINATOR})

#: 限令整改 (seed 000 art. 22): issued → the unit answers → the supervisor accepts (closed) or
#: rejects with a reason (back to the unit with a new deadline). ``deadline`` is the running
#: rectification deadline, met by the unit's answer.
ORDER = Workflow(
    "supervision_order",
    [
        workflow.Transition(
            "issue",
            _l("Order rectification"),
            source=None,
            target=OrderState.ISSUED.value,
            roles=SUPERVISORS,
        ),
        workflow.Transition(
            "answer",
            _l("Answer with the measures taken"),
            source=(OrderState.ISSUED.value,),
            target=OrderState.ANSWERED.value,
            roles=ANSWERERS,
        ),
        workflow.Transition(
            "accept",
            _l("Accept the rectification"),
            source=(OrderState.ANSWERED.value,),
            target=OrderState.CLOSED.value,
            roles=SUPERVISORS,
        ),
        workflow.Transition(
            "reject",
            _l("Reject: rectify again"),
            source=(OrderState.ANSWERED.value,),
            target=OrderState.ISSUED.value,
            roles=SUPERVISORS,
            needs_reason=True,
            reason_message=_l("Say why the rectification is not accepted."),
            style="danger",
        ),
    ],
    state_label=OrderState.label_of,
    deadline="deadline",
)
