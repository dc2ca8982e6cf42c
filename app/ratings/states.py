"""Closed lists of the ratings domain (好差评) and the rectification ticket's state machine."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.core import roles, workflow
from app.core.states import LabelledEnum
from app.core.workflow import Workflow

if TYPE_CHECKING:
    from app.core.actor import Actor


class Level(LabelledEnum):
    """The national five-point scale; 好评 = the first three, 差评 = the last two."""

    VERY_SATISFIED = "5", _l("Very satisfied")
    SATISFIED = "4", _l("Satisfied")
    FAIRLY_SATISFIED = "3", _l("Fairly satisfied")
    DISSATISFIED = "2", _l("Dissatisfied")
    VERY_DISSATISFIED = "1", _l("Very dissatisfied")

    @property
    def is_poor(self) -> bool:
        return self in (Level.DISSATISFIED, Level.VERY_DISSATISFIED)


POOR_LEVELS = (Level.DISSATISFIED.value, Level.VERY_DISSATISFIED.value)


class Channel(LabelledEnum):
    PC = "pc", _l("Government service website (PC)")
    MOBILE = "mobile", _l("Mobile app")
    WINDOW = "window", _l("Hall window evaluator")
    KIOSK = "kiosk", _l("Self-service terminal")
    HOTLINE = "hotline", _l("12345 hotline")
    SMS = "sms", _l("Text message")


class RaterType(LabelledEnum):
    PERSON = "person", _l("Natural person")
    LEGAL = "legal", _l("Legal person")


class RatingSource(LabelledEnum):
    IMPORT = "import", _l("Imported from the platform")
    MANUAL = "manual", _l("Recorded by hand")


class InvalidReason(LabelledEnum):
    """Why a poor rating may leave the figures (with the county coordinator's agreement)."""

    MALICIOUS = "malicious", _l("Malicious rating")
    WRONG_UNIT = "wrong_unit", _l("Wrong unit")
    NOT_ABOUT_SERVICE = "not_service", _l("Not about the service")


class TicketState(LabelledEnum):
    VERIFY = "verify", _l("To verify")
    INVALID_PENDING = "invalid_pending", _l("Invalid: awaiting the coordinator")
    RECTIFY = "rectify", _l("To rectify")
    CALL_BACK = "call_back", _l("To call back")
    ESCALATED = "escalated", _l("With the coordinator")
    CLOSED = "closed", _l("Closed")
    INVALID = "invalid", _l("Closed as invalid")


OPEN_STATES = (
    TicketState.VERIFY.value,
    TicketState.INVALID_PENDING.value,
    TicketState.RECTIFY.value,
    TicketState.CALL_BACK.value,
    TicketState.ESCALATED.value,
)
#: Where a valid poor rating counts as rectified (整改率).
RECTIFIED_STATES = (TicketState.CALL_BACK.value, TicketState.CLOSED.value)

# The unit answers its poor ratings; the county coordinator may act for it and alone agrees to
# "invalid" and takes the tickets a second unsatisfied call-back sends up.
HANDLERS = frozenset({roles.UNIT_OPERATOR, roles.COUNTY_COORDINATOR})
COORDINATORS = frozenset({roles.COUNTY_COORDINATOR})
_COORDINATOR_ONLY = _l("Only the county coordinator (市县协调员) may decide this.")


def _real_name(actor: Actor, ticket: Any) -> bool | str:
    if ticket.rating.real_name:
        return True
    return _("An anonymous rating cannot be called back.")


def _anonymous(actor: Actor, ticket: Any) -> bool | str:
    if not ticket.rating.real_name:
        return True
    return _("Every real-name poor rating must be called back.")


def _first_unsatisfied(actor: Actor, ticket: Any) -> bool:
    return ticket.rectify_rounds < 2


def _second_unsatisfied(actor: Actor, ticket: Any) -> bool:
    return ticket.rectify_rounds >= 2


#: 核实 → 整改 → 回访 → 办结 (seed 002 art. 23). ``deadline`` is the ticket's N-working-day
#: deadline, closed when the poor rating is rectified (or agreed invalid): 按时整改率.
TICKET = Workflow(
    "rating_ticket",
    [
        workflow.Transition(
            "confirm_valid",
            _l("Verified: the rating is valid"),
            source=(TicketState.VERIFY.value,),
            target=TicketState.RECTIFY.value,
            roles=HANDLERS,
            closes="verify_deadline",
        ),
        workflow.Transition(
            "claim_invalid",
            _l("Verified: the rating is invalid"),
            source=(TicketState.VERIFY.value,),
            target=TicketState.INVALID_PENDING.value,
            roles=HANDLERS,
            closes="verify_deadline",
            needs_reason=True,
            reason_message=_l("Say why the rating is invalid."),
            style="warning",
        ),
        workflow.Transition(
            "agree_invalid",
            _l("Agree: the rating is invalid"),
            source=(TicketState.INVALID_PENDING.value,),
            target=TicketState.INVALID.value,
            roles=COORDINATORS,
            role_message=_COORDINATOR_ONLY,
        ),
        workflow.Transition(
            "refuse_invalid",
            _l("Refuse: the rating is valid"),
            source=(TicketState.INVALID_PENDING.value,),
            target=TicketState.RECTIFY.value,
            roles=COORDINATORS,
            role_message=_COORDINATOR_ONLY,
            needs_reason=True,
            reason_message=_l("Say why the rating is valid."),
            style="danger",
        ),
        workflow.Transition(
            "rectify",
            _l("Rectified: call the rater back"),
            source=(TicketState.RECTIFY.value,),
            target=TicketState.CALL_BACK.value,
            roles=HANDLERS,
            rule=_real_name,
        ),
        workflow.Transition(
            "rectify_close",
            _l("Rectified: close (anonymous rating)"),
            source=(TicketState.RECTIFY.value,),
            target=TicketState.CLOSED.value,
            roles=HANDLERS,
            rule=_anonymous,
        ),
        workflow.Transition(
            "call_back_unreached",
            _l("Call-back: rater not reached"),
            source=(TicketState.CALL_BACK.value,),
            target=TicketState.CALL_BACK.value,
            roles=HANDLERS,
        ),
        workflow.Transition(
            "call_back_satisfied",
            _l("Call-back: rater satisfied"),
            source=(TicketState.CALL_BACK.value,),
            target=TicketState.CLOSED.value,
            roles=HANDLERS,
        ),
        workflow.Transition(
            "call_back_unsatisfied",
            _l("Call-back: rater unsatisfied, rectify again"),
            source=(TicketState.CALL_BACK.value,),
            target=TicketState.RECTIFY.value,
            roles=HANDLERS,
            rule=_first_unsatisfied,
            style="warning",
        ),
        workflow.Transition(
            "call_back_escalate",
            _l("Call-back: rater unsatisfied again, to the coordinator"),
            source=(TicketState.CALL_BACK.value,),
            target=TicketState.ESCALATED.value,
            roles=HANDLERS,
            rule=_second_unsatisfied,
            style="danger",
        ),
        workflow.Transition(
            "coordinator_close",
            _l("Close (coordinator's decision)"),
            source=(TicketState.ESCALATED.value,),
            target=TicketState.CLOSED.value,
            roles=COORDINATORS,
            role_message=_COORDINATOR_ONLY,
            needs_reason=True,
            reason_message=_l("Give the coordinator's decision."),
        ),
    ],
    state_label=TicketState.label_of,
    deadline="deadline",
)
