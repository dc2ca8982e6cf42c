"""Password and lockout policy (等保 level 3): complexity, history, expiry, account lockout.

Every path that sets a password goes through :func:`check_new_password` and :func:`set_password`:
FAB's "reset my password" and "reset password" forms, the user add form, the user REST API and
``security_manager.add_user`` (CLI, seeding, approvals of window accounts).
"""

from __future__ import annotations

import datetime as dt
import secrets
import string
from typing import Any

from flask import current_app, has_app_context
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from app.accounts.models import PasswordHistory, UserSession
from app.accounts.states import SessionEnd
from app.core.audit import AuditAction, record
from app.core.errors import ValidationError
from app.core.models import utcnow
from app.core.roles import AUDIT_ADMIN, SECURITY_ADMIN, SYS_ADMIN

DEFAULTS = {
    "PASSWORD_MIN_LENGTH": 8,
    "PASSWORD_MAX_AGE_DAYS": 90,
    "PASSWORD_HISTORY": 5,
    "LOCKOUT_THRESHOLD": 5,
    "LOCKOUT_MINUTES": 30,
    "SESSION_IDLE_MINUTES": 30,
}


def setting(name: str) -> int:
    """An integer policy setting from the configuration (see config.py), with its default."""
    if has_app_context():
        return int(current_app.config.get(name, DEFAULTS[name]))
    return DEFAULTS[name]


# -- complexity ---------------------------------------------------------------------------------


def character_classes(password: str) -> int:
    """How many of the four classes (lower case, upper case, digits, others) appear."""
    return sum(
        (
            any(c.islower() for c in password),
            any(c.isupper() for c in password),
            any(c.isdigit() for c in password),
            any(not c.isalnum() for c in password),
        )
    )


def complexity_problem(password: str, username: str | None) -> str | None:
    """Why ``password`` is too weak for ``username``, or None when it is acceptable."""
    password = password or ""
    minimum = setting("PASSWORD_MIN_LENGTH")
    if len(password) < minimum or character_classes(password) < 3:
        return _(
            "The password must have at least %(n)d characters and three of: lower-case "
            "letters, upper-case letters, digits, other characters.",
            n=minimum,
        )
    if username and username.strip().lower() in password.lower():
        return _("The password must not contain the user name.")
    return None


def check_complexity(password: str, username: str | None) -> None:
    problem = complexity_problem(password, username)
    if problem:
        raise ValidationError(errors={"password": problem}, message=problem)


# -- history ------------------------------------------------------------------------------------


def recent_hashes(session: Session, user: Any) -> list[str]:
    """The current hash and the previous ones, newest first, as many as PASSWORD_HISTORY says."""
    keep = setting("PASSWORD_HISTORY")
    hashes = [user.password] if user.password else []
    if user.id is not None and keep > 1:
        hashes += session.execute(
            select(PasswordHistory.password_hash)
            .where(PasswordHistory.user_id == user.id)
            .order_by(PasswordHistory.created_at.desc(), PasswordHistory.id.desc())
            .limit(keep - 1)
        ).scalars()
    return hashes[:keep]


def reuse_problem(session: Session, user: Any, password: str) -> str | None:
    for old in recent_hashes(session, user):
        try:
            if check_password_hash(old, password):
                return _(
                    "This password was used recently: choose one that differs from your "
                    "last %(n)d passwords.",
                    n=setting("PASSWORD_HISTORY"),
                )
        except ValueError:  # an unknown hash format can never match
            continue
    return None


def check_new_password(session: Session, user: Any, password: str) -> None:
    """Complexity (with the user's name) and, for an existing user, the no-reuse rule."""
    check_complexity(password, getattr(user, "username", None))
    if getattr(user, "id", None) is not None:
        problem = reuse_problem(session, user, password)
        if problem:
            raise ValidationError(errors={"password": problem}, message=problem)


def hash_password(password: str) -> str:
    config = current_app.config
    return generate_password_hash(
        password=password,
        method=config.get("FAB_PASSWORD_HASH_METHOD", "scrypt"),
        salt_length=config.get("FAB_PASSWORD_HASH_SALT_LENGTH", 16),
    )


