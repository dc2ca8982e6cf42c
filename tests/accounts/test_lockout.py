"""Account lockout as an assessor tries it: five wrong passwords, then the right one."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select

from app.core.models import AppUser, AuditLog, utcnow
from tests.accounts.factories import set_user
from tests.factories import PASSWORD


def _attempt(client: Any, username: str, password: str) -> tuple[bool, str]:
    response = client.post(
        "/login/", data={"username": username, "password": password}, follow_redirects=True
    )
    page = response.get_data(as_text=True)
    signed_in = client.get("/unitview/list/").status_code == 200
    return signed_in, page


def _security_events(app: Any, user_id: int) -> list[str]:
    with app.app_context():
        from app.extensions import db

        rows = db.session.execute(
            select(AuditLog.after).where(
                AuditLog.action == "security", AuditLog.object_id == str(user_id)
            )
        ).scalars()
        return [row or "" for row in rows]


def test_five_wrong_passwords_lock_the_account_even_for_the_right_one(app, world):
    client = app.test_client()
    for _ in range(5):
        ok, _page = _attempt(client, "window_staff", "Wrong#pass1")
        assert not ok
    ok, _page = _attempt(client, "window_staff", PASSWORD)
    assert not ok
    assert any('"locked"' in e for e in _security_events(app, world.user("window_staff")))
    # The API login is locked as well.
    response = app.test_client().post(
        "/api/v1/security/login",
        json={"username": "window_staff", "password": PASSWORD, "provider": "db"},
    )
    assert response.status_code == 401


def test_failures_must_be_consecutive(app, world):
    client = app.test_client()
    for _ in range(4):
        _attempt(client, "window_staff", "Wrong#pass1")
    ok, _page = _attempt(client, "window_staff", PASSWORD)
    assert ok
    client.post("/logout/")
    for _ in range(4):
        _attempt(client, "window_staff", "Wrong#pass1")
    ok, _page = _attempt(client, "window_staff", PASSWORD)
    assert ok


def test_api_login_failures_count_towards_the_lock(app, world):
    client = app.test_client()
    for _ in range(5):
        response = client.post(
            "/api/v1/security/login",
            json={"username": "window_staff", "password": "Wrong#pass1", "provider": "db"},
        )
        assert response.status_code == 401
    ok, _page = _attempt(app.test_client(), "window_staff", PASSWORD)
    assert not ok


def test_message_is_the_same_for_unknown_users_wrong_passwords_and_locked_accounts(app, world):
    _ok, unknown = _attempt(app.test_client(), "nobody_here", "Wrong#pass1")
    _ok, wrong = _attempt(app.test_client(), "window_staff", "Wrong#pass1")
    set_user(app, world.user("window_staff"), locked_until=utcnow() + dt.timedelta(minutes=30))
    _ok, locked = _attempt(app.test_client(), "window_staff", PASSWORD)

    def alert(page: str) -> str:
        start = page.index("alert-warning")
        return page[start : page.index("</div>", start)]

    assert alert(unknown) == alert(wrong) == alert(locked)


def test_lock_expires_after_its_period_and_the_unlock_is_audited(app, world):
    user_id = world.user("window_staff")
    set_user(app, user_id, locked_until=utcnow() - dt.timedelta(seconds=1), fail_login_count=5)
    ok, _page = _attempt(app.test_client(), "window_staff", PASSWORD)
    assert ok
    assert any("unlock_expired" in e for e in _security_events(app, user_id))


def test_lock_lasts_the_configured_minutes(app, world):
    client = app.test_client()
    for _ in range(5):
        _attempt(client, "window_staff", "Wrong#pass1")
    with app.app_context():
        from app.extensions import db

        until = db.session.get(AppUser, world.user("window_staff")).locked_until
    remaining = (until - utcnow()).total_seconds()
    assert 29 * 60 < remaining <= 30 * 60


def test_security_administrator_unlocks_and_it_is_audited(app, world, login):
    user_id = world.user("window_staff")
    set_user(app, user_id, locked_until=utcnow() + dt.timedelta(minutes=30), fail_login_count=5)
    admin = login("security_admin")
    response = admin.post(
        "/accountsecurityview/action_post", data={"action": "unlock", "rowid": [str(user_id)]}
    )
    assert response.status_code == 302
    ok, _page = _attempt(app.test_client(), "window_staff", PASSWORD)
    assert ok
    assert any('"unlocked"' in e for e in _security_events(app, user_id))


def test_system_administrator_cannot_unlock_accounts(app, world, login):
    user_id = world.user("window_staff")
    set_user(app, user_id, locked_until=utcnow() + dt.timedelta(minutes=30), fail_login_count=5)
    admin = login("sys_admin")
    admin.post(
        "/accountsecurityview/action_post", data={"action": "unlock", "rowid": [str(user_id)]}
    )
    ok, _page = _attempt(app.test_client(), "window_staff", PASSWORD)
    assert not ok


def test_lock_also_holds_when_signing_in_with_the_email_address(app, world):
    client = app.test_client()
    for _ in range(5):
        _attempt(client, "window_staff@test.example", "Wrong#pass1")
    ok, _page = _attempt(app.test_client(), "window_staff@test.example", PASSWORD)
    assert not ok
    ok, _page = _attempt(app.test_client(), "window_staff", PASSWORD)
    assert not ok


def test_security_administrator_sees_the_policy_in_force(app, world, login):
    app.config["LOCKOUT_THRESHOLD"] = 7
    try:
        page = login("security_admin").get("/security/policy/").get_data(as_text=True)
    finally:
        app.config["LOCKOUT_THRESHOLD"] = 5
    assert "LOCKOUT_THRESHOLD" in page and '<td class="value">7</td>' in page
    assert login("sys_admin").get("/security/policy/").status_code in (302, 403)
