"""The one way to change a record's state: declared transitions, one ``can``, one ``apply``.

A domain declares its state machine once, as a :class:`Workflow` of :class:`Transition`\\ s
(from-states, to-state, the roles allowed, an optional rule about the actor and the record).
:func:`can` answers whether a button is shown; :func:`guard` raises the domain error for the
same judgement (role → 403, reach → 404, state → 409, the rule → 403), so a button is shown
exactly when pressing it would not be refused by these checks. :func:`apply` runs a transition:
guard, optimistic lock (the version the user loaded), required reason, state change, the open
deadline closed, the audit record. What only one domain records (an adjustment's step rows, a
filing's decision fields) the domain writes right after ``apply``, in the same transaction.
Services call these; they never commit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from app.core import roles
from app.core.actor import Actor
from app.core.audit import AuditAction, record
from app.core.calendar import close_deadline
from app.core.errors import DomainError, Forbidden, InvalidTransition, OutOfReach, ValidationError
from app.core.services import check_version

#: A rule beyond role, reach and state: True (or None) allows; False refuses with Forbidden's
#: default message; a string refuses with that (translated) message.
Rule = Callable[[Actor, Any], bool | str | None]


@dataclass(frozen=True)
class Transition:
    """One step of a state machine.

    ``source`` None: the transition creates its record (no state to check; ``can`` is then
    asked with the record the new one will belong to, or with none for a page's button).
    ``closes``: the attribute of the deadline this step completes (None: the workflow's).
    """

    name: str
    label: Any
    source: tuple[str, ...] | None
    target: str
    roles: frozenset[str]
    rule: Rule | None = None
    needs_reason: bool = False
    reason_message: Any = None
    closes: str | None = None
    invalid_message: Any = None
    #: The refusal when the actor's roles do not allow it (None: Forbidden's default).
    role_message: Any = None
    #: The button's text where it differs from the step's name in the history (``label``).
    button: Any = None
    style: str = "primary"

    @property
    def button_label(self) -> Any:
        return self.button if self.button is not None else self.label

    def __post_init__(self) -> None:
        object.__setattr__(self, "roles", frozenset(self.roles))


@dataclass
class Workflow:
    """The transitions of one kind of record; ``deadline`` names the attribute of the
    deadline that a step completes by default (None: no deadline)."""

    name: str
    transitions: Iterable[Transition]
    state_attr: str = "state"
    state_label: Callable[[str | None], str] | None = None
    deadline: str | None = None
    #: The refusal for a wrong state, with %(transition)s and %(state)s (None: the default).
    invalid_message: Any = None
    by_name: dict[str, Transition] = field(init=False)

    def __post_init__(self) -> None:
        self.by_name = {t.name: t for t in self.transitions}
        self.transitions = tuple(self.by_name.values())
        _WORKFLOWS[self.name] = self
        for t in self.transitions:
            _OWNER[id(t)] = self

    def __getitem__(self, name: str) -> Transition:
        try:
            return self.by_name[name]
        except KeyError:
            raise InvalidTransition(_("Unknown step “%(name)s”.", name=name)) from None

    def allowed(self, actor: Actor, obj: Any, session: Session | None = None) -> list[Transition]:
        """The transitions ``actor`` may take on ``obj`` now: the buttons to show."""
        return [t for t in self.transitions if can(actor, t, obj, session)]


_WORKFLOWS: dict[str, Workflow] = {}
_OWNER: dict[int, Workflow] = {}


def workflow_of(transition: Transition) -> Workflow:
    return _OWNER[id(transition)]


def resolve(transition: Transition | str) -> Transition:
    """A transition, or its name as ``"workflow.transition"``."""
    if isinstance(transition, Transition):
        return transition
    workflow_name, _dot, name = transition.partition(".")
    workflow = _WORKFLOWS.get(workflow_name)
    if workflow is None or not name:
        raise InvalidTransition(_("Unknown step “%(name)s”.", name=transition))
    return workflow[name]


# -- the judgement: one logic for can and guard --------------------------------------------------


def _session(session: Session | None) -> Session:
    if session is not None:
        return session
    from app.extensions import db

    return db.session


def _who_refusal(
    actor: Actor, t: Transition, obj: Any, session: Session | None
) -> DomainError | None:
    """Role (403), then reach (404): neither depends on what the record says."""
    if not roles.names_of(actor) & t.roles:
        return Forbidden(t.role_message)
    if obj is not None and not actor.reach.allows(obj, _session(session)):
        return OutOfReach()
    return None


def _what_refusal(actor: Actor, t: Transition, obj: Any) -> DomainError | None:
    """State (409), then the transition's own rule (403)."""
    if t.source is not None:
        workflow = workflow_of(t)
        state = getattr(obj, workflow.state_attr, None)
        if state not in t.source:
            message = t.invalid_message or workflow.invalid_message
            if message is None:
                return InvalidTransition()
            label = workflow.state_label(state) if workflow.state_label else state
            return InvalidTransition(message, transition=str(t.label), state=str(label))
    if t.rule is not None:
        verdict = t.rule(actor, obj)
        if verdict is False:
            return Forbidden()
        if verdict is not None and verdict is not True:
            return Forbidden(verdict)
    return None


def refusal(
    actor: Actor, transition: Transition | str, obj: Any, session: Session | None = None
) -> DomainError | None:
    """Why ``actor`` may not take ``transition`` on ``obj`` now, or None."""
    t = resolve(transition)
    return _who_refusal(actor, t, obj, session) or _what_refusal(actor, t, obj)


def can(
    actor: Actor, transition: Transition | str, obj: Any, session: Session | None = None
) -> bool:
    """Whether ``actor`` may take ``transition`` on ``obj`` (role, reach, state, rule)."""
    return refusal(actor, transition, obj, session) is None


def guard(
    actor: Actor, transition: Transition | str, obj: Any, session: Session | None = None
) -> None:
    """Raise what :func:`can` would answer False for: Forbidden, OutOfReach, InvalidTransition."""
    error = refusal(actor, transition, obj, session)
    if error is not None:
        raise error


# -- running a transition ------------------------------------------------------------------------


@dataclass(frozen=True)
class Moved:
    """What :func:`apply` did: the states, and whether the deadline it closed was overdue."""

    transition: Transition
    before: str | None
    after: str
    overdue: bool


def check(
    session: Session,
    obj: Any,
    transition: Transition | str,
    *,
    actor: Actor,
    version: int | str | None,
    reason: str = "",
) -> Transition:
    """Everything :func:`apply` checks before it changes anything, in its order: role and
    reach, the version the caller loaded, state and rule, the reason when one is required.

    ``version`` None is accepted from the system actor only (jobs, CLI, seeding act on fresh
    data); anyone else must send the version they loaded (StaleRecord 409 otherwise)."""
    t = resolve(transition)
    error = _who_refusal(actor, t, obj, session)
    if error is not None:
        raise error
    check_version(obj, version, actor=actor)
    error = _what_refusal(actor, t, obj)
    if error is not None:
        raise error
    if t.needs_reason and not (reason or "").strip():
        message = t.reason_message or _("Give the reason.")
        raise ValidationError(errors={"reason": str(message)}, message=message)
    return t


def apply(
    session: Session,
    obj: Any,
    transition: Transition | str,
    *,
    actor: Actor,
    version: int | str | None,
    summary: str = "",
    reason: str = "",
    at: dt.datetime | None = None,
    after: dict[str, Any] | None = None,
    checked: bool = False,
    deadline_close: bool = True,
) -> Moved:
    """Take ``transition`` on ``obj``: check (see :func:`check`; ``checked``: the caller just
    did, validating its own rules in between), change the state, close the deadline the step
    completes (at ``at``, default now) and write the TRANSITION audit record with ``summary``
    and the new state (plus ``after``). The caller commits."""
    t = resolve(transition)
    if not checked:
        check(session, obj, t, actor=actor, version=version, reason=reason)
    workflow = workflow_of(t)
    before = getattr(obj, workflow.state_attr, None)
    setattr(obj, workflow.state_attr, t.target)
    overdue = False
    deadline_attr = t.closes or workflow.deadline
    if deadline_close and deadline_attr:
        deadline = getattr(obj, deadline_attr, None)
        if deadline is not None and deadline.completed_at is None:
            overdue = close_deadline(deadline, at=at)
    if getattr(obj, "id", None) is None:
        session.flush()
    record(
        session,
        AuditAction.TRANSITION,
        object_type=type(obj).__name__,
        object_id=obj.id,
        summary=(summary or t.name)[:256],
        before={"state": before} if t.source is not None else None,
        after={"state": t.target, **(after or {})},
    )
    return Moved(t, before, t.target, overdue)


__all__ = [
    "Moved",
    "Transition",
    "Workflow",
    "apply",
    "can",
    "check",
    "guard",
    "refusal",
    "resolve",
]
