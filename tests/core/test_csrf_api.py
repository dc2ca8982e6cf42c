"""The REST API's writes with the browser's session cookie need the CSRF token (and this origin);
JWT calls do not. Logout is a POST with the token; a GET of /logout/ signs nobody out.

Each state-changing API the assessor used (account approval, licence submission, filing, import,
import confirmation) is tried three ways: the cookie without a token (refused, nothing changed),
the cookie with the page's token (works), a JWT without a token (works).
"""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import func, select

from app.accounts.models import AccountRequest
from app.catalogue.models import Filing
from app.core.models import AppUser, Unit
from app.excel.models import ImportBatch
from app.extensions import db
from app.licences.models import LicenceEntry
from tests.accounts.factories import file_new
from tests.catalogue import factories as catalogue_factories
from tests.excel.factories import credit_code, unit_rows
from tests.licences.factories import make_entry

REFUSED_TOKEN = "缺少或无效的 CSRF 令牌，请刷新页面后重试"
REFUSED_ORIGIN = "已拒绝：该请求来自其他网站"


@pytest.fixture
def browser(app, login, monkeypatch):
    """``browser(username)``: a client signed in through the form, with CSRF checks on, and the
    token its pages carry (the navbar's logout form)."""

    def _browser(username: str) -> tuple[object, str]:
        client = login(username)
        monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
        page = client.get("/").get_data(as_text=True)
        match = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert match, "the signed-in page carries no CSRF token"
        return client, match.group(1)

    return _browser


def _scalar(app, statement):
    with app.app_context():
        return db.session.scalar(statement)


def _refused_for_token(response) -> None:
    assert response.status_code == 400, response.get_data(as_text=True)
    assert response.json["message"] == REFUSED_TOKEN


# -- account request approval ---------------------------------------------------------------------


def _request_state(app, pk):
    return _scalar(app, select(AccountRequest.state).where(AccountRequest.id == pk))


def _approval(app, pk):
    """The body of an approval: the request's version, as the page that shows it carries."""
    return {"version": _scalar(app, select(AccountRequest.version).where(AccountRequest.id == pk))}


def _user_exists(app, username):
    return _scalar(app, select(func.count()).where(AppUser.username == username)) == 1


def test_cookie_approval_without_token_is_refused_and_changes_nothing(app, world, browser):
    pk = file_new(app, world)
    client, _token = browser("county_coordinator")
    response = client.post(f"/api/v1/account_request/{pk}/approve", data={})
    _refused_for_token(response)
    assert "initial_password" not in response.get_data(as_text=True)
    assert _request_state(app, pk) == "pending"
    assert not _user_exists(app, "wang_wei")


def test_cookie_approval_with_a_wrong_token_is_refused(app, world, browser):
    pk = file_new(app, world)
    client, token = browser("county_coordinator")
    response = client.post(
        f"/api/v1/account_request/{pk}/approve", json={}, headers={"X-CSRFToken": token + "x"}
    )
    _refused_for_token(response)
    assert _request_state(app, pk) == "pending"


def test_approval_works_with_the_pages_token_or_a_jwt(app, world, browser, api_token):
    pk = file_new(app, world)
    client, token = browser("county_coordinator")
    response = client.post(
        f"/api/v1/account_request/{pk}/approve",
        json=_approval(app, pk),
        headers={"X-CSRFToken": token},
    )
    assert response.status_code == 200, response.json
    assert response.json["result"]["initial_password"]
    assert _request_state(app, pk) == "approved"
    assert _user_exists(app, "wang_wei")
    other = file_new(app, world, username="li_na")
    by_jwt = app.test_client().post(
        f"/api/v1/account_request/{other}/approve",
        json=_approval(app, other),
        headers=api_token("county_coordinator"),
    )
    assert by_jwt.status_code == 200, by_jwt.json
    assert _request_state(app, other) == "approved"


def test_cookie_approval_from_another_origin_is_refused_even_with_the_token(app, world, browser):
    pk = file_new(app, world)
    client, token = browser("county_coordinator")
    for origin in ("http://evil.example", "http://localhost:8081", "null"):
        response = client.post(
            f"/api/v1/account_request/{pk}/approve",
            json={},
            headers={"X-CSRF-Token": token, "Origin": origin},
        )
        assert response.status_code == 403, origin
        assert response.json["message"] == REFUSED_ORIGIN
    assert _request_state(app, pk) == "pending"
    same_origin = client.post(
        f"/api/v1/account_request/{pk}/approve",
        json=_approval(app, pk),
        headers={"X-CSRF-Token": token, "Origin": "http://localhost"},
    )
    assert same_origin.status_code == 200, same_origin.json


