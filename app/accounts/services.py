"""Rules of window-staff accounts: requests filed by a unit, decided by the region's coordinator.

Approval creates the login (with a one-time password to be changed at first sign-in), moves it,
or disables it. Nothing is ever deleted: the audit trail keeps every name.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from app.accounts import policy
from app.accounts.models import AccountRequest, WindowUser
from app.accounts.states import REQUEST, RequestKind, RequestState, SessionEnd, WindowUserStatus
from app.core import workflow
from app.core.actor import Actor
from app.core.audit import AuditAction, record
from app.core.errors import OutOfReach, ValidationError, join_messages
from app.core.models import AppUser, Unit, utcnow
from app.core.roles import UNIT_OPERATOR, WINDOW_STAFF

# Roles a window account may be given (window staff by default).
WINDOW_ROLES = (WINDOW_STAFF, UNIT_OPERATOR)
UNUSED_DAYS = 90
USERNAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{2,63}$")
MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")


@dataclass
class RequestData:
    """What a unit files; which fields matter depends on ``kind``."""

    kind: str
    unit_id: int | None = None
    window_user_id: int | None = None
    person_name: str = ""
    mobile: str = ""
    hall: str = ""
    window_no: str = ""
    role_name: str = WINDOW_STAFF
    username: str = ""
    target_unit_id: int | None = None
    note: str = ""
    errors: dict[str, str] = field(default_factory=dict)


def validate_request(session: Session, item: AccountRequest) -> None:
    """The rules of a request before it is stored (used by the form, the API and Excel)."""
    errors: dict[str, str] = {}
    try:
        kind = RequestKind(item.kind)
    except ValueError:
        raise ValidationError(errors={"kind": _("Unknown request kind.")}) from None
    item.person_name = (item.person_name or "").strip()
    item.mobile = (item.mobile or "").strip()
    item.hall = (item.hall or "").strip()
    item.window_no = (item.window_no or "").strip()
    item.username = (item.username or "").strip()
    item.role_name = item.role_name or WINDOW_STAFF
    if kind is RequestKind.NEW:
        if not item.person_name:
            errors["person_name"] = _("Enter the person's name.")
        if not MOBILE_RE.match(item.mobile):
            errors["mobile"] = _("Enter an 11-digit mainland mobile number.")
        if not item.hall:
            errors["hall"] = _("Enter the service hall.")
        if item.role_name not in WINDOW_ROLES:
            errors["role_name"] = _("A window account is window staff or unit operator.")
        # Only the form of the name is checked when a request is filed: whether an account of
        # that name exists is the approver's concern (see username_unavailable), so that a unit
        # cannot probe the province's accounts by filing requests.
        if not USERNAME_RE.match(item.username):
            errors["username"] = _(
                "A user name has 3 to 64 letters, digits, '.', '_' or '-' and starts with a letter."
            )
    else:
        window_user = item.window_user or (
            session.get(WindowUser, item.window_user_id) if item.window_user_id else None
        )
        if window_user is not None:
            item.window_user_id = window_user.id
            if window_user.user is not None:
                # The login concerned, so that bulk imports can find the request again.
                item.username = window_user.user.username
        if window_user is None or window_user.unit_id != item.unit_id:
            errors["window_user"] = _("Choose a window user of the requesting unit.")
        elif window_user.status != WindowUserStatus.ACTIVE.value:
            errors["window_user"] = _("This window user's account is already cancelled.")
        elif _open_request_exists(session, window_user.id, item.id):
            errors["window_user"] = _("A request for this window user is already pending.")
        if kind is RequestKind.TRANSFER:
            if item.target_unit_id is None:
                item.target_unit_id = item.unit_id
            if not item.hall and window_user is not None:
                item.hall = window_user.hall
            if not item.hall:
                errors["hall"] = _("Enter the service hall.")
        if kind is RequestKind.CANCEL and not (item.note or "").strip():
            errors["note"] = _("Give the reason for the cancellation.")
    if errors:
        raise ValidationError(errors=errors, message=join_messages(errors.values()))


def username_unavailable(session: Session, item: AccountRequest) -> bool:
    """Whether a new-account request's user name is taken by an existing account (told to the
    approver only, never to the unit that filed the request)."""
    if item.kind != RequestKind.NEW.value or not item.username:
        return False
    return bool(
        session.execute(
            select(func.count())
            .select_from(AppUser)
            .where(func.lower(AppUser.username) == item.username.lower())
        ).scalar_one()
    )


def _open_request_exists(session: Session, window_user_id: int, request_id: int | None) -> bool:
    query = select(func.count()).where(
        AccountRequest.window_user_id == window_user_id,
        AccountRequest.state == RequestState.PENDING.value,
    )
    if request_id is not None:
        query = query.where(AccountRequest.id != request_id)
    return bool(session.execute(query).scalar_one())


def prepare_request(session: Session, item: AccountRequest, *, actor: Actor) -> None:
    """Fill the derived fields of a new request (its unit's region, who filed it) and check it."""
    if item.unit_id is None and item.unit is None:
        unit_id = getattr(actor.user, "unit_id", None) if actor.user is not None else None
        item.unit_id = unit_id
    unit = session.get(Unit, item.unit_id) if item.unit_id else item.unit
    if unit is None:
        raise ValidationError(errors={"unit": _("Choose the requesting unit.")})
    item.unit_id = unit.id
    item.region_id = unit.region_id
    item.state = RequestState.PENDING.value
    item.requested_by_id = actor.user_id
    item.requested_at = item.requested_at or utcnow()
    validate_request(session, item)


def file_request(session: Session, data: RequestData, *, actor: Actor) -> AccountRequest:
    item = AccountRequest(
        kind=data.kind,
        unit_id=data.unit_id,
        window_user_id=data.window_user_id,
        person_name=data.person_name,
        mobile=data.mobile,
        hall=data.hall,
        window_no=data.window_no,
        role_name=data.role_name or WINDOW_STAFF,
        username=data.username,
        target_unit_id=data.target_unit_id,
        note=data.note or "",
    )
    prepare_request(session, item, actor=actor)
    session.add(item)
    session.flush()
    return item


@dataclass
class Decision:
    request: AccountRequest
    user: AppUser | None = None
    initial_password: str | None = None


def approve(
    session: Session,
    item: AccountRequest,
    *,
    actor: Actor,
    security_manager: Any,
    version: int | str | None = None,
) -> Decision:
    """Approve a pending request (loaded by the caller within the actor's reach): create, move
    or disable the login. Returns the one-time password of a new account (shown once to the
    coordinator, never stored in clear)."""
    step = workflow.check(session, item, REQUEST["approve"], actor=actor, version=version)
    validate_request(session, item)
    if username_unavailable(session, item):
        message = _(
            "The user name %(u)s is not available: reject the request and ask the unit to "
            "file it again with another user name.",
            u=item.username,
        )
        raise ValidationError(errors={"username": message}, message=message)
    decision = Decision(request=item)
    kind = RequestKind(item.kind)
    if kind is RequestKind.NEW:
        decision.user, decision.initial_password = _create_login(
            session, item, security_manager=security_manager
        )
    elif kind is RequestKind.TRANSFER:
        _transfer(session, item, actor=actor)
    else:
        _cancel(session, item)
    _decide(session, item, step, actor=actor, reason="")
    return decision


def reject(
    session: Session,
    item: AccountRequest,
    *,
    actor: Actor,
    reason: str,
    version: int | str | None = None,
) -> AccountRequest:
    """Reject a pending request (loaded by the caller) with the reason the unit is told."""
    reason = (reason or "").strip()
    step = workflow.check(
        session, item, REQUEST["reject"], actor=actor, version=version, reason=reason
    )
    _decide(session, item, step, actor=actor, reason=reason)
    return item


def _decide(
    session: Session, item: AccountRequest, step: workflow.Transition, *, actor: Actor, reason: str
) -> None:
    item.decided_by_id = actor.user_id
    item.decided_at = utcnow()
    item.decision_reason = reason
    session.flush()
    workflow.apply(
        session,
        item,
        step,
        actor=actor,
        version=None,
        checked=True,
        summary=repr(item),
        after={"reason": reason} if reason else None,
    )
    session.flush()


def _create_login(
    session: Session, item: AccountRequest, *, security_manager: Any
) -> tuple[AppUser, str]:
    password = policy.generate_initial_password()
    role = security_manager.find_role(item.role_name)
    if role is None:
        raise ValidationError(errors={"role_name": _("Unknown role.")})
    unit = session.get_one(Unit, item.unit_id)
    user = AppUser(
        username=item.username,
        first_name=item.person_name,
        last_name="",
        email=f"{item.username}@window.invalid",
        active=True,
        roles=[role],
        region_id=unit.region_id,
        unit_id=unit.id,
        password=policy.hash_password(password),
        must_change_password=True,
        password_changed_at=utcnow(),
    )
    session.add(user)
    session.flush()
    window_user = WindowUser(
        person_name=item.person_name,
        mobile=item.mobile,
        hall=item.hall,
        window_no=item.window_no,
        role_name=item.role_name,
        unit_id=unit.id,
        region_id=unit.region_id,
        user_id=user.id,
        status=WindowUserStatus.ACTIVE.value,
    )
    session.add(window_user)
    session.flush()
    item.window_user_id = window_user.id
    record(
        session,
        AuditAction.SECURITY,
        object_type="User",
        object_id=user.id,
        summary=_("Window account created with a one-time password: %(u)s", u=user.username),
        after={"event": "account_created", "request": item.id},
    )
    return user, password


def _transfer(session: Session, item: AccountRequest, *, actor: Actor) -> None:
    window_user = item.window_user
    assert window_user is not None  # a transfer names its window user (validate_request)
    target = session.get(Unit, item.target_unit_id or item.unit_id)
    if target is None or not actor.reach.allows(target, session):
        raise OutOfReach()
    window_user.unit_id = target.id
    window_user.region_id = target.region_id
    window_user.hall = item.hall or window_user.hall
    window_user.window_no = item.window_no
    user = window_user.user
    if user is not None and user.unit_id != target.id:
        user.unit_id = target.id
        user.region_id = target.region_id
        policy.revoke_sessions(session, user, SessionEnd.CREDENTIALS)


def _cancel(session: Session, item: AccountRequest) -> None:
    window_user = item.window_user
    assert window_user is not None  # a cancellation names its window user (validate_request)
    window_user.status = WindowUserStatus.CANCELLED.value
    user = window_user.user
    if user is not None:
        user.active = False
        policy.revoke_sessions(session, user, SessionEnd.CREDENTIALS)
        record(
            session,
            AuditAction.SECURITY,
            object_type="User",
            object_id=user.id,
            summary=_("Window account disabled: %(u)s", u=user.username),
            after={"event": "account_disabled", "request": item.id},
        )


# -- the coordinator's overview --------------------------------------------------------------


@dataclass
class UnitOverview:
    unit: Unit
    active_users: int = 0
    pending_requests: int = 0
    unused: list[WindowUser] = field(default_factory=list)


def unused_cutoff(now: dt.datetime | None = None) -> dt.datetime:
    # Inactivity is counted in calendar days (it is not a working-day deadline).
    return (now or utcnow()) - dt.timedelta(days=UNUSED_DAYS)


def overview(session: Session, *, actor: Actor) -> list[UnitOverview]:
    """Per unit in reach: active window users, pending requests, accounts unused for 90 days."""
    units = session.execute(
        actor.reach.scope(select(Unit).where(Unit.active.is_(True)), Unit).order_by(
            Unit.name, Unit.id
        )
    ).scalars()
    rows = {unit.id: UnitOverview(unit=unit) for unit in units}
    if not rows:
        return []
    active = session.execute(
        actor.reach.scope(
            select(WindowUser.unit_id, func.count())
            .where(WindowUser.status == WindowUserStatus.ACTIVE.value)
            .group_by(WindowUser.unit_id),
            WindowUser,
        )
    ).all()
    for unit_id, count in active:
        if unit_id in rows:
            rows[unit_id].active_users = count
    pending = session.execute(
        actor.reach.scope(
            select(AccountRequest.unit_id, func.count())
            .where(AccountRequest.state == RequestState.PENDING.value)
            .group_by(AccountRequest.unit_id),
            AccountRequest,
        )
    ).all()
    for unit_id, count in pending:
        if unit_id in rows:
            rows[unit_id].pending_requests = count
    cutoff = unused_cutoff()
    unused = session.execute(
        actor.reach.scope(
            select(WindowUser)
            .join(AppUser, AppUser.id == WindowUser.user_id)
            .where(
                WindowUser.status == WindowUserStatus.ACTIVE.value,
                AppUser.active.is_(True),
                or_(
                    AppUser.last_login < cutoff,
                    (AppUser.last_login.is_(None)) & (AppUser.created_on < cutoff),
                ),
            )
            .order_by(WindowUser.person_name, WindowUser.id),
            WindowUser,
        )
    ).scalars()
    for window_user in unused:
        if window_user.unit_id in rows:
            rows[window_user.unit_id].unused.append(window_user)
    return [row for row in rows.values() if row.active_users or row.pending_requests or row.unused]


def validate_liaison(unit: Unit) -> None:
    """One liaison per unit: a name and a reachable phone, or both empty."""
    unit.liaison_name = (unit.liaison_name or "").strip() or None
    unit.liaison_phone = (unit.liaison_phone or "").strip() or None
    if unit.liaison_name and not unit.liaison_phone:
        message = _("Enter the liaison's phone number.")
        raise ValidationError(errors={"liaison_phone": message}, message=message)
    if unit.liaison_phone and not re.match(r"^[0-9+\-() ]{7,20}$", unit.liaison_phone):
        message = _("Enter a valid phone number.")
        raise ValidationError(errors={"liaison_phone": message}, message=message)
