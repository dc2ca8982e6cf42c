"""Sessions: idle timeout, invalidation on password change / disable / forced logout,
the forced password change, and the bookkeeping behind the online-users view.

Browser: Flask keeps the session in a signed cookie; next to Flask-Login's user id it carries
``_zw_sid`` (our :class:`UserSession` row), ``_zw_epoch`` (the user's session epoch at sign-in)
and ``_zw_seen`` (the last request, epoch seconds). :func:`enforce` runs before every request.

API: a JWT sign-in opens a :class:`UserSession` row of kind ``api``; its access and refresh tokens
carry the row's ``sid`` as the ``zw_sid`` claim, and :func:`check_api_session` (called by the
security manager's JWT user loader, so for every token-authenticated request and every refresh)
refuses the token once the row has ended, and ends the row when it was idle too long. The idle
time is measured from ``last_seen_at``, which is written at most every ``TOUCH_SECONDS``: an API
session therefore ends after between ``SESSION_IDLE_MINUTES`` minus one minute and
``SESSION_IDLE_MINUTES`` of inactivity, never later.

Transactions: this bookkeeping is not a use case. It runs at sign-in (a Flask-Login signal),
before every request and from the JWT user loader, before any use case of the request opens its
``unit_of_work``; it commits its own row at once (a session that was opened or ended must stay
so whatever the request does next), and those commits are the only ones here.
"""

from __future__ import annotations

import datetime as dt
import secrets
import time
from typing import Any