def set_password(session: Session, user: Any, password: str, *, by_self: bool) -> None:
    """Check and store a new password; the old hash goes to the history.

    A password set by someone else (an administrator's reset, an approval) is temporary: its
    owner must change it at the next sign-in. Every session and JWT of the user ends.
    """
    check_new_password(session, user, password)
    if user.password:
        session.add(PasswordHistory(user_id=user.id, password_hash=user.password))
    user.password = hash_password(password)
    user.password_changed_at = utcnow()
    user.must_change_password = not by_self
    revoke_sessions(session, user, SessionEnd.CREDENTIALS)
    record(
        session,
        AuditAction.SECURITY,
        object_type="User",
        object_id=user.id,
        summary=(
            _("Password changed by its owner: %(u)s", u=user.username)
            if by_self
            else _("Password reset by an administrator: %(u)s", u=user.username)
        ),
        after={"event": "password_changed" if by_self else "password_reset"},
    )


def generate_initial_password() -> str:
    """A random one-time password that satisfies the complexity rule."""
    alphabet = string.ascii_letters + string.digits
    while True:
        core = "".join(secrets.choice(alphabet) for _ in range(10))
        candidate = core + secrets.choice("@#%*+=?") + secrets.choice(string.digits)
        if character_classes(candidate) == 4:
            return candidate


# -- expiry -------------------------------------------------------------------------------------


def password_expired(user: Any, now: dt.datetime | None = None) -> bool:
    max_age = setting("PASSWORD_MAX_AGE_DAYS")
    if max_age <= 0:
        return False
    changed = user.password_changed_at or user.created_on
    if changed is None:
        return False
    return (now or utcnow()) - changed > dt.timedelta(days=max_age)


def must_change_password(user: Any) -> bool:
    return bool(user.must_change_password) or password_expired(user)


# -- lockout ------------------------------------------------------------------------------------


def is_locked(user: Any, now: dt.datetime | None = None) -> bool:
    return user.locked_until is not None and user.locked_until > (now or utcnow())


def lock(session: Session, user: Any) -> None:
    minutes = setting("LOCKOUT_MINUTES")
    user.locked_until = utcnow() + dt.timedelta(minutes=minutes)
    record(
        session,
        AuditAction.SECURITY,
        object_type="User",
        object_id=user.id,
        summary=_(
            "Account locked for %(m)d minutes after %(n)d failed sign-ins: %(u)s",
            m=minutes,
            n=user.fail_login_count or 0,
            u=user.username,
        ),
        after={"event": "locked", "locked_until": user.locked_until.isoformat()},
    )


def unlock(session: Session, user: Any, *, expired: bool) -> None:
    """Clear a lock (a security administrator's action, or the lock period having passed)."""
    before = user.locked_until
    user.locked_until = None
    user.fail_login_count = 0
    record(
        session,
        AuditAction.SECURITY,
        object_type="User",
        object_id=user.id,
        summary=(
            _("Account lock expired: %(u)s", u=user.username)
            if expired
            else _("Account unlocked by the security administrator: %(u)s", u=user.username)
        ),
        before={"locked_until": before.isoformat() if before else None},
        after={"event": "unlock_expired" if expired else "unlocked"},
    )


# -- sessions -----------------------------------------------------------------------------------


def revoke_sessions(session: Session, user: Any, reason: SessionEnd) -> int:
    """End every session of the user and invalidate its JWTs (the session epoch moves on)."""
    user.session_epoch = (user.session_epoch or 0) + 1
    if user.id is None:
        return 0
    now = utcnow()
    rows = session.execute(
        select(UserSession).where(UserSession.user_id == user.id, UserSession.active.is_(True))
    ).scalars()
    count = 0
    for row in rows:
        row.active = False
        row.ended_at = now
        row.end_reason = reason.value
        count += 1
    return count


def after_admin_password_set(session: Session, user: Any) -> None:
    """Bookkeeping after an administrator set a (complexity-checked) password through FAB's API."""
    user.password_changed_at = utcnow()
    user.must_change_password = True
    revoke_sessions(session, user, SessionEnd.CREDENTIALS)
    record(
        session,
        AuditAction.SECURITY,
        object_type="User",
        object_id=user.id,
        summary=_("Password reset by an administrator: %(u)s", u=user.username),
        after={"event": "password_reset"},
    )


# -- 三员分立 ------------------------------------------------------------------------------------


def role_assignment_problem(roles: Any) -> str | None:
    """Why this set of roles may not be given to one account, or None.

    No account holds two of 系统管理员 / 安全管理员 / 审计管理员, and FAB's built-in Admin role is
    not given to people (it keeps every permission and would undo the separation).
    """
    from app.core.roles import FAB_ADMIN, SEPARATED_ROLES

    names = {getattr(role, "name", role) for role in roles or [] if role is not None}
    if FAB_ADMIN in names:
        return _("The built-in Admin role is not given to accounts; use the separated roles.")
    separated = sorted(names & set(SEPARATED_ROLES))
    if len(separated) > 1:
        return _(
            "Separation of duties: one account may not hold more than one of %(roles)s.",
            roles="、".join(SEPARATED_ROLES),
        )
    return None


