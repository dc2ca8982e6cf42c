"""Closed lists of the licence domain, with translated labels and the allowed transitions."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.core import roles, workflow
from app.core.states import LabelledEnum
from app.core.workflow import Workflow

if TYPE_CHECKING:
    from app.core.actor import Actor


class HolderCategory(LabelledEnum):
    NATURAL_PERSON = "person", _l("Natural person")
    LEGAL_PERSON = "legal", _l("Legal person")
    OTHER_ORGANISATION = "other", _l("Other organisation")


class ValidityRule(LabelledEnum):
    FIXED_YEARS = "fixed", _l("Fixed number of years")
    LONG_TERM = "long_term", _l("Long-term")
    PER_ISSUE = "per_issue", _l("Set on each issue")


class TrustLevel(LabelledEnum):
    """Seed 000, licence measures art. 14: the two trust levels of an electronic licence."""

    SEALED = "sealed", _l("Sealed with a valid electronic seal: usable directly")
    UNSEALED = "unsealed", _l("Unsealed or scanned: information must be checked")


class FaceFieldType(LabelledEnum):
    TEXT = "text", _l("Text")
    DATE = "date", _l("Date")
    NUMBER = "number", _l("Number")
    CODE = "code", _l("Code")


class ReviewState(LabelledEnum):
    """Registration (art. 6) and usage applications (art. 15) share this review cycle."""

    DRAFT = "draft", _l("Draft")
    SUBMITTED = "submitted", _l("Submitted, awaiting review")
    APPROVED = "approved", _l("Approved / published")
    REJECTED = "rejected", _l("Rejected")
    REVISED = "revised", _l("Revised")
    RESUBMITTED = "resubmitted", _l("Resubmitted")
    DEPRECATED = "deprecated", _l("Deprecated")


# Who registers entries, files usage applications and handles objections (with the reviewer).
ISSUERS = frozenset({roles.UNIT_OPERATOR, roles.COUNTY_COORDINATOR})
OBJECTION_HANDLERS = ISSUERS | {roles.LICENCE_REVIEWER}


def _not_own_submission(actor: Actor, obj: Any) -> bool | str:
    """A reviewer never decides on their own unit's (or their own) submission."""
    if actor.is_system:
        return True
    unit_id = getattr(actor.user, "unit_id", None)
    owner = getattr(obj, "issuing_unit_id", None) or getattr(obj, "applicant_unit_id", None)
    if unit_id is not None and unit_id == owner:
        return _("A submission of your own unit must be reviewed by someone else.")
    if obj.submitted_by_id is not None and obj.submitted_by_id == actor.user_id:
        return _("You cannot review your own submission.")
    return True


_REVIEWER_ONLY = _l("Only a licence reviewer (证照审核员) may decide on a submission.")
_PENDING = ("submitted", "resubmitted")

#: Registration of catalogue entries (art. 6) and usage applications (art. 15).
REVIEW = Workflow(
    "licence_review",
    [
        workflow.Transition(
            "submit",
            _l("Submit for review"),
            source=("draft",),
            target="submitted",
            roles=ISSUERS,
        ),
        workflow.Transition(
            "resubmit",
            _l("Submit for review"),
            source=("revised",),
            target="resubmitted",
            roles=ISSUERS,
        ),
        workflow.Transition(
            "approve",
            _l("Approve (licence review)"),
            source=_PENDING,
            target="approved",
            roles={roles.LICENCE_REVIEWER},
            rule=_not_own_submission,
            role_message=_REVIEWER_ONLY,
        ),
        workflow.Transition(
            "reject",
            _l("Reject"),
            source=_PENDING,
            target="rejected",
            roles={roles.LICENCE_REVIEWER},
            rule=_not_own_submission,
            role_message=_REVIEWER_ONLY,
            needs_reason=True,
            reason_message=_l("Give the reason for the rejection."),
            style="danger",
        ),
        # Editing a rejected entry (or its face fields) revises it.
        workflow.Transition(
            "revise",
            _l("Revised after rejection"),
            source=("rejected",),
            target="revised",
            roles=ISSUERS,
        ),
        workflow.Transition(
            "deprecate",
            _l("Deprecate"),
            source=("approved",),
            target="deprecated",
            roles=ISSUERS,
            needs_reason=True,
            reason_message=_l("Give the reason for the deprecation."),
            style="warning",
        ),
    ],
)
EDITABLE_STATES = {ReviewState.DRAFT, ReviewState.REJECTED, ReviewState.REVISED}
PENDING_STATES = {ReviewState.SUBMITTED, ReviewState.RESUBMITTED}


class UsageAction(LabelledEnum):
    """Art. 15: what a unit may do with another unit's licences."""

    CALL = "call", _l("Call")
    VIEW = "view", _l("View")
    VERIFY = "verify", _l("Verify")
    AUTHORIZE = "authorize", _l("Authorize")


class UsageMode(LabelledEnum):
    GOVERNMENT_SHARING = "sharing", _l("Shared by government function")
    HOLDER_AUTHORISED = "authorised", _l("Used with the holder's real-person authorisation")
    PUBLIC_NOTICE = "public", _l("Public notice")


class ObjectionSource(LabelledEnum):
    HOLDER = "holder", _l("Licence holder")
    USING_UNIT = "using_unit", _l("Using unit")


class ObjectionState(LabelledEnum):
    """Art. 18: mark within 1 working day, verify and tell the applicant within 5."""

    RECEIVED = "received", _l("Received")
    MARKED = "marked", _l("Marked")
    RESOLVED = "resolved", _l("Verified, applicant told")


#: Art. 18: mark within 1 working day, verify and tell the applicant within 5.
OBJECTION = Workflow(
    "licence_objection",
    [
        workflow.Transition(
            "mark",
            _l("Mark the licence as disputed"),
            source=("received",),
            target="marked",
            roles=OBJECTION_HANDLERS,
            closes="mark_deadline",
        ),
        workflow.Transition(
            "resolve",
            _l("Record the outcome"),
            source=("marked",),
            target="resolved",
            roles=OBJECTION_HANDLERS,
            closes="verify_deadline",
            invalid_message=_l("Mark the objection before recording the outcome."),
        ),
    ],
)


class ObjectionOutcome(LabelledEnum):
    CORRECTED = "corrected", _l("Data corrected")
    CONFIRMED = "confirmed", _l("Data confirmed correct")
    PARTLY = "partly", _l("Partly corrected")


class StatusEventType(LabelledEnum):
    """Art. 8: the events an issuing unit must record and synchronise."""

    CHANGE = "change", _l("Change")
    ANNUAL_INSPECTION = "annual", _l("Annual inspection")
    EXTENSION = "extension", _l("Extension")
    REVOCATION = "revocation", _l("Revocation")
    CANCELLATION = "cancellation", _l("Cancellation")
    ANNULMENT = "annulment", _l("Annulment")
    PLEDGE = "pledge", _l("Pledge")