def test_a_referer_of_another_site_is_refused_when_the_origin_is_missing(app, world, browser):
    pk = file_new(app, world)
    client, token = browser("county_coordinator")
    response = client.post(
        f"/api/v1/account_request/{pk}/approve",
        json={},
        headers={"X-CSRFToken": token, "Referer": "http://evil.example/page"},
    )
    assert response.status_code == 403
    assert _request_state(app, pk) == "pending"


def test_a_cookie_edit_through_the_crud_api_needs_the_token(app, world, browser):
    unit_id = world.unit("xiuying_market")
    client, token = browser("province_admin")
    unit = client.get(f"/api/v1/unit/{unit_id}").json["result"]
    change = {"liaison_name": "赵六", "version": unit["version"]}
    _refused_for_token(client.put(f"/api/v1/unit/{unit_id}", json=change))
    assert _scalar(app, select(Unit.liaison_name).where(Unit.id == unit_id)) != "赵六"
    done = client.put(f"/api/v1/unit/{unit_id}", json=change, headers={"X-CSRFToken": token})
    assert done.status_code == 200, done.json
    assert _scalar(app, select(Unit.liaison_name).where(Unit.id == unit_id)) == "赵六"


def test_an_invalid_jwt_does_not_excuse_the_cookie_from_the_token(app, world, browser):
    pk = file_new(app, world)
    client, _token = browser("county_coordinator")
    response = client.post(
        f"/api/v1/account_request/{pk}/approve",
        json={},
        headers={"Authorization": "Bearer not-a-token"},
    )
    _refused_for_token(response)
    assert _request_state(app, pk) == "pending"


def test_reads_and_anonymous_calls_are_unchanged(app, world, browser):
    pk = file_new(app, world)
    client, _token = browser("county_coordinator")
    assert client.get(f"/api/v1/account_request/{pk}").status_code == 200
    anonymous = app.test_client().post(f"/api/v1/account_request/{pk}/approve", json={})
    assert anonymous.status_code == 401


# -- licence submission ---------------------------------------------------------------------------


def _draft_entry(app, world):
    with app.app_context():
        return make_entry(world.unit("xiuying_market"))


def _entry_version(app, pk):
    return {"version": _scalar(app, select(LicenceEntry.version).where(LicenceEntry.id == pk))}


def _entry_state(app, pk):
    return _scalar(app, select(LicenceEntry.state).where(LicenceEntry.id == pk))


def test_licence_submission_needs_the_token_with_the_cookie(app, world, browser, api_token):
    first, second = _draft_entry(app, world), None
    client, token = browser("unit_operator")
    _refused_for_token(client.post(f"/api/v1/licence_entry/{first}/submit", data={}))
    assert _entry_state(app, first) == "draft"
    done = client.post(
        f"/api/v1/licence_entry/{first}/submit",
        json=_entry_version(app, first),
        headers={"X-CSRFToken": token},
    )
    assert done.status_code == 200, done.json
    assert _entry_state(app, first) == "submitted"
    with app.app_context():
        second = make_entry(world.unit("xiuying_market"), number=2, name="食品经营许可证")
    by_jwt = app.test_client().post(
        f"/api/v1/licence_entry/{second}/submit",
        json=_entry_version(app, second),
        headers=api_token("unit_operator"),
    )
    assert by_jwt.status_code == 200, by_jwt.json
    assert _entry_state(app, second) == "submitted"


# -- filing of a region's list --------------------------------------------------------------------


def _filings(app):
    return _scalar(app, select(func.count()).select_from(Filing))


def test_filing_needs_the_token_with_the_cookie(app, world, browser, api_token):
    with app.app_context():
        entry = catalogue_factories.basic_entry()
        catalogue_factories.item(world, entry=entry, published=True)
        catalogue_factories.item(world, unit_key="haitang_market", entry=entry, published=True)
        db.session.commit()
    client, token = browser("county_coordinator")
    before = _filings(app)
    _refused_for_token(client.post("/api/v1/filing/file", data={"note": "2026年度"}))
    assert _filings(app) == before
    done = client.post("/api/v1/filing/file", json={}, headers={"X-CSRFToken": token})
    assert done.status_code == 201, done.json
    assert _filings(app) == before + 1
    by_jwt = app.test_client().post(
        "/api/v1/filing/file", json={}, headers=api_token("county_coordinator2")
    )
    assert by_jwt.status_code == 201, by_jwt.json
    assert _filings(app) == before + 2


