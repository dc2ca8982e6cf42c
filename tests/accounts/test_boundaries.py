"""One use case, one transaction: an account decision that fails part-way leaves nothing."""

from __future__ import annotations

from sqlalchemy import func, select

from app.accounts import services
from app.accounts.models import AccountRequest, WindowUser
from app.core.models import AppUser, AuditLog
from tests.accounts.factories import file_new


def _counts(app) -> tuple[int, int, int]:
    from app.extensions import db

    with app.app_context():
        return tuple(
            db.session.scalar(select(func.count()).select_from(model))
            for model in (AuditLog, AppUser, WindowUser)
        )


def _request(app, pk) -> AccountRequest:
    from app.extensions import db

    with app.app_context():
        return db.session.get(AccountRequest, pk)


def test_an_approval_failing_after_the_login_is_made_leaves_no_login_through_the_api(
    app, world, api_token, fail_after
):
    pk = file_new(app, world)
    headers = api_token("county_coordinator")  # signing in is audited: before counting
    written = fail_after(services, "approve")
    before = _counts(app)
    response = app.test_client().post(
        f"/api/v1/account_request/{pk}/approve",
        json={"version": _request(app, pk).version},
        headers=headers,
    )
    assert response.status_code == 422
    assert written and written[0] > 0  # login, window user and audit rows were written first
    assert _counts(app) == before  # no audit row, no login, no window user
    assert _request(app, pk).state == "pending"


def test_a_rejection_failing_after_its_writes_leaves_the_request_pending_in_the_view(
    app, world, login, fail_after
):
    pk = file_new(app, world)
    client = login("county_coordinator")  # signing in is audited: before counting
    written = fail_after(services, "reject")
    before = _counts(app)
    response = client.post(
        f"/accountrequestview/decide/{pk}",
        data={"decision": "reject", "reason": "材料不全", "version": _request(app, pk).version},
    )
    assert response.status_code == 302
    assert written and written[0] > 0
    assert _counts(app) == before
    assert _request(app, pk).state == "pending"
