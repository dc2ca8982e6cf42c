"""Request guards in front of Flask-AppBuilder's views: a bad parameter is a 4xx, never a 500.

* FAB reads ``page_<View>`` and ``psize_<View>`` with a bare ``int()`` (``urltools``) in every
  list, show and edit page, its own user and role views included: a non-number, a negative page, a
  page size of 0 or one of 100,000 rows is answered 400 before FAB sees it.
* FAB's ``/<view>/download/<file>`` of every ModelView serves FAB file columns from
  ``UPLOAD_FOLDER``; the project has neither, so the route answers 404.
* ``/<view>/action_post`` and ``/<view>/action/<name>/<pk>`` with an action the view does not
  have answer 404 (FAB's own views would fail on ``None.func``).
* An upload over ``MAX_CONTENT_LENGTH`` gets a translated 413 page (JSON under the API).
* ``TRUSTED_PROXIES`` > 0: werkzeug's ProxyFix takes the client's address from that many
  proxies' ``X-Forwarded-For`` (rate limits and audit IPs), and the scheme from
  ``X-Forwarded-Proto``.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Flask, request
from flask_babel import lazy_gettext as _l

#: FAB's list pages are 0-based; psize is offered as 25/50/75/100 by FAB's page-size menu.
MAX_PAGE = 1_000_000
MAX_PAGE_SIZE = 100
_PAGE_ARG = re.compile(r"page_(.*)")
_PSIZE_ARG = re.compile(r"psize_(.*)")


def install(app: Flask) -> None:
    trust_proxies(app)
    app.before_request(_guard_fab_views)

    @app.errorhandler(413)
    def _too_large(error: Any) -> Any:
        from app import _error_page

        return _error_page(
            413,
            _l("File too large"),
            _l("The upload is larger than the limit of %(limit)s MB.", limit=upload_limit_mb()),
        )


def upload_limit_mb() -> str:
    """``MAX_CONTENT_LENGTH`` in MB for messages ("20", "0.5")."""
    from flask import current_app

    return f"{(current_app.config.get('MAX_CONTENT_LENGTH') or 0) / (1024 * 1024):.3g}"


def trust_proxies(app: Flask) -> None:
    """Wrap the WSGI app in ProxyFix when ``TRUSTED_PROXIES`` is more than 0."""
    count = int(app.config.get("TRUSTED_PROXIES") or 0)
    if count > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count)  # type: ignore[method-assign]


def bad_paging_args(args: Any) -> bool:
    """True when a ``page_*``/``psize_*`` argument (as FAB reads them) is out of range."""
    for name, value in args.items(multi=True):
        is_page = _PAGE_ARG.search(name) is not None
        is_size = _PSIZE_ARG.search(name) is not None
        if not (is_page or is_size):
            continue
        if not (value.isascii() and value.isdigit()) or len(value) > 7:
            return True
        number = int(value)
        if is_page and number > MAX_PAGE:
            return True
        if is_size and not 1 <= number <= MAX_PAGE_SIZE:
            return True
    return False


def _fab_view(blueprint: str | None) -> Any:
    from app.extensions import appbuilder

    if blueprint is None:
        return None
    for view in appbuilder.baseviews:
        if getattr(view, "endpoint", None) == blueprint:
            return view
    return None


def _guard_fab_views() -> Any:
    from flask_appbuilder.views import ModelView

    from app import _error_page

    if request.path.startswith("/api/"):
        return None
    if bad_paging_args(request.args):
        return _error_page(
            400,
            _l("Bad request"),
            _l(
                "The page number or page size is not valid (page sizes from 1 to %(max)d).",
                max=MAX_PAGE_SIZE,
            ),
        )
    endpoint = (request.endpoint or "").rsplit(".", 1)[-1]
    if endpoint not in {"download", "action", "action_post"}:
        return None
    view = _fab_view(request.blueprint)
    if not isinstance(view, ModelView):
        return None
    not_found = _error_page(
        404,
        _l("Not found"),
        _l("The page or record does not exist, or it is outside your data scope."),
    )
    if endpoint == "download" and type(view).download is ModelView.download:
        return not_found
    if endpoint == "action":
        name = (request.view_args or {}).get("name")
    elif endpoint == "action_post":
        name = request.form.get("action")
    else:
        return None
    if name not in (view.actions or {}):
        return not_found
    return None
