"""Sessions as an assessor tries them: stale sessions, idle timeout, cookies, headers, CSRF."""

from __future__ import annotations

import re
import time
from typing import Any

from sqlalchemy import select

from app.core.models import AuditLog
from tests.accounts.factories import STRONG, set_user


def _signed_in(client: Any) -> bool:
    return client.get("/unitview/list/").status_code == 200


def test_stale_session_is_refused_after_a_password_change(app, world, login):
    old_browser = login("window_staff")
    new_browser = login("window_staff")
    new_browser.post("/resetmypassword/form", data={"password": STRONG, "conf_password": STRONG})
    assert _signed_in(new_browser)  # the browser that changed it carries on
    response = old_browser.get("/unitview/list/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_jwt_issued_before_a_password_change_is_refused(app, world, login, api_token):
    headers = api_token("window_staff")
    client = app.test_client()
    assert client.get("/api/v1/unit/", headers=headers).status_code == 200
    login("window_staff").post(
        "/resetmypassword/form", data={"password": STRONG, "conf_password": STRONG}
    )
    assert client.get("/api/v1/unit/", headers=headers).status_code == 401
    fresh = api_token("window_staff", STRONG)
    assert client.get("/api/v1/unit/", headers=fresh).status_code == 200


def test_disabling_an_account_ends_its_sessions_and_tokens(app, world, login, api_token):
    browser = login("window_staff")
    headers = api_token("window_staff")
    set_user(app, world.user("window_staff"), active=False)
    assert not _signed_in(browser)
    assert app.test_client().get("/api/v1/unit/", headers=headers).status_code == 401


def test_idle_session_is_signed_out(app, world, login):
    client = login("window_staff")
    assert _signed_in(client)
    with client.session_transaction() as session:
        session["_zw_seen"] = int(time.time()) - 31 * 60
    response = client.get("/unitview/list/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert not _signed_in(client)


def test_session_active_within_the_idle_timeout_stays(app, world, login):
    client = login("window_staff")
    with client.session_transaction() as session:
        session["_zw_seen"] = int(time.time()) - 29 * 60
    assert _signed_in(client)


def test_session_cookie_is_httponly_samesite_and_secure_when_configured(app, world):
    app.config["SESSION_COOKIE_SECURE"] = True
    try:
        client = app.test_client()
        response = client.post(
            "/login/", data={"username": "window_staff", "password": "Test@pass2026"}
        )
    finally:
        app.config["SESSION_COOKIE_SECURE"] = False
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" in cookie


def test_production_settings_default_to_secure_cookies():
    import config

    assert config.SESSION_COOKIE_HTTPONLY is True
    assert config.SESSION_COOKIE_SAMESITE in ("Lax", "Strict")
    assert config.SESSION_IDLE_MINUTES == 30


def test_pages_carry_security_headers_and_scripts_only_run_with_the_nonce(app, world, login):
    client = login("window_staff")
    response = client.get("/unitview/list/")
    csp = response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'none'" in csp
    assert "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]
    nonce = re.search(r"'nonce-([^']+)'", csp).group(1)
    page = response.get_data(as_text=True)
    scripts = re.findall(r"<script[^>]*>", page)
    assert scripts and all(f'nonce="{nonce}"' in tag for tag in scripts)
    login_page = app.test_client().get("/login/")
    assert login_page.headers["X-Frame-Options"] == "DENY"
    api = app.test_client().get("/api/v1/unit/")
    assert api.headers["Content-Security-Policy"].startswith("default-src 'none'")


def test_forms_refuse_a_post_without_csrf_token(app, world, login):
    client = login("window_staff")
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        response = client.post(
            "/resetmypassword/form", data={"password": STRONG, "conf_password": STRONG}
        )
        assert response.status_code == 400
        bulk = client.post("/unitview/action_post", data={"action": "deactivate", "rowid": ["1"]})
        assert bulk.status_code == 400
        # The hand-written forms of every domain go through the same global check.
        for path in (
            "/adjustmentview/transition/1",
            "/filingview/decide/1",
            "/licencereview/entry/1/decide",
            "/licenceobjectionview/mark/1",
            "/excel/implementation_list/1/confirm",
            "/accountrequestview/decide/1",
        ):
            assert client.post(path, data={"decision": "approve"}).status_code == 400, path
        # The API (JWT) is exempt, the login form is not.
        login_form = app.test_client().post(
            "/login/", data={"username": "window_staff", "password": "Test@pass2026"}
        )
        assert login_form.status_code == 400
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def test_logout_ends_the_session_and_is_audited(app, world, login):
    client = login("window_staff")
    with client.session_transaction() as session:
        cookie_copy = dict(session)
    client.post("/logout/")
    assert not _signed_in(client)
    # Replaying the old cookie content does not bring the session back.
    replay = app.test_client()
    with replay.session_transaction() as session:
        session.update(cookie_copy)
    assert not _signed_in(replay)
    with app.app_context():
        from app.extensions import db

        assert db.session.execute(
            select(AuditLog).where(AuditLog.action == "logout", AuditLog.summary == "window_staff")
        ).first()


def test_security_administrator_sees_online_users_and_forces_a_logout(app, world, login):
    victim = login("window_staff")
    admin = login("security_admin")
    page = admin.get("/onlineuserview/list/").get_data(as_text=True)
    assert "window_staff" in page
    with app.app_context():
        from app.accounts.models import UserSession
        from app.extensions import db

        row = db.session.execute(
            select(UserSession).where(
                UserSession.user_id == world.user("window_staff"), UserSession.active.is_(True)
            )
        ).scalar_one()
    response = admin.post(
        "/onlineuserview/action_post", data={"action": "force_logout", "rowid": [str(row.id)]}
    )
    assert response.status_code == 302
    assert not _signed_in(victim)
    assert admin.get("/onlineuserview/list/").status_code == 200
    assert "window_staff" not in admin.get("/onlineuserview/list/").get_data(as_text=True)
    with app.app_context():
        from app.extensions import db

        assert db.session.execute(
            select(AuditLog).where(
                AuditLog.action == "security", AuditLog.after.contains("forced_logout")
            )
        ).first()


def test_online_users_view_is_only_for_the_security_administrator(app, world, login):
    for username in ("sys_admin", "audit_admin", "county_coordinator"):
        response = login(username).get("/onlineuserview/list/")
        assert response.status_code in (302, 403), username
        assert "window_staff" not in response.get_data(as_text=True)


def test_refresh_token_issued_before_a_password_change_is_refused(app, world, login):
    client = app.test_client()
    response = client.post(
        "/api/v1/security/login",
        json={
            "username": "window_staff",
            "password": "Test@pass2026",
            "provider": "db",
            "refresh": True,
        },
    )
    refresh = {"Authorization": f"Bearer {response.json['refresh_token']}"}
    assert client.post("/api/v1/security/refresh", headers=refresh).status_code == 200
    login("window_staff").post(
        "/resetmypassword/form", data={"password": STRONG, "conf_password": STRONG}
    )
    assert client.post("/api/v1/security/refresh", headers=refresh).status_code == 401
