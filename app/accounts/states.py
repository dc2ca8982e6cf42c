"""Closed lists of the accounts domain."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.core.states import LabelledEnum


class RequestKind(LabelledEnum):
    NEW = "new", _l("New account")
    TRANSFER = "transfer", _l("Transfer")
    CANCEL = "cancel", _l("Cancel account")


class RequestState(LabelledEnum):
    PENDING = "pending", _l("Pending approval")
    APPROVED = "approved", _l("Approved")
    REJECTED = "rejected", _l("Rejected")


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