def check_role_assignment(roles: Any) -> None:
    problem = role_assignment_problem(roles)
    if problem:
        raise ValidationError(errors={"roles": problem}, message=problem)


# 三员分立 at the level of permissions: (view-menu regex, permission regex) that only the named
# role (and FAB's Admin, which no person holds) may carry, whoever edits the roles.
RESERVED_PERMISSIONS: dict[str, list[tuple[str, str]]] = {
    AUDIT_ADMIN: [("AuditLog|Audit log", ".*")],
    SECURITY_ADMIN: [
        (
            "RoleModelView|PermissionModelView|ViewMenuModelView|PermissionViewModelView|"
            "Role|Permission|ViewMenu|PermissionViewMenu|AccountSecurity|List Roles|"
            "Base Permissions|Views/Menus|Permission on Views/Menus|Account security|"
            "Online users|Security policy",
            ".*",
        )
    ],
    SYS_ADMIN: [
        ("UserDBModelView", "can_(list|show|add|edit|delete)|resetpasswords"),
        ("ResetPasswordView|User|List Users", ".*"),
    ],
}


def permission_problem(role_name: str, permission_views: Any) -> str | None:
    """Why ``role_name`` may not carry these permissions (another separated role's), or None."""
    import re

    from app.core.roles import FAB_ADMIN

    if role_name == FAB_ADMIN:
        return None
    for owner, patterns in RESERVED_PERMISSIONS.items():
        if owner == role_name:
            continue
        for pv in permission_views or []:
            view = pv.view_menu.name if pv.view_menu else ""
            perm = pv.permission.name if pv.permission else ""
            if any(re.fullmatch(v, view) and re.fullmatch(p, perm) for v, p in patterns):
                return _(
                    "Separation of duties: %(perm)s on %(view)s belongs to the role %(owner)s "
                    "only.",
                    perm=perm,
                    view=view,
                    owner=owner,
                )
    return None


def guard_user_flush(session: Session) -> None:
    """Flush-time backstop for every path that creates or changes an account or a role.

    Refuses role sets that break 三员分立 and roles that take another separated role's
    permissions, stamps the password date of new accounts, and ends the sessions and JWTs of an
    account that is being disabled.
    """
    from flask_appbuilder.security.sqla.models import Role
    from sqlalchemy import inspect

    from app.core.models import AppUser

    for obj in list(session.new) + list(session.dirty):
        if isinstance(obj, Role):
            if obj in session.new or inspect(obj).attrs.permissions.history.has_changes():
                problem = permission_problem(obj.name, obj.permissions)
                if problem:
                    raise ValidationError(errors={"permissions": problem}, message=problem)
            continue
        if not isinstance(obj, AppUser):
            continue
        state = inspect(obj)
        if obj in session.new or state.attrs.roles.history.has_changes():
            check_role_assignment(obj.roles)
        if obj in session.new:
            if obj.password_changed_at is None:
                obj.password_changed_at = utcnow()
            continue
        active = state.attrs.active.history
        if active.deleted and active.deleted[0] and not obj.active:
            revoke_sessions(session, obj, SessionEnd.CREDENTIALS)


def check_may_manage(target: Any) -> None:
    """The system administrator keeps accounts, but not those of the security and audit
    administrators: resetting their password or editing them would hand over their duties.
    Those accounts are managed on the command line (the system actor) or by their owner."""
    from app.core.actor import current_actor
    from app.core.errors import Forbidden

    actor = current_actor()
    if actor.is_system or actor.user_id == getattr(target, "id", None):
        return
    from sqlalchemy import inspect

    roles = list(target.roles or [])
    state = inspect(target, raiseerr=False)
    if state is not None and state.persistent:
        history = state.attrs.roles.history  # also the roles a form is about to take away
        roles += list(history.unchanged or []) + list(history.deleted or [])
    protected = {SECURITY_ADMIN, AUDIT_ADMIN} & {role.name for role in roles}
    if protected:
        raise Forbidden(
            _(
                "Separation of duties: the account of a %(role)s is managed on the command "
                "line, not by another administrator.",
                role="、".join(sorted(protected)),
            )
        )
