"""Closed lists of the verification domain (免证办) and the request's state machine."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask_babel import lazy_gettext as _l

from app.core import roles, workflow
from app.core.states import LabelledEnum
from app.core.workflow import Workflow

if TYPE_CHECKING:
    from app.core.actor import Actor


class RequestState(LabelledEnum):
    PENDING = "pending", _l("Awaiting verification")
    VERIFIED = "verified", _l("Verified")
    RETURNED = "returned", _l("Returned")
    REROUTED = "rerouted", _l("Returned and sent on")


class MaterialKind(LabelledEnum):
    """What the window asks for (seed 003 art. 10 (一)–(三))."""

    APPROVAL = "approval", _l("Approval document (文件批复)")
    CERTIFICATE = "certificate", _l("Certificate of facts (证明事项)")
    LICENCE = "licence", _l("Electronic licence not yet shared")


class Complexity(LabelledEnum):
    GENERAL = "general", _l("General (answered at once)")
    COMPLEX = "complex", _l("Complex, or a promised item (承诺件)")


class Channel(LabelledEnum):
    """Where the applicant filed: at a window, or online (longer limits, art. 10 (三) 3)."""

    WINDOW = "window", _l("At the window")
    ONLINE = "online", _l("Filed online by the applicant")


class IdType(LabelledEnum):
    ID_CARD = "id_card", _l("Resident identity card")
    HK_MACAO = "hk_macao", _l("Mainland travel permit for Hong Kong and Macao residents")
    TAIWAN = "taiwan", _l("Mainland travel permit for Taiwan residents")
    PASSPORT = "passport", _l("Passport")
    PERMANENT = "permanent", _l("Foreign permanent resident ID card")


OPEN_STATES = (RequestState.PENDING.value,)
#: Answered by the issuing unit (what its on-time rate counts).
ANSWERED_STATES = (
    RequestState.VERIFIED.value,
    RequestState.RETURNED.value,
    RequestState.REROUTED.value,
)

# The window that accepts the application asks; the issuing unit's window users and operators
# answer (everyone of the unit sees its queue: the liaison too).
REQUESTERS = frozenset({roles.WINDOW_STAFF})
ANSWERERS = frozenset({roles.WINDOW_STAFF, roles.UNIT_OPERATOR})
_ISSUER_ONLY = _l("Only the unit that issues the document answers this request.")
_REQUESTER_ONLY = _l("Only the window that sent the request may send it on.")


def _unit_of(actor: Actor) -> int | None:
    return getattr(actor.user, "unit_id", None)


def of_issuer(actor: Actor, request: Any) -> bool | Any:
    """The actor works for the unit the request is addressed to."""
    if actor.is_system or _unit_of(actor) == request.issuer_unit_id:
        return True
    return _ISSUER_ONLY


def of_requester(actor: Actor, request: Any) -> bool | Any:
    """The actor works for the window's unit that sent the request."""
    if actor.is_system or (request is not None and _unit_of(actor) == request.requester_unit_id):
        return True
    return _REQUESTER_ONLY


def _has_suggestion(actor: Actor, request: Any) -> bool | Any:
    verdict = of_requester(actor, request)
    if verdict is not True:
        return verdict
    if request.suggested_unit_id is None:
        return _l("The issuing unit suggested no unit to send it to.")
    return True


#: 申请 → 核验 (结果 + 凭证) | 退回 (理由 + 转办建议) → 转办 (a new request to the suggested unit).
REQUEST = Workflow(
    "verification_request",
    [
        workflow.Transition(
            "request",
            _l("Request verification"),
            source=None,
            target=RequestState.PENDING.value,
            roles=REQUESTERS,
            role_message=_l("Only window staff (窗口人员) send verification requests."),
        ),
        workflow.Transition(
            "verify",
            _l("Verified: upload the result"),
            source=(RequestState.PENDING.value,),
            target=RequestState.VERIFIED.value,
            roles=ANSWERERS,
            rule=of_issuer,
            closes="verify_deadline",
        ),
        workflow.Transition(
            "return",
            _l("Return: not ours to verify"),
            source=(RequestState.PENDING.value,),
            target=RequestState.RETURNED.value,
            roles=ANSWERERS,
            rule=of_issuer,
            closes="return_deadline",
            needs_reason=True,
            reason_message=_l("Say why the request is returned."),
            style="warning",
        ),
        workflow.Transition(
            "reroute",
            _l("Send on to the suggested unit"),
            source=(RequestState.RETURNED.value,),
            target=RequestState.REROUTED.value,
            roles=REQUESTERS,
            rule=_has_suggestion,
        ),
    ],
    state_label=RequestState.label_of,
)


# -- each unit's 免证办 item list, filed with the office (seed 003 art. 9, 11 (三)) -------------


class ListFilingState(LabelledEnum):
    FILED = "filed", _l("Filed, awaiting acknowledgement")
    ACKNOWLEDGED = "acknowledged", _l("Acknowledged")
    RETURNED = "returned", _l("Returned for correction")


# The unit keeps and files its list; the region's coordinator (the office) or the province
# acknowledges it, as with implementation lists.
LIST_KEEPERS = frozenset({roles.UNIT_OPERATOR})
LIST_OFFICE = frozenset({roles.COUNTY_COORDINATOR, roles.PROVINCE_ADMIN})

LIST_FILING = Workflow(
    "verification_list_filing",
    [
        workflow.Transition(
            "file",
            _l("File the list with the office"),
            source=None,
            target=ListFilingState.FILED.value,
            roles=LIST_KEEPERS,
            role_message=_l("Only the unit's operator (单位经办人) files its list."),
        ),
        workflow.Transition(
            "acknowledge",
            _l("Acknowledge the filing"),
            source=(ListFilingState.FILED.value,),
            target=ListFilingState.ACKNOWLEDGED.value,
            roles=LIST_OFFICE,
        ),
        workflow.Transition(
            "return_filing",
            _l("Return the filing for correction"),
            source=(ListFilingState.FILED.value,),
            target=ListFilingState.RETURNED.value,
            roles=LIST_OFFICE,
            needs_reason=True,
            reason_message=_l("Say what the unit is to correct."),
            style="warning",
        ),
    ],
    state_label=ListFilingState.label_of,
)