from flask import (
    Flask,
    flash,
    g,
    jsonify,
    redirect,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import logout_user, user_logged_in
from sqlalchemy import select

from app.accounts import policy
from app.accounts.models import UserSession
from app.accounts.states import SessionEnd, SessionKind
from app.core.models import utcnow
from app.extensions import db

SID, EPOCH, SEEN = "_zw_sid", "_zw_epoch", "_zw_seen"
# The JWT claim naming the API session of a token.
API_SID_CLAIM = "zw_sid"
# Endpoints a user who must change the password may still reach.
CHANGE_PASSWORD_ENDPOINT = "ResetMyPasswordView.this_form_get"  # noqa: S105 - an endpoint
ALLOWED_WHILE_CHANGING = {
    "ResetMyPasswordView.this_form_get",
    "ResetMyPasswordView.this_form_post",
    "AuthDBView.logout",
    "AuthDBView.login",
    "static",
    "appbuilder.static",
    "LocaleView.index",
    "_health",
}
# Session keys kept at sign-in: Flask-Login's own, the CSRF secret and the language.
KEEP_AT_LOGIN = {"_user_id", "_fresh", "_id", "_remember", "csrf_token", "locale"}
# Refresh ``last_seen_at`` in the database at most this often (the cookie is refreshed always).
TOUCH_SECONDS = 60


def _on_login(_app: Any, user: Any) -> None:
    """Flask-Login signal: a new session row and the session markers."""
    sid = _open_session(user, SessionKind.BROWSER)
    # Nothing of an earlier visitor of this browser carries over (FAB's page history, ...).
    for key in [k for k in session if k not in KEEP_AT_LOGIN]:
        session.pop(key, None)
    session.permanent = True
    session[SID] = sid
    session[EPOCH] = user.session_epoch or 0
    session[SEEN] = int(time.time())


def end_current_session(reason: SessionEnd) -> None:
    sid = session.get(SID)
    if sid:
        row = db.session.execute(
            select(UserSession).where(UserSession.sid == sid)
        ).scalar_one_or_none()
        if row is not None and row.active:
            _end(row, reason)
            db.session.commit()  # session bookkeeping, its own boundary (module doc)
    for key in [k for k in session if k not in ("csrf_token", "locale")]:
        session.pop(key, None)


def _sign_out(reason: SessionEnd, message: str) -> Any:
    end_current_session(reason)
    logout_user()
    g.user = None
    if request.path.startswith("/api/"):
        return jsonify(message=message), 401
    flash(message, "warning")
    return redirect(url_for("AuthDBView.login"))


def enforce() -> Any:
    """Before every request: end stale sessions, keep live ones alive, force password changes."""
    user = getattr(g, "user", None)
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    if request.endpoint in ("static", "appbuilder.static"):
        return None
    sid = session.get(SID)
    row = (
        db.session.execute(select(UserSession).where(UserSession.sid == sid)).scalar_one_or_none()
        if sid
        else None
    )
    if row is None or not row.active:
        return _sign_out(SessionEnd.FORCED, _("Your session has ended. Please sign in again."))
    if session.get(EPOCH) != (user.session_epoch or 0):
        return _sign_out(
            SessionEnd.CREDENTIALS,
            _("Your password or account changed. Please sign in again."),
        )
    idle = policy.setting("SESSION_IDLE_MINUTES") * 60
    now = int(time.time())
    if now - int(session.get(SEEN) or 0) > idle:
        return _sign_out(SessionEnd.IDLE, _("You were signed out after a period of inactivity."))
    session[SEEN] = now
    session.permanent = True
    current = utcnow()
    if (current - row.last_seen_at).total_seconds() > TOUCH_SECONDS:
        row.last_seen_at = current
        db.session.commit()  # session bookkeeping before the request's use case (module doc)
    if policy.must_change_password(user) and request.endpoint not in ALLOWED_WHILE_CHANGING:
        if request.path.startswith("/api/"):
            return jsonify(message=_("Change your password before going on.")), 403
        flash(
            _("Your password is temporary or has expired: choose a new one before going on."),
            "warning",
        )
        return redirect(url_for(CHANGE_PASSWORD_ENDPOINT))
    return None


def _client() -> dict[str, str]:
    return {
        "ip": (request.remote_addr or "")[:64],
        "user_agent": (request.user_agent.string or "")[:256],
    }


def _end(row: UserSession, reason: SessionEnd) -> None:
    row.active = False
    row.ended_at = utcnow()
    row.end_reason = reason.value


def end_session(row: UserSession, reason: SessionEnd) -> bool:
    """End one session (browser or API; the caller commits); whether it was still active."""
    if not row.active:
        return False
    _end(row, reason)
    return True


def open_api_session(user: Any) -> str:
    """A new API session row for a JWT sign-in; returns its sid (the tokens' ``zw_sid``)."""
    return _open_session(user, SessionKind.API)


def _open_session(user: Any, kind: SessionKind) -> str:
    """A new session row of ``kind`` for ``user`` (committed); returns its sid."""
    sid = secrets.token_urlsafe(32)
    now = utcnow()
    db.session.add(
        UserSession(
            sid=sid,
            user_id=user.id,
            kind=kind.value,
            created_at=now,
            last_seen_at=now,
            **_client(),
        )
    )
    db.session.commit()  # the session row exists before the request goes on (module doc)
    return sid


def _api_row(sid: Any) -> UserSession | None:
    if not isinstance(sid, str) or not sid:
        return None
    return db.session.execute(
        select(UserSession).where(UserSession.sid == sid, UserSession.kind == SessionKind.API.value)
    ).scalar_one_or_none()


def check_api_session(jwt_data: dict[str, Any], user: Any) -> bool:
    """Whether the token's API session is alive; an idle one is ended, a live one touched.

    A refusal may leave the message for the client in ``g.zw_auth_message``.
    """
    row = _api_row(jwt_data.get(API_SID_CLAIM))
    if row is None or not row.active or row.user_id != user.id:
        return False
    current = utcnow()
    if (current - row.last_seen_at).total_seconds() > policy.setting("SESSION_IDLE_MINUTES") * 60:
        _end(row, SessionEnd.IDLE)
        db.session.commit()  # the ended session stays ended although the token is refused
        g.zw_auth_message = _("You were signed out after a period of inactivity.")
        return False
    if (current - row.last_seen_at).total_seconds() > TOUCH_SECONDS:
        row.last_seen_at = current
        db.session.commit()  # session bookkeeping before the request's use case (module doc)
    return True


def end_api_session(sid: Any, reason: SessionEnd) -> bool:
    """End one API session (the client's own sign-out); whether it was still active."""
    row = _api_row(sid)
    if row is None or not end_session(row, reason):
        return False
    db.session.commit()  # the client's own sign-out, session bookkeeping (module doc)
    return True


def online_cutoff() -> dt.datetime:
    return utcnow() - dt.timedelta(minutes=policy.setting("SESSION_IDLE_MINUTES"))


def install(app: Flask) -> None:
    user_logged_in.connect(_on_login, app)
    app.before_request(enforce)
    app.permanent_session_lifetime = dt.timedelta(minutes=app.config["SESSION_IDLE_MINUTES"])


def restart_session(user: Any) -> None:
    """After the user changed their own password: this browser carries on under the new epoch."""
    from app.core.models import AppUser

    fresh = db.session.get(AppUser, user.id)
    _on_login(None, fresh)
