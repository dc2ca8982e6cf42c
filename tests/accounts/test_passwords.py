"""Password policy as an assessor tries it: weak, containing the user name, reused, expired."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from app.core.models import AppUser, AuditLog
from tests.accounts.factories import STRONG, days_ago, set_user
from tests.factories import PASSWORD


def _change_own(client: Any, password: str) -> Any:
    return client.post(
        "/resetmypassword/form",
        data={"password": password, "conf_password": password},
        follow_redirects=True,
    )


def _can_login(app: Any, username: str, password: str) -> bool:
    response = app.test_client().post("/login/", data={"username": username, "password": password})
    return "/login" not in response.headers.get("Location", "/login")


def test_own_password_change_refuses_too_simple_passwords(app, world, login):
    client = login("window_staff")
    for weak in ("Ab1!", "abcdefgh1", "ABCDEFGH", "abcdefghij"):
        page = _change_own(client, weak).get_data(as_text=True)
        assert "三类" in page or "three of" in page
    assert _can_login(app, "window_staff", PASSWORD)


def test_password_containing_the_user_name_is_refused(app, world, login):
    client = login("window_staff")
    page = _change_own(client, "Window_Staff#2026").get_data(as_text=True)
    assert "用户名" in page or "user name" in page
    assert not _can_login(app, "window_staff", "Window_Staff#2026")


def test_reusing_one_of_the_last_five_passwords_is_refused(app, world, login):
    client = login("window_staff")
    history = [PASSWORD, "Second#Pass1", "Third#Pass22", "Fourth#Pass3", "Fifth#Pass44"]
    for new in history[1:]:
        _change_own(client, new)
        assert _can_login(app, "window_staff", new)
    for old in history:  # the current one and the four before it
        _change_own(client, old)
        assert _can_login(app, "window_staff", history[-1]), old
    # The sixth-newest may come back.
    _change_own(client, "Sixth#Pass555")
    _change_own(client, PASSWORD)
    assert _can_login(app, "window_staff", PASSWORD)


def test_password_change_is_stored_with_a_modern_hash_and_audited(app, world, login):
    app.config["FAB_PASSWORD_HASH_METHOD"] = "scrypt"
    try:
        client = login("window_staff")
        _change_own(client, STRONG)
    finally:
        app.config["FAB_PASSWORD_HASH_METHOD"] = "pbkdf2:sha256:1000"
    with app.app_context():
        from app.extensions import db

        user = db.session.get(AppUser, world.user("window_staff"))
        assert user.password.startswith("scrypt:")
        assert user.must_change_password is False
        rows = db.session.execute(
            select(AuditLog).where(
                AuditLog.action == "security", AuditLog.object_id == str(user.id)
            )
        ).scalars()
        assert any("password_changed" in (row.after or "") for row in rows)
        # The hash never enters the audit log.
        for row in db.session.execute(select(AuditLog.after)).scalars():
            assert user.password not in (row or "")


def test_default_hash_is_scrypt():
    import config

    assert (
        config.FAB_PASSWORD_HASH_METHOD == "scrypt"
        or "PASSWORD_HASH_METHOD" in __import__("os").environ
    )


def test_expired_password_forces_a_change_before_anything_else(app, world, login):
    set_user(app, world.user("window_staff"), password_changed_at=days_ago(91))
    client = login("window_staff")
    response = client.get("/unitview/list/")
    assert response.status_code == 302
    assert "/resetmypassword/form" in response.headers["Location"]
    page = _change_own(client, STRONG).get_data(as_text=True)
    assert client.get("/unitview/list/").status_code == 200, page


def test_expired_password_blocks_the_api_too(app, world, api_token):
    headers = api_token("window_staff")
    set_user(app, world.user("window_staff"), password_changed_at=days_ago(91))
    assert app.test_client().get("/api/v1/unit/", headers=headers).status_code == 401


def test_password_younger_than_the_maximum_age_is_not_expired(app, world, login):
    set_user(app, world.user("window_staff"), password_changed_at=days_ago(89))
    client = login("window_staff")
    assert client.get("/unitview/list/").status_code == 200


def test_administrator_reset_is_checked_and_temporary(app, world, login):
    admin = login("sys_admin")
    target = world.user("window_staff")
    weak = admin.post(
        f"/resetpassword/form?pk={target}",
        data={"password": "password", "conf_password": "password"},
        follow_redirects=True,
    )
    assert "三类" in weak.get_data(as_text=True) or "three of" in weak.get_data(as_text=True)
    admin.post(
        f"/resetpassword/form?pk={target}", data={"password": STRONG, "conf_password": STRONG}
    )
    client = login("window_staff", STRONG)
    response = client.get("/unitview/list/")
    assert "/resetmypassword/form" in response.headers["Location"]


def test_user_add_form_refuses_a_weak_password(app, world, login):
    admin = login("sys_admin")
    with app.app_context():
        from app.extensions import appbuilder

        role_id = appbuilder.sm.find_role("窗口人员").id
    data = {
        "first_name": "李",
        "last_name": "四",
        "username": "lisi",
        "email": "lisi@test.example",
        "active": "y",
        "roles": [str(role_id)],
        "password": "lisi1234",
        "conf_password": "lisi1234",
    }
    admin.post("/users/add", data=data)
    with app.app_context():
        from app.extensions import db

        assert (
            db.session.execute(
                select(AppUser).where(AppUser.username == "lisi")
            ).scalar_one_or_none()
            is None
        )
    data.update(password=STRONG, conf_password=STRONG)
    admin.post("/users/add", data=data)
    with app.app_context():
        from app.extensions import db

        user = db.session.execute(select(AppUser).where(AppUser.username == "lisi")).scalar_one()
        assert user.must_change_password is True


def test_fab_user_and_role_rest_apis_are_not_exposed(app, world, api_token):
    """FAB's user/role/permission REST APIs would bypass the password policy and 三员分立
    checks of the forms; accounts are managed in the UI (and window accounts by request)."""
    headers = api_token("sys_admin")
    client = app.test_client()
    for path in (
        "/api/v1/security/users/",
        "/api/v1/security/roles/",
        "/api/v1/security/permissions/",
    ):
        assert client.get(path, headers=headers).status_code == 404
        assert client.post(path, json={}, headers=headers).status_code in (404, 405)


def test_security_manager_add_user_refuses_a_weak_password(app, world):
    import pytest

    from app.core.errors import ValidationError

    with app.app_context():
        from app.extensions import appbuilder

        with pytest.raises(ValidationError):
            appbuilder.sm.add_user(
                username="weak",
                first_name="w",
                last_name="",
                email="weak@test.example",
                role=appbuilder.sm.find_role("窗口人员"),
                password="weakweak",
            )
