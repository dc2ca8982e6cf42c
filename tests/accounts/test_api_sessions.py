"""API sign-ins (JWT) as an assessor tries them: a session row in 在线用户, the idle timeout for
access and refresh tokens, forced logout, a bounded refresh lifetime, and 401 for bad tokens."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import jwt
import pytest
from sqlalchemy import select

from app.core.models import AuditLog, utcnow
from tests.factories import PASSWORD

UNIT_LIST = "/api/v1/unit/"
REFRESH = "/api/v1/security/refresh"
EXPIRED_ZH = "登录已失效，请重新登录"


def _sign_in(app: Any, username: str = "window_staff", **extra: Any) -> dict[str, str]:
    response = app.test_client().post(
        "/api/v1/security/login",
        json={"username": username, "password": PASSWORD, "provider": "db", "refresh": True},
        **extra,
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.json


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _api_rows(app: Any, user_id: int) -> list[Any]:
    from app.accounts.models import UserSession
    from app.extensions import db

    with app.app_context():
        rows = (
            db.session.execute(
                select(UserSession).where(UserSession.user_id == user_id, UserSession.kind == "api")
            )
            .scalars()
            .all()
        )
        db.session.expunge_all()
        return rows


def _age_sessions(app: Any, user_id: int, minutes: int) -> None:
    """Move the sessions' last activity back (how the browser tests move ``_zw_seen``)."""
    from app.accounts.models import UserSession
    from app.extensions import db

    with app.app_context():
        for row in db.session.execute(
            select(UserSession).where(UserSession.user_id == user_id)
        ).scalars():
            row.last_seen_at = utcnow() - dt.timedelta(minutes=minutes)
        db.session.commit()


def _assert_refused(response: Any) -> None:
    assert response.status_code == 401, response.get_data(as_text=True)
    assert response.is_json and response.json["message"]
    body = response.get_data(as_text=True)
    assert "Error loading" not in body and "user" not in body.lower()


