"""Test set-up: a fresh database per run (SQLite by default, PostgreSQL when DATABASE_URL says so),
migrated once, with every test starting from the same clean state.

* ``app``: the application, migrated and with roles, permissions and the calendar in place.
* ``world``: a small province (two cities, three counties, units, one user per role).
* ``login(username)``: a test client logged in through the real login form.
* ``api_token(username)``: a JWT from FAB's standard ``/api/v1/security/login``.
* ``clock(instant)``: sets the one clock (``app.core.calendar``) to an aware instant, e.g.
  ``clock(dt.datetime(2026, 3, 8, 23, 30, tzinfo=dt.UTC))``, for the rest of the test.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import shutil
import tempfile
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
from sqlalchemy import create_engine, text

from tests.factories import World, build_world

PERMANENT_TABLES = {
    "ab_permission",
    "ab_view_menu",
    "ab_permission_view",
    "ab_role",
    "ab_permission_view_role",
    "alembic_version",
    "calendar_year",
    "calendar_day",
    # Append-only by design (a database trigger refuses DELETE): tests never wipe it.
    "audit_log",
}


def fresh_database_url(tag: str) -> tuple[str, Any]:
    """A new, empty database for this run, and a function that drops it afterwards."""
    base = os.environ.get("DATABASE_URL", "")
    if base.startswith(("postgresql", "postgres")):
        parts = urlsplit(base)
        name = f"zwfw_{tag}_{os.getpid()}_{secrets.token_hex(3)}"
        admin = create_engine(base, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = urlunsplit(parts._replace(path="/" + name))

        def drop() -> None:
            with admin.connect() as conn:
                conn.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = :n AND pid <> pg_backend_pid()"
                    ),
                    {"n": name},
                )
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            admin.dispose()

        return url, drop
    directory = tempfile.mkdtemp(prefix=f"zwfw-{tag}-")
    return f"sqlite:///{directory}/zwfw.db", lambda: shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    url, drop = fresh_database_url("test")
    yield url
    drop()


@pytest.fixture(scope="session")
def app(database_url: str) -> Iterator[Any]:
    os.environ["DATABASE_URL"] = database_url
    from app import create_app
    from app.core.cli import prepare_database

    application = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "WTF_CSRF_ENABLED": False,
            # Initialised with its real storage (memory://, or Redis when RATELIMIT_STORAGE_URI says
            # so) and then switched off: the rate-limit tests switch it on for themselves.
            "RATELIMIT_ENABLED": True,
            "FAB_PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
            # Background jobs run in-process here; the tests of the RQ backend set REDIS_URL
            # themselves, and the browser tests run a real `rq worker` (tests/e2e/conftest.py).
            "REDIS_URL": "",
            "IMPORTS_DIR": (imports := tempfile.mkdtemp(prefix="zwfw-imports-")),
            "REPORTS_DIR": (reports := tempfile.mkdtemp(prefix="zwfw-reports-")),
        }
    )
    from app.extensions import limiter

    limiter.enabled = False
    with application.app_context():
        prepare_database()
    # No application context stays pushed: each test-client request gets its own, as in
    # production (a shared one would carry ``g`` and the logged-in user across requests).
    yield application
    # Close the pool before the database is dropped: a pooled PostgreSQL connection that is only
    # garbage-collected later warns (ResourceWarning), which filterwarnings=error turns into a
    # failure at the end of the run.
    with application.app_context():
        from app.extensions import db

        db.session.remove()
        db.engine.dispose()
    for directory in (imports, reports):
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def ctx(app: Any) -> Iterator[Any]:
    """An application context for direct database work inside a test (not around requests)."""
    with app.app_context():
        yield app


@pytest.fixture(scope="session")
def calendar_baseline(app: Any) -> tuple:
    with app.app_context():
        return _calendar_fingerprint(), _roles_fingerprint()


def _roles_fingerprint() -> tuple:
    from app.extensions import db

    return tuple(
        db.session.execute(
            text(
                "SELECT (SELECT count(*) FROM ab_role), "
                "(SELECT count(*) FROM ab_permission_view_role), "
                "(SELECT coalesce(sum(role_id * 7919 + permission_view_id), 0) "
                "FROM ab_permission_view_role)"
            )
        ).one()
    )


def _calendar_fingerprint() -> tuple:
    from app.extensions import db

    return tuple(
        db.session.execute(
            text(
                "SELECT (SELECT count(*) FROM calendar_year), (SELECT count(*) FROM calendar_day), "
                "(SELECT count(*) FROM calendar_day WHERE is_working_day = :t), "
                "(SELECT count(*) FROM calendar_day WHERE source <> 'chinese-calendar')"
            ),
            {"t": True},
        ).one()
    )


@pytest.fixture(autouse=True)
def clean_database(app: Any, calendar_baseline: tuple) -> Iterator[None]:
    """Each test starts from an empty province; the calendar is restored if a test changed it."""
    from app.extensions import db

    yield
    with app.app_context():
        _wipe(db, calendar_baseline)


def _wipe(db: Any, calendar_baseline: tuple) -> None:
    tables = [t for t in reversed(db.metadata.sorted_tables) if t.name not in PERMANENT_TABLES]
    # Plain DELETEs, children first: on small tables much faster than TRUNCATE on PostgreSQL.
    with db.engine.begin() as conn:
        for table in tables:
            conn.execute(table.delete())
    calendar_print, roles_print = calendar_baseline
    if _roles_fingerprint() != roles_print:
        # A test changed a role's permissions (as a security administrator may): restore them.
        from app.core.roles import sync_roles
        from app.extensions import appbuilder

        sync_roles(appbuilder.sm)
        assert _roles_fingerprint() == roles_print, "a test left a role behind"
    if _calendar_fingerprint() != calendar_print:
        from app.core import calendar
        from app.core.models import CalendarDay, CalendarYear

        db.session.query(CalendarDay).delete()
        db.session.query(CalendarYear).delete()
        calendar.seed_from_package(db.session)
        db.session.commit()


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Move the one clock: the only way tests fake time (the server's own zone never matters)."""
    from app.core import calendar

    def set_clock(instant: dt.datetime) -> None:
        if instant.tzinfo is None:
            raise ValueError("give the clock an aware instant")
        monkeypatch.setattr(calendar, "_utc_now", lambda: instant.astimezone(dt.UTC))

    return set_clock