# -- spreadsheet import and its confirmation ------------------------------------------------------


def _workbook() -> bytes:
    return unit_rows(
        [
            "海口市秀英区民政局",
            credit_code("460105", 1),
            "460105",
            "政府部门",
            None,
            "王五",
            "0898-1",
            "是",
        ]
    )


def _upload(client, headers=None):
    return client.post(
        "/api/v1/unit_list/import",
        headers=headers or {},
        data={"file": (io.BytesIO(_workbook()), "units.xlsx")},
        content_type="multipart/form-data",
    )


def _batches(app):
    return _scalar(app, select(func.count()).select_from(ImportBatch))


def _units(app):
    return _scalar(app, select(func.count()).select_from(Unit))


@pytest.fixture
def eager_jobs(app, monkeypatch):
    monkeypatch.setitem(app.config, "JOBS_EAGER", True)


def test_import_needs_the_token_with_the_cookie(app, world, browser, api_token, eager_jobs):
    client, token = browser("province_admin")
    before = _batches(app)
    _refused_for_token(_upload(client))
    assert _batches(app) == before
    with_token = _upload(client, {"X-CSRFToken": token})
    assert with_token.status_code == 200, with_token.json
    assert _batches(app) == before + 1
    by_jwt = _upload(app.test_client(), api_token("province_admin"))
    assert by_jwt.status_code == 200, by_jwt.json
    assert _batches(app) == before + 2


def test_import_confirmation_needs_the_token_with_the_cookie(
    app, world, browser, api_token, eager_jobs
):
    headers = api_token("province_admin")
    preview = _upload(app.test_client(), headers)
    assert preview.json["status"] == "previewed", preview.json
    client, token = browser("province_admin")
    before = _units(app)
    url = f"/api/v1/unit_list/import/{preview.json['id']}/confirm"
    _refused_for_token(client.post(url, data={}))
    assert _units(app) == before
    assert client.get(f"/api/v1/unit_list/import/{preview.json['id']}").json["status"] == (
        "previewed"
    )
    done = client.post(url, headers={"X-CSRFToken": token})
    assert done.status_code == 200, done.json
    assert done.json["status"] == "applied"
    assert _units(app) == before + 1
    # And the same by JWT, on a fresh preview of a second workbook.
    second = unit_rows(
        [
            "三亚市海棠区教育局",
            credit_code("460202", 2),
            460202,
            "政府部门",
            "县级",
            None,
            None,
            None,
        ]
    )
    jwt_client = app.test_client()
    again = jwt_client.post(
        "/api/v1/unit_list/import",
        headers=headers,
        data={"file": (io.BytesIO(second), "units.xlsx")},
        content_type="multipart/form-data",
    )
    confirmed = jwt_client.post(
        f"/api/v1/unit_list/import/{again.json['id']}/confirm", headers=headers
    )
    assert confirmed.json["status"] == "applied", confirmed.json
    assert _units(app) == before + 2


# -- every API is covered -------------------------------------------------------------------------


def test_every_api_but_the_jwt_login_is_checked(app):
    from flask_appbuilder.api import BaseApi

    from app.core.api_csrf import _api_blueprints
    from app.extensions import appbuilder

    apis = {view.blueprint.name for view in appbuilder.baseviews if isinstance(view, BaseApi)}
    with app.test_request_context("/"):
        checked = _api_blueprints()
    assert apis - checked == {"SecurityApi"}
    assert {"AccountRequestApi", "LicenceReviewApi", "WorkingDayApi", "FilingApi"} <= checked


# -- logout ---------------------------------------------------------------------------------------


def _signed_in(client) -> bool:
    response = client.get("/api/v1/account_request/")
    return response.status_code == 200


def test_get_logout_signs_nobody_out(app, world, browser):
    client, _token = browser("county_coordinator")
    page = client.get("/logout/")
    assert page.status_code == 200
    assert 'id="logout-confirm-form"' in page.get_data(as_text=True)
    assert _signed_in(client)


def test_post_logout_needs_the_token_and_ends_the_session(app, world, browser):
    client, token = browser("county_coordinator")
    assert client.post("/logout/").status_code == 400
    assert _signed_in(client)
    response = client.post("/logout/", data={"csrf_token": token})
    assert response.status_code == 302
    assert not _signed_in(client)


def test_the_navbar_signs_out_with_a_post_form(app, world, browser):
    client, _token = browser("county_coordinator")
    page = client.get("/").get_data(as_text=True)
    assert re.search(r'<form method="post" action="/logout/" id="logout-form"', page)
    assert 'href="/logout/"' not in page
