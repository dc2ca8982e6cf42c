"""Closed lists of the licence domain, with translated labels and the allowed transitions."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.core.states import LabelledEnum


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


# state → states it may move to (the reviewer decides SUBMITTED/RESUBMITTED).
REVIEW_TRANSITIONS: dict[ReviewState, set[ReviewState]] = {
    ReviewState.DRAFT: {ReviewState.SUBMITTED},
    ReviewState.SUBMITTED: {ReviewState.APPROVED, ReviewState.REJECTED},
    ReviewState.RESUBMITTED: {ReviewState.APPROVED, ReviewState.REJECTED},
    ReviewState.REJECTED: {ReviewState.REVISED},
    ReviewState.REVISED: {ReviewState.RESUBMITTED},
    ReviewState.APPROVED: {ReviewState.DEPRECATED},
    ReviewState.DEPRECATED: set(),
}
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