@pytest.fixture
def world(app: Any) -> World:
    return build_world(app)


@pytest.fixture
def login(app: Any) -> Any:
    def _login(username: str, password: str | None = None) -> Any:
        from tests.factories import PASSWORD

        client = app.test_client()
        response = client.post(
            "/login/", data={"username": username, "password": password or PASSWORD}
        )
        assert response.status_code == 302, f"login of {username} failed"
        assert "/login" not in response.headers["Location"], f"login of {username} refused"
        return client

    return _login


@pytest.fixture
def api_token(app: Any) -> Any:
    def _token(username: str, password: str | None = None) -> dict[str, str]:
        from tests.factories import PASSWORD

        client = app.test_client()
        response = client.post(
            "/api/v1/security/login",
            json={
                "username": username,
                "password": password or PASSWORD,
                "provider": "db",
                "refresh": False,
            },
        )
        assert response.status_code == 200, response.get_data(as_text=True)
        return {"Authorization": f"Bearer {response.json['access_token']}"}

    return _token


@pytest.fixture
def fail_after(monkeypatch: Any) -> Any:
    """Make ``module.name`` (a service a boundary calls) do its work, flush it, and then fail
    as a later step of the use case would. Returns the list of audit-row counts written in the
    transaction at the moment of each failure, so a test can show there was something to lose.
    """
    from sqlalchemy import func, select

    from app.core.errors import ValidationError
    from app.core.models import AuditLog
    from app.extensions import db

    def _patch(module: Any, name: str) -> list[int]:
        original = getattr(module, name)
        written: list[int] = []

        def failing(*args: Any, **kwargs: Any) -> Any:
            before = db.session.scalar(select(func.count()).select_from(AuditLog))
            original(*args, **kwargs)
            db.session.flush()
            after = db.session.scalar(select(func.count()).select_from(AuditLog))
            written.append(after - before)
            raise ValidationError(message="a later step of the use case failed")

        monkeypatch.setattr(module, name, failing)
        return written

    return _patch