def test_api_sign_in_is_an_online_session_marked_api(app, world, login):
    _sign_in(app, headers={"User-Agent": "zwfw-sync/1.0"})
    rows = _api_rows(app, world.user("window_staff"))
    assert len(rows) == 1 and rows[0].active and rows[0].user_agent == "zwfw-sync/1.0"
    assert rows[0].ip == "127.0.0.1"
    page = login("security_admin").get("/onlineuserview/list/").get_data(as_text=True)
    assert "window_staff" in page and "zwfw-sync/1.0" in page
    assert "登录方式" in page and "结束所选会话" in page
    # The API row and the administrator's own browser row, told apart.
    cells = [re.sub(r"\s+", "", cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", page, re.S)]
    assert "API" in cells and "浏览器" in cells


def test_tokens_carry_the_session_and_refresh_keeps_it(app, world):
    from flask_jwt_extended import decode_token

    tokens = _sign_in(app)
    client = app.test_client()
    refreshed = client.post(REFRESH, headers=_bearer(tokens["refresh_token"]))
    assert refreshed.status_code == 200
    (row,) = _api_rows(app, world.user("window_staff"))
    with app.app_context():
        for token in (
            tokens["access_token"],
            tokens["refresh_token"],
            refreshed.json["access_token"],
        ):
            assert decode_token(token)["zw_sid"] == row.sid
    assert client.get(UNIT_LIST, headers=_bearer(refreshed.json["access_token"])).status_code == 200


def test_idle_api_session_refuses_access_and_refresh_and_ends(app, world):
    tokens = _sign_in(app)
    client = app.test_client()
    assert client.get(UNIT_LIST, headers=_bearer(tokens["access_token"])).status_code == 200
    _age_sessions(app, world.user("window_staff"), 31)
    response = client.get(UNIT_LIST, headers=_bearer(tokens["access_token"]))
    _assert_refused(response)
    assert response.json == {"message": "长时间未操作，您已退出登录。"}
    _assert_refused(client.post(REFRESH, headers=_bearer(tokens["refresh_token"])))
    (row,) = _api_rows(app, world.user("window_staff"))
    assert not row.active and row.end_reason == "idle"


def test_idle_refresh_token_alone_is_refused(app, world):
    tokens = _sign_in(app)
    _age_sessions(app, world.user("window_staff"), 31)
    _assert_refused(app.test_client().post(REFRESH, headers=_bearer(tokens["refresh_token"])))


def test_api_session_used_within_the_idle_timeout_stays_and_is_touched(app, world):
    tokens = _sign_in(app)
    _age_sessions(app, world.user("window_staff"), 29)
    client = app.test_client()
    assert client.get(UNIT_LIST, headers=_bearer(tokens["access_token"])).status_code == 200
    (row,) = _api_rows(app, world.user("window_staff"))
    assert row.active and (utcnow() - row.last_seen_at).total_seconds() < 60
    assert client.post(REFRESH, headers=_bearer(tokens["refresh_token"])).status_code == 200


def test_forced_logout_of_an_api_row_ends_its_tokens_and_is_audited(app, world, login):
    tokens = _sign_in(app)
    client = app.test_client()
    assert client.get(UNIT_LIST, headers=_bearer(tokens["access_token"])).status_code == 200
    (row,) = _api_rows(app, world.user("window_staff"))
    admin = login("security_admin")
    response = admin.post(
        "/onlineuserview/action_post", data={"action": "force_logout", "rowid": [str(row.id)]}
    )
    assert response.status_code == 302
    _assert_refused(client.get(UNIT_LIST, headers=_bearer(tokens["access_token"])))
    _assert_refused(client.post(REFRESH, headers=_bearer(tokens["refresh_token"])))
    (row,) = _api_rows(app, world.user("window_staff"))
    assert not row.active and row.end_reason == "forced"
    assert "window_staff" not in admin.get("/onlineuserview/list/").get_data(as_text=True)
    with app.app_context():
        from app.extensions import db

        assert db.session.execute(
            select(AuditLog).where(
                AuditLog.action == "security",
                AuditLog.object_id == str(world.user("window_staff")),
                AuditLog.after.contains("forced_logout"),
            )
        ).first()


def test_one_session_can_be_ended_alone(app, world, login):
    from flask_jwt_extended import decode_token

    browser = login("window_staff")
    ended, alive = _sign_in(app), _sign_in(app)
    with app.app_context():
        sid = decode_token(ended["access_token"])["zw_sid"]
    (target,) = [row for row in _api_rows(app, world.user("window_staff")) if row.sid == sid]
    form = {"action": "end_session", "rowid": [str(target.id)]}
    assert login("sys_admin").post("/onlineuserview/action_post", data=form).status_code in (
        302,
        403,
    )
    assert all(row.active for row in _api_rows(app, world.user("window_staff")))
    response = login("security_admin").post("/onlineuserview/action_post", data=form)
    assert response.status_code == 302
    client = app.test_client()
    _assert_refused(client.get(UNIT_LIST, headers=_bearer(ended["access_token"])))
    _assert_refused(client.post(REFRESH, headers=_bearer(ended["refresh_token"])))
    assert client.get(UNIT_LIST, headers=_bearer(alive["access_token"])).status_code == 200
    assert browser.get("/unitview/list/").status_code == 200
    with app.app_context():
        from app.extensions import db

        assert db.session.execute(
            select(AuditLog).where(
                AuditLog.action == "security",
                AuditLog.object_id == str(world.user("window_staff")),
                AuditLog.after.contains("session_ended"),
            )
        ).first()


def test_api_logout_ends_the_session_and_is_audited(app, world):
    tokens = _sign_in(app)
    client = app.test_client()
    response = client.post("/api/v1/security/logout", headers=_bearer(tokens["access_token"]))
    assert response.status_code == 200
    _assert_refused(client.get(UNIT_LIST, headers=_bearer(tokens["access_token"])))
    _assert_refused(client.post(REFRESH, headers=_bearer(tokens["refresh_token"])))
    (row,) = _api_rows(app, world.user("window_staff"))
    assert not row.active and row.end_reason == "logout"
    with app.app_context():
        from app.extensions import db

        assert db.session.execute(
            select(AuditLog).where(AuditLog.action == "logout", AuditLog.summary == "window_staff")
        ).first()


def test_disabling_an_account_ends_its_api_sessions(app, world):
    from tests.accounts.factories import set_user

    tokens = _sign_in(app)
    set_user(app, world.user("window_staff"), active=False)
    _assert_refused(app.test_client().get(UNIT_LIST, headers=_bearer(tokens["access_token"])))
    _assert_refused(app.test_client().post(REFRESH, headers=_bearer(tokens["refresh_token"])))
    (row,) = _api_rows(app, world.user("window_staff"))
    assert not row.active and row.end_reason == "credentials"


def test_each_api_sign_in_is_its_own_session(app, world):
    first, second = _sign_in(app), _sign_in(app)
    client = app.test_client()
    client.post("/api/v1/security/logout", headers=_bearer(first["access_token"]))
    _assert_refused(client.get(UNIT_LIST, headers=_bearer(first["access_token"])))
    assert client.get(UNIT_LIST, headers=_bearer(second["access_token"])).status_code == 200


def test_refresh_tokens_have_the_configured_bounded_lifetime(app, world, monkeypatch):
    from flask_jwt_extended import decode_token

    import config

    assert config.JWT_REFRESH_TOKEN_EXPIRES == 8 * 3600
    tokens = _sign_in(app)
    with app.app_context():
        claims = decode_token(tokens["refresh_token"])
    assert claims["exp"] - claims["iat"] == app.config["JWT_REFRESH_TOKEN_EXPIRES"] == 8 * 3600

    class Later(dt.datetime):
        """The clock of the token check, moved past the refresh lifetime."""

        @classmethod
        def now(cls, tz: Any = None) -> Any:
            return dt.datetime.now(tz) + dt.timedelta(hours=8, minutes=1)

    monkeypatch.setattr(jwt.api_jwt, "datetime", Later)
    response = app.test_client().post(REFRESH, headers=_bearer(tokens["refresh_token"]))
    _assert_refused(response)
    assert response.json["message"] == EXPIRED_ZH


def _token(app: Any, identity: str, key: str | None = None, **claims: Any) -> str:
    from flask_jwt_extended import create_access_token

    with app.app_context():
        token = create_access_token(identity=identity, additional_claims=claims)
    if key is not None:  # the same claims, signed with somebody else's key
        data = jwt.decode(token, options={"verify_signature": False})
        token = jwt.encode(data, key, algorithm="HS256")
    return token


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda app, world: "garbage", id="garbage"),
        pytest.param(lambda app, world: "a.b.c", id="three-garbage-parts"),
        pytest.param(
            lambda app, world: _token(app, str(world.user("window_staff")), key="x" * 48),
            id="other-key",
        ),
        pytest.param(lambda app, world: _token(app, "987654", zw_epoch=0), id="unknown-user"),
        pytest.param(
            lambda app, world: _token(app, str(world.user("window_staff")), zw_epoch=0),
            id="no-session",
        ),
    ],
)
def test_bad_tokens_answer_401_without_internal_ids(app, world, make):
    response = app.test_client().get(UNIT_LIST, headers=_bearer(make(app, world)))
    _assert_refused(response)
    assert response.json == {"message": EXPIRED_ZH}
    assert "987654" not in response.get_data(as_text=True)


