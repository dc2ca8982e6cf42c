"""Domain errors: services raise them, views and APIs render them (403/404/409/422)."""

from __future__ import annotations

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
