"""Window-account requests: filed by the unit, decided by the region's coordinator."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from app.accounts.models import AccountRequest, WindowUser
from app.core.models import AppUser, AuditLog
from tests.accounts.factories import STRONG, approve, days_ago, file_new, set_user, window_user_of


def _request(app: Any, pk: int) -> AccountRequest:
    with app.app_context():
        from app.extensions import db

        item = db.session.get(AccountRequest, pk)
        db.session.expunge(item)
        return item


def _user(app: Any, username: str) -> AppUser | None:
    with app.app_context():
        from app.extensions import db

        user = db.session.execute(
            select(AppUser).where(AppUser.username == username)
        ).scalar_one_or_none()
        if user is not None:
            db.session.expunge(user)
        return user


def test_unit_operator_files_a_new_account_request_in_the_form(app, world, login):
    client = login("unit_operator")
    response = client.post(
        "/accountrequestview/add",
        data={
            "kind": "new",
            "person_name": "王伟",
            "mobile": "13800138000",
            "hall": "秀英区政务服务中心",
            "window_no": "A05",
            "role_name": "窗口人员",
            "username": "wang_wei",
            "note": "",
        },
    )
    assert response.status_code == 302
    with app.app_context():
        from app.extensions import db

        item = db.session.execute(select(AccountRequest)).scalar_one()
        assert item.unit_id == world.unit("xiuying_market")
        assert item.state == "pending"
    page = login("county_coordinator").get("/accountrequestview/list/").get_data(as_text=True)
    assert "王伟" in page


def test_request_with_a_bad_mobile_or_taken_user_name_is_refused(app, world, login):
    client = login("unit_operator")
    client.post(
        "/accountrequestview/add",
        data={
            "kind": "new",
            "person_name": "王伟",
            "mobile": "12345",
            "hall": "大厅",
            "role_name": "窗口人员",
            "username": "window_staff",
        },
    )
    with app.app_context():
        from app.extensions import db

        assert db.session.execute(select(AccountRequest)).first() is None


def test_coordinator_approval_creates_the_login_with_a_one_time_password(app, world, login):
    pk = file_new(app, world)
    coordinator = login("county_coordinator")
    version = _request(app, pk).version
    response = coordinator.post(
        f"/accountrequestview/decide/{pk}", data={"decision": "approve", "version": version}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    user = _user(app, "wang_wei")
    assert user is not None and user.active and user.must_change_password
    assert user.unit_id == world.unit("xiuying_market")
    start = page.index('id="initial-password">') + len('id="initial-password">')
    password = page[start : page.index("<", start)]
    # First sign-in with the one-time password: a change is forced before anything else.
    client = login("wang_wei", password)
    response = client.get("/unitview/list/")
    assert "/resetmypassword/form" in response.headers["Location"]
    client.post("/resetmypassword/form", data={"password": STRONG, "conf_password": STRONG})
    assert client.get("/unitview/list/").status_code == 200
    assert _request(app, pk).state == "approved"
    with app.app_context():
        from app.extensions import db

        assert db.session.execute(
            select(AuditLog).where(
                AuditLog.object_type == "AccountRequest",
                AuditLog.object_id == str(pk),
                AuditLog.action == "transition",
            )
        ).first()
        # The one-time password appears nowhere in the audit log.
        assert not db.session.execute(
            select(AuditLog).where(AuditLog.after.contains(password))
        ).first()


def test_coordinator_cannot_approve_a_request_outside_their_region(app, world, login):
    pk = file_new(app, world)
    other = login("county_coordinator2")
    assert other.get(f"/accountrequestview/show/{pk}").status_code == 404
    response = other.post(f"/accountrequestview/decide/{pk}", data={"decision": "approve"})
    assert response.status_code == 404
    assert _request(app, pk).state == "pending"
    assert _user(app, "wang_wei") is None


def test_coordinator_cannot_approve_outside_their_region_through_the_api(app, world, api_token):
    pk = file_new(app, world)
    client = app.test_client()
    headers = api_token("county_coordinator2")
    assert client.get(f"/api/v1/account_request/{pk}", headers=headers).status_code == 404
    response = client.post(f"/api/v1/account_request/{pk}/approve", json={}, headers=headers)
    assert response.status_code == 404
    assert _request(app, pk).state == "pending"


def test_the_unit_cannot_approve_its_own_request(app, world, login, api_token):
    pk = file_new(app, world)
    response = login("unit_operator").post(
        f"/accountrequestview/decide/{pk}", data={"decision": "approve"}
    )
    assert response.status_code in (302, 403)
    response = app.test_client().post(
        f"/api/v1/account_request/{pk}/approve", json={}, headers=api_token("unit_operator")
    )
    assert response.status_code == 403
    assert _request(app, pk).state == "pending"


def test_reject_needs_a_reason(app, world, login, api_token):
    pk = file_new(app, world)
    coordinator = login("county_coordinator")
    version = _request(app, pk).version  # the form's hidden field; the API body's "version"
    coordinator.post(
        f"/accountrequestview/decide/{pk}",
        data={"decision": "reject", "reason": "  ", "version": version},
    )
    assert _request(app, pk).state == "pending"
    response = app.test_client().post(
        f"/api/v1/account_request/{pk}/reject",
        json={"reason": "", "version": version},
        headers=api_token("county_coordinator"),
    )
    assert response.status_code == 422
    coordinator.post(
        f"/accountrequestview/decide/{pk}",
        data={"decision": "reject", "reason": "该同志未在窗口岗位", "version": version},
    )
    item = _request(app, pk)
    assert item.state == "rejected" and item.decision_reason == "该同志未在窗口岗位"
    assert _user(app, "wang_wei") is None


def test_api_files_and_approves_a_new_account(app, world, api_token):
    client = app.test_client()
    response = client.post(
        "/api/v1/account_request/",
        json={
            "kind": "new",
            "person_name": "陈静",
            "mobile": "13900139000",
            "hall": "秀英区政务服务中心",
            "window_no": "B01",
            "role_name": "窗口人员",
            "username": "chen_jing",
        },
        headers=api_token("unit_operator"),
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    pk = response.json["id"]
    version = _request(app, pk).version
    response = client.post(
        f"/api/v1/account_request/{pk}/approve",
        json={"version": version},
        headers=api_token("county_coordinator"),
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.json["result"]["username"] == "chen_jing"
    assert len(response.json["result"]["initial_password"]) >= 8
    # Deciding twice is refused.
    response = client.post(
        f"/api/v1/account_request/{pk}/approve",
        json={"version": _request(app, pk).version},
        headers=api_token("county_coordinator"),
    )
    assert response.status_code == 409


def test_cancel_disables_the_login_and_deletes_nothing(app, world, login):
    pk = file_new(app, world)
    user_id, password = approve(app, pk, world.user("county_coordinator"))
    window_user_id = window_user_of(app, pk)
    set_user(app, user_id, must_change_password=False)
    browser = login("wang_wei", password)
    assert browser.get("/unitview/list/").status_code == 200
    operator = login("unit_operator")
    operator.post(
        "/accountrequestview/add",
        data={"kind": "cancel", "window_user": str(window_user_id), "note": "调离窗口岗位"},
    )
    with app.app_context():
        from app.extensions import db

        cancel = db.session.execute(
            select(AccountRequest).where(AccountRequest.kind == "cancel")
        ).scalar_one()
        cancel_id = cancel.id
    approve(app, cancel_id, world.user("county_coordinator"))
    user = _user(app, "wang_wei")
    assert user is not None and user.active is False
    assert browser.get("/unitview/list/").status_code == 302
    with app.app_context():
        from app.extensions import db

        assert db.session.get(WindowUser, window_user_id).status == "cancelled"


def test_cancel_request_needs_a_reason(app, world, login):
    pk = file_new(app, world)
    approve(app, pk, world.user("county_coordinator"))
    window_user_id = window_user_of(app, pk)
    login("unit_operator").post(
        "/accountrequestview/add",
        data={"kind": "cancel", "window_user": str(window_user_id), "note": ""},
    )
    with app.app_context():
        from app.extensions import db

        assert (
            db.session.execute(
                select(AccountRequest).where(AccountRequest.kind == "cancel")
            ).first()
            is None
        )


def test_transfer_moves_the_login_to_another_unit_of_the_region(app, world, login):
    pk = file_new(app, world)
    user_id, _password = approve(app, pk, world.user("county_coordinator"))
    window_user_id = window_user_of(app, pk)
    login("unit_operator").post(
        "/accountrequestview/add",
        data={
            "kind": "transfer",
            "window_user": str(window_user_id),
            "target_unit": str(world.unit("xiuying_edu")),
            "hall": "秀英区政务服务中心",
            "window_no": "C02",
        },
    )
    with app.app_context():
        from app.extensions import db

        transfer_id = db.session.execute(
            select(AccountRequest.id).where(AccountRequest.kind == "transfer")
        ).scalar_one()
    approve(app, transfer_id, world.user("county_coordinator"))
    with app.app_context():
        from app.extensions import db

        window_user = db.session.get(WindowUser, window_user_id)
        assert window_user.unit_id == world.unit("xiuying_edu")
        assert window_user.window_no == "C02"
        assert db.session.get(AppUser, user_id).unit_id == world.unit("xiuying_edu")


def test_window_users_and_requests_of_another_unit_are_not_found(app, world, login, api_token):
    pk = file_new(app, world)
    approve(app, pk, world.user("county_coordinator"))
    window_user_id = window_user_of(app, pk)
    other = login("unit_operator2")
    assert other.get(f"/accountrequestview/show/{pk}").status_code == 404
    assert other.get(f"/windowuserview/show/{window_user_id}").status_code == 404
    assert "王伟" not in other.get("/windowuserview/list/").get_data(as_text=True)
    headers = api_token("unit_operator2")
    client = app.test_client()
    assert client.get(f"/api/v1/window_user/{window_user_id}", headers=headers).status_code == 404
    assert client.get("/api/v1/account_request/", headers=headers).json["count"] == 0
    # A request naming another unit's window user is refused.
    response = client.post(
        "/api/v1/account_request/",
        json={"kind": "cancel", "window_user": window_user_id, "note": "x"},
        headers=headers,
    )
    assert response.status_code in (404, 422)


def test_coordinator_overview_counts_users_pending_and_unused_accounts(app, world, login):
    pk = file_new(app, world)
    user_id, _password = approve(app, pk, world.user("county_coordinator"))
    file_new(app, world, username="li_na", person_name="李娜")
    set_user(app, user_id, last_login=days_ago(91))
    page = login("county_coordinator").get("/accounts/overview/").get_data(as_text=True)
    assert "海口市秀英区市场监督管理局" in page
    row = page[page.index("海口市秀英区市场监督管理局") :]
    row = row[: row.index("</tr>")]
    assert '<td class="active-users">1</td>' in row
    assert '<td class="pending-requests">1</td>' in row
    assert "王伟（wang_wei）" in row
    other = login("county_coordinator2").get("/accounts/overview/").get_data(as_text=True)
    assert "王伟" not in other


def test_recently_used_account_is_not_proposed_for_cancellation(app, world, login):
    pk = file_new(app, world)
    user_id, _password = approve(app, pk, world.user("county_coordinator"))
    set_user(app, user_id, last_login=days_ago(10))
    page = login("county_coordinator").get("/accounts/overview/").get_data(as_text=True)
    assert "王伟（wang_wei）" not in page


def test_unit_operator_names_the_liaison_of_its_own_unit_only(app, world, login):
    client = login("unit_operator")
    own = world.unit("xiuying_market")
    with app.app_context():
        from app.core.models import Unit
        from app.extensions import db

        version = db.session.get(Unit, own).version
    response = client.post(
        f"/liaisonview/edit/{own}",
        data={"liaison_name": "张敏", "liaison_phone": "0898-68000000", "lock_version": version},
    )
    assert response.status_code == 302
    with app.app_context():
        from app.core.models import Unit
        from app.extensions import db

        assert db.session.get(Unit, own).liaison_name == "张敏"
    assert client.get(f"/liaisonview/edit/{world.unit('haitang_market')}").status_code == 404


def test_api_refusals_carry_the_message_and_the_field_errors(app, world, api_token):
    pk = file_new(app, world)
    client, headers = app.test_client(), api_token("county_coordinator")
    version = _request(app, pk).version
    no_reason = client.post(
        f"/api/v1/account_request/{pk}/reject",
        json={"reason": "", "version": version},
        headers=headers,
    )
    assert no_reason.status_code == 422
    assert list(no_reason.json["errors"]) == ["reason"]
    assert no_reason.json["message"] == no_reason.json["errors"]["reason"]
    stale = client.post(
        f"/api/v1/account_request/{pk}/approve", json={"version": version + 1}, headers=headers
    )
    assert stale.status_code == 409
    assert stale.json["message"] and stale.json["errors"] == {}
    assert _request(app, pk).state == "pending"
