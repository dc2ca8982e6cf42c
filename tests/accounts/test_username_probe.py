"""A unit cannot find out which accounts exist by filing account requests: the request is
answered the same way for a taken and a free user name; the approver is told of the clash."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from app.accounts.models import AccountRequest
from app.core.models import AppUser
from tests.accounts.factories import file_new


def _form(username: str) -> dict[str, str]:
    return {
        "kind": "new",
        "person_name": "王伟",
        "mobile": "13800138000",
        "hall": "秀英区政务服务中心",
        "window_no": "A05",
        "role_name": "窗口人员",
        "username": username,
        "note": "",
    }


def _pending_usernames(app: Any) -> set[str]:
    with app.app_context():
        from app.extensions import db

        return set(db.session.scalars(select(AccountRequest.username)).all())


def test_the_request_form_answers_alike_for_taken_and_free_user_names(app, world, login):
    client = login("unit_operator")
    taken = client.post("/accountrequestview/add", data=_form("sys_admin"), follow_redirects=True)
    free = client.post("/accountrequestview/add", data=_form("li_na_2026"), follow_redirects=True)
    assert taken.status_code == free.status_code == 200
    assert taken.request.path == free.request.path
    taken_page, free_page = taken.get_data(as_text=True), free.get_data(as_text=True)
    for page in (taken_page, free_page):
        assert "已被占用" not in page and "already taken" not in page
        assert "不可用" not in page
    assert _pending_usernames(app) == {"sys_admin", "li_na_2026"}


def test_the_request_api_answers_alike_for_taken_and_free_user_names(app, world, api_token):
    client = app.test_client()
    headers = api_token("unit_operator")
    answers = []
    for username in ("audit_admin", "zhang_min"):
        response = client.post(
            "/api/v1/account_request/",
            headers=headers,
            json={k: v for k, v in _form(username).items() if k != "note"},
        )
        answers.append((response.status_code, sorted(response.json)))
    assert answers[0] == answers[1]
    assert answers[0][0] == 201


def test_the_approver_is_told_the_name_is_taken_and_cannot_approve(app, world, login):
    pk = file_new(app, world, username="Security_Admin")
    coordinator = login("county_coordinator")
    page = coordinator.get(f"/accountrequestview/show/{pk}").get_data(as_text=True)
    assert 'id="username-unavailable"' in page
    assert "用户名 Security_Admin 不可用" in page
    with app.app_context():
        from app.extensions import db

        version = db.session.get(AccountRequest, pk).version
        accounts = db.session.scalar(select(func.count()).select_from(AppUser))
    response = coordinator.post(
        f"/accountrequestview/decide/{pk}",
        data={"decision": "approve", "version": version},
        follow_redirects=True,
    )
    assert "用户名 Security_Admin 不可用" in response.get_data(as_text=True)
    with app.app_context():
        from app.extensions import db

        assert db.session.get(AccountRequest, pk).state == "pending"
        assert db.session.scalar(select(func.count()).select_from(AppUser)) == accounts
    # Rejecting it with a reason goes through as usual.
    coordinator.post(
        f"/accountrequestview/decide/{pk}",
        data={"decision": "reject", "version": version, "reason": "用户名不可用，请更换后重新申请"},
    )
    with app.app_context():
        from app.extensions import db

        assert db.session.get(AccountRequest, pk).state == "rejected"
    # A free name shows no warning.
    other = file_new(app, world, username="free_name_1")
    page = coordinator.get(f"/accountrequestview/show/{other}").get_data(as_text=True)
    assert 'id="username-unavailable"' not in page
