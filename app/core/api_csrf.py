"""CSRF for the REST API: a write authenticated by the browser's session cookie needs the token.

FAB exempts every API blueprint from Flask-WTF's ``CSRFProtect``, because an API caller normally
authenticates with a JWT in the ``Authorization`` header, which no other site can make a browser
send. Our APIs also accept the browser's session cookie (``allow_browser_login``), and the browser
sends that cookie with a request another page starts: a form on another site, or on another port
of the same host (the same *site*, so ``SameSite=Lax`` does not hold the cookie back). So a
state-changing API request (POST, PUT, PATCH, DELETE) that is not authenticated by a valid JWT but
comes with a signed-in session must

* name this host as its origin when the browser names one (``Origin``, else ``Referer``): 403;
* carry the session's CSRF token in the ``X-CSRFToken`` or ``X-CSRF-Token`` header (the same
  token the pages' forms carry, from ``csrf_token()``): 400.

Otherwise it is refused with a JSON message before the view runs, so nothing changes. JWT calls,
reads (GET, HEAD, OPTIONS) and anonymous calls (which FAB answers 401) are not touched.

It is one hook on the application, not a base class, so that every API is covered whatever it
inherits from (``ModelRestApi``, ``BaseApi``, FAB's own). FAB's ``SecurityApi`` (the JWT login
and refresh, which take a password or a refresh token, never the cookie) is left as it is. The
switch is Flask-WTF's own ``WTF_CSRF_ENABLED``.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, current_app, jsonify, request
from flask_appbuilder.api import BaseApi
from flask_babel import lazy_gettext as _l
from flask_jwt_extended import verify_jwt_in_request
from flask_jwt_extended.exceptions import JWTExtendedException
from flask_login import current_user
from flask_wtf.csrf import validate_csrf
from jwt.exceptions import PyJWTError
from wtforms.validators import ValidationError

from app.extensions import appbuilder

log = logging.getLogger(__name__)

# APIs that authenticate by credentials or a JWT only, never by the session cookie.
JWT_ONLY_APIS = frozenset({"SecurityApi"})
_EXTENSION_KEY = "zwfw_api_blueprints"

MISSING_TOKEN = _l("The CSRF token is missing or invalid. Reload the page and try again.")
OTHER_ORIGIN = _l("Refused: the request came from another site.")


def install(app: Flask) -> None:
    """Check every API write; registered after the session hooks, so an expired session is
    signed out (401) before its token is looked at."""
    app.before_request(check_api_write)


def check_api_write() -> Any:
    """Before every request: refuse a cookie-authenticated API write without origin and token."""
    config = current_app.config
    if not config.get("WTF_CSRF_ENABLED", True):
        return None
    if request.method not in config["WTF_CSRF_METHODS"]:
        return None
    if request.blueprint not in _api_blueprints():
        return None
    if _authenticated_by_jwt() or not current_user.is_authenticated:
        return None
    if not _same_origin():
        log.warning("API write from another origin refused: %s %s", request.method, request.path)
        return jsonify(message=str(OTHER_ORIGIN)), 403
    token = next(
        (request.headers[name] for name in config["WTF_CSRF_HEADERS"] if request.headers.get(name)),
        None,
    )
    try:
        validate_csrf(token)
    except ValidationError:
        log.warning("API write without a valid CSRF token refused: %s", request.path)
        return jsonify(message=str(MISSING_TOKEN)), 400
    return None


def _api_blueprints() -> frozenset[str]:
    """The blueprints of every registered API (FAB's and ours), computed once per application."""
    names = current_app.extensions.get(_EXTENSION_KEY)
    if names is None:
        names = (
            frozenset(
                view.blueprint.name
                for view in appbuilder.baseviews
                if isinstance(view, BaseApi) and getattr(view, "blueprint", None) is not None
            )
            - JWT_ONLY_APIS
        )
        current_app.extensions[_EXTENSION_KEY] = names
    return names


def _authenticated_by_jwt() -> bool:
    """A valid JWT in the ``Authorization`` header (which another site cannot make a browser
    send). An invalid one does not count: the cookie that came with it would be used instead."""
    if not request.headers.get("Authorization"):
        return False
    try:
        verify_jwt_in_request(locations=["headers"])
    except (JWTExtendedException, PyJWTError):
        return False
    return True


def _same_origin() -> bool:
    """The browser's ``Origin`` (or, without one, ``Referer``) names this host, or is absent.

    The host (and port) is compared, not the scheme: behind a TLS-terminating proxy the
    application sees http while the browser says https. ``Origin: null`` (a sandboxed or
    ``data:`` page) names no host and is refused.
    """
    source = request.headers.get("Origin") or request.referrer
    if not source:
        return True
    return urlsplit(source).netloc == request.host
