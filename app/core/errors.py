"""Domain errors: services raise them, views and APIs render them (403/404/409/422)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask_babel import lazy_gettext as _l


class DomainError(Exception):
    """Base of every rule violation; ``message`` is translated when rendered."""

    status = 422
    default_message = _l("The request breaks a rule of the system.")

    def __init__(self, message: object | None = None, **params: object) -> None:
        self.message = message if message is not None else self.default_message
        self.params = params
        super().__init__(str(self.message))

    def __str__(self) -> str:
        text = str(self.message)
        return text % self.params if self.params else text


class ValidationError(DomainError):
    status = 422
    default_message = _l("The data is not valid.")

    def __init__(self, errors: dict[str, str] | None = None, message: object | None = None) -> None:
        self.errors = errors or {}
        super().__init__(message)


class OutOfReach(DomainError):
    """The record is outside the actor's reach. Rendered as 404 so that ids leak nothing."""

    status = 404
    default_message = _l("Record not found.")


class Forbidden(DomainError):
    status = 403
    default_message = _l("You are not allowed to do this.")


class StaleRecord(DomainError):
    status = 409
    default_message = _l(
        "This record was changed by someone else after you opened it. "
        "Reload it and apply your change again."
    )


class InvalidTransition(DomainError):
    status = 409
    default_message = _l("This step is not possible in the record's current state.")


# One separator between messages joined into one line (a form's field errors, a row's errors).
MESSAGE_SEPARATOR = "；"


def join_messages(messages: Iterable[object]) -> str:
    """Several translated messages as one line, in the order given."""
    return MESSAGE_SEPARATOR.join(str(message) for message in messages)


def error_payload(error: DomainError) -> dict[str, Any]:
    """What every API answers for a domain error: the translated ``message`` and ``errors``,
    the per-field messages (``{}`` when the error is not about fields)."""
    errors = getattr(error, "errors", None) or {}
    return {
        "message": str(error),
        "errors": {str(field): str(message) for field, message in errors.items()},
    }


def is_api_request() -> bool:
    """Whether the request is answered in JSON (the REST APIs and the public API)."""
    from flask import request

    return request.path.startswith(("/api/", "/public/api/"))


def render_domain_error(error: DomainError, *, redirect_to: str | None = None) -> Any:
    """The one rendering of a domain error, for views and APIs alike: the use case's
    transaction is rolled back; an API answers ``error_payload`` with the error's status, a
    page flashes the message and goes to ``redirect_to`` (default: the page the user came
    from). A view that re-renders its form instead calls ``flash_domain_error``."""
    from flask import jsonify, redirect, request

    from app.extensions import appbuilder, db

    if is_api_request():
        db.session.rollback()
        return jsonify(error_payload(error)), error.status
    flash_domain_error(error)
    return redirect(redirect_to or request.referrer or appbuilder.get_url_for_index)


def flash_domain_error(error: DomainError) -> None:
    """Roll the use case back and show the error on the next page rendered (a form shown
    again with the message, or the page ``render_domain_error`` redirects to)."""
    from flask import flash

    from app.extensions import db

    db.session.rollback()
    flash(str(error), "danger")