def test_access_token_used_for_refresh_and_missing_token_answer_401(app, world):
    tokens = _sign_in(app)
    client = app.test_client()
    _assert_refused(client.post(REFRESH, headers=_bearer(tokens["access_token"])))
    missing = client.get(UNIT_LIST)
    assert missing.status_code == 401 and missing.json == {"message": "请登录。"}


def test_failed_api_sign_in_answers_the_login_forms_message_and_opens_no_session(app, world):
    client = app.test_client()
    response = client.post(
        "/api/v1/security/login",
        json={"username": "window_staff", "password": "wrong", "provider": "db"},
    )
    assert response.status_code == 401
    assert response.json["message"].startswith("登录失败")
    assert _api_rows(app, world.user("window_staff")) == []
    not_json = client.post("/api/v1/security/login", data="x")
    assert not_json.status_code == 400 and not_json.json == {"message": "请求内容必须是 JSON。"}


def test_bad_token_message_follows_the_language(app, world):
    client = app.test_client()
    with client.session_transaction() as session:
        session["locale"] = "en"
    response = client.get(UNIT_LIST, headers=_bearer("garbage"))
    assert response.status_code == 401
    assert response.json == {"message": "Your sign-in is no longer valid. Please sign in again."}


def test_token_of_a_deleted_user_answers_401_without_its_id(app, world):
    from app.core import roles
    from app.core.actor import system_actor
    from app.core.models import AppUser
    from app.core.unit_of_work import unit_of_work
    from app.extensions import appbuilder, db

    with app.app_context():
        sm = appbuilder.sm
        user = sm.add_user(
            username="leaver",
            first_name="leaver",
            last_name="",
            email="leaver@test.example",
            role=[sm.find_role(roles.WINDOW_STAFF)],
            password=PASSWORD,
        )
        user_id = user.id
    tokens = _sign_in(app, "leaver")
    with app.app_context(), unit_of_work(db.session, system_actor()):
        db.session.delete(db.session.get(AppUser, user_id))
        db.session.commit()
    response = app.test_client().get(UNIT_LIST, headers=_bearer(tokens["access_token"]))
    _assert_refused(response)
    assert str(user_id) not in response.get_data(as_text=True)
    _assert_refused(app.test_client().post(REFRESH, headers=_bearer(tokens["refresh_token"])))


def test_only_the_security_administrator_sees_api_sessions(app, world, login):
    _sign_in(app, headers={"User-Agent": "zwfw-sync/1.0"})
    page = login("security_admin").get("/onlineuserview/list/").get_data(as_text=True)
    assert "zwfw-sync/1.0" in page
    for username in ("sys_admin", "audit_admin", "county_coordinator", "window_staff"):
        response = login(username).get("/onlineuserview/list/")
        assert response.status_code in (302, 403), username
        assert "zwfw-sync/1.0" not in response.get_data(as_text=True), username
    # No API lists the sessions.
    headers = _bearer(_sign_in(app, "security_admin")["access_token"])
    for path in ("/api/v1/usersession/", "/api/v1/user_session/", "/api/v1/onlineuser/"):
        assert app.test_client().get(path, headers=headers).status_code == 404
