"""zwfw-admin: the provincial back office for government-service items."""

from __future__ import annotations

import importlib
import os
from typing import Any

from flask import Flask, g, has_request_context, jsonify, request
from flask_babel import lazy_gettext as _l

import config as default_config
from app.extensions import appbuilder, csrf, db, limiter, migrate

# Domain packages, each with ``register(appbuilder)``; their order is the menu's order.
DOMAINS = (
    "app.core",
    "app.catalogue",
    "app.licences",
    "app.excel",
    "app.accounts",
    "app.ratings",
    "app.verification",
    "app.supervision",
)


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    """The application factory. ``overrides`` replace configuration values (used by tests)."""
    app = Flask(__name__, instance_relative_config=False)
    app.config.from_object(default_config)
    if overrides:
        app.config.update(overrides)
    _refuse_unsafe_production(app)
    _refuse_unkeyed_audit_chain(app)
    _refuse_unkeyed_personal_data(app)
    _prepare_sqlite(app)

    from app.core import api_csrf
    from app.core.audit import install_session_hooks
    from app.core.index import ZwIndexView

    install_session_hooks()
    db.init_app(app)
    # CSRF on every form and every POST of FAB's views (bulk actions, delete). FAB exempts its REST
    # APIs when they are registered; app.core.api_csrf puts the token back on their writes that
    # are authenticated by the session cookie instead of a JWT.
    csrf.init_app(app)
    migrate.init_app(app, db, directory=str(default_config.BASE_DIR / "migrations"))
    limiter.init_app(app)
    appbuilder.indexview = ZwIndexView
    with app.app_context():
        appbuilder.init_app(app, db.session)
        for package in DOMAINS:
            importlib.import_module(f"{package}.register").register(appbuilder)
        _limit_api_login(app)
    # After the domains' session hooks: an expired session is signed out before its token counts.
    api_csrf.install(app)
    _register_health(app)
    _register_security_headers(app)
    _register_error_handlers(app)
    _register_context(app)
    from app.core import guards

    guards.install(app)  # 4xx for FAB's bad page/action/download requests, 413, ProxyFix
    from app.core.cli import register_commands

    register_commands(app)
    return app


def _refuse_unsafe_production(app: Flask) -> None:
    """Unknown ZWFW_ENV, the development key outside development or a weak production key: no
    start. Production forces secure cookies and no Swagger UI (app.core.production)."""
    from app.core import production

    production.settle(app.config)


def _refuse_unkeyed_audit_chain(app: Flask) -> None:
    if app.config.get("ENV") == "production":
        from app.core.audit import key_problem

        problem = key_problem(app.config.get("AUDIT_HMAC_KEY"), app.config.get("SECRET_KEY"))
        if problem:
            raise RuntimeError(f"ZWFW_ENV=production: {problem}")


def _refuse_unkeyed_personal_data(app: Flask) -> None:
    """Raters' phone and ID numbers are encrypted with PERSONAL_DATA_KEY: none, no start."""
    if app.config.get("ENV") == "production":
        from app.core.personal_data import key_problem

        problem = key_problem(app.config.get("PERSONAL_DATA_KEY"))
        if problem:
            raise RuntimeError(f"ZWFW_ENV=production: {problem}")


def _prepare_sqlite(app: Flask) -> None:
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("sqlite:///") and not uri.startswith("sqlite:///:memory:"):
        os.makedirs(os.path.dirname(uri[len("sqlite:///") :]) or ".", exist_ok=True)
    if uri.startswith("sqlite"):
        from sqlalchemy import event
        from sqlalchemy.engine import Engine

        @event.listens_for(Engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            if dbapi_connection.__class__.__module__.startswith("sqlite3"):
                cursor = dbapi_connection.cursor()
                cursor.execute("PRAGMA foreign_keys=ON")
                cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute("PRAGMA busy_timeout=10000")
                # 64 MiB of page cache (default 2 MiB): bulk imports touch several indexes.
                cursor.execute("PRAGMA cache_size=-65536")
                cursor.close()


def _limit_api_login(app: Flask) -> None:
    """Flask-Limiter on the JWT login (FAB limits only the login form) and on every API."""
    login_limit = app.config["LOGIN_RATE_LIMIT"]
    api_limit = app.config["API_RATE_LIMIT"]
    security_api = app.view_functions.get("SecurityApi.login")
    if security_api is not None:
        app.view_functions["SecurityApi.login"] = limiter.limit(login_limit)(security_api)
    for name, blueprint in app.blueprints.items():
        if name.endswith("Api") and name != "SecurityApi":
            limiter.limit(api_limit)(blueprint)


def _register_health(app: Flask) -> None:
    @app.get("/health")
    def _health() -> Any:
        """Liveness and database check for load balancers (no login, no data)."""
        from sqlalchemy import text

        db.session.execute(text("SELECT 1"))
        return jsonify(status="ok")


def _register_security_headers(app: Flask) -> None:
    import secrets

    @app.before_request
    def _csp_nonce() -> None:
        g.csp_nonce = secrets.token_urlsafe(16)

    # FAB's templates (and its widgets, rendered outside render_template) put
    # nonce="{{ csp_nonce() }}" on every <script> when this global exists.
    app.jinja_env.globals["csp_nonce"] = lambda: g.get("csp_nonce", "")

    @app.after_request
    def _security_headers(response: Any) -> Any:
        headers = response.headers
        api = request.path.startswith("/api/")
        key = "API_CONTENT_SECURITY_POLICY" if api else "CONTENT_SECURITY_POLICY"
        if not request.path.startswith("/swagger"):  # FAB's Swagger page (development only)
            policy = app.config[key].replace("{nonce}", g.get("csp_nonce", ""))
            headers.setdefault("Content-Security-Policy", policy)
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "same-origin")
        if app.config.get("SESSION_COOKIE_SECURE"):
            headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        # Overrides send_file's "no-cache": downloads (exports, originals, samples) are never
        # stored. Static files keep their revalidation.
        signed_in = getattr(getattr(g, "user", None), "is_authenticated", False)
        if "Content-Disposition" in headers or (
            signed_in and not request.path.startswith("/static/")
        ):
            headers["Cache-Control"] = "no-store"
        return response


def _register_error_handlers(app: Flask) -> None:
    from app.core.errors import DomainError, render_domain_error

    app.register_error_handler(DomainError, render_domain_error)

    @app.errorhandler(403)
    def _forbidden(error: Any) -> Any:
        return _error_page(403, _l("Not allowed"), _l("Your role may not open this page."))

    @app.errorhandler(404)
    def _not_found(error: Any) -> Any:
        return _error_page(
            404,
            _l("Not found"),
            _l("The page or record does not exist, or it is outside your data scope."),
        )

    @app.errorhandler(429)
    def _too_many(error: Any) -> Any:
        message = str(_l("Too many requests. Wait a minute and try again."))
        if request.path.startswith("/api/"):
            return jsonify(message=message), 429
        return message, 429


def _error_page(status: int, title: object, message: object) -> Any:
    """A Chinese (or English) error page in the application's layout; JSON for the API."""
    from flask import render_template

    if request.path.startswith("/api/") or request.path.startswith("/public/api/"):
        return jsonify(message=str(message)), status
    return render_template(
        "zwfw/error.html", appbuilder=appbuilder, title=title, message=message
    ), status


def _register_context(app: Flask) -> None:
    from app.core.context import calendar_alert

    @app.context_processor
    def _inject() -> dict[str, Any]:
        if not has_request_context() or not getattr(g, "user", None):
            return {}
        return {"zwfw_calendar_alert": calendar_alert()}
