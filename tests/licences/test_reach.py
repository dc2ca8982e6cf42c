"""Cross-reach attempts on every licence view and API: out-of-reach ids answer 404."""

from __future__ import annotations

import pytest

from app.extensions import db
from app.licences.models import LicenceEntry, LicenceObjection
from tests.licences.factories import (
    make_application,
    make_entry,
    make_event,
    make_objection,
)


@pytest.fixture
def haitang(world, app):
    """Records of 三亚市海棠区市场监督管理局, outside 秀英区's reach."""
    with app.app_context():
        draft = make_entry(world.unit("haitang_market"), number=1, name="海棠草稿")
        published = make_entry(
            world.unit("haitang_market"), number=2, state="approved", name="海棠证照"
        )
        ids = {
            "entry": draft,
            "published": published,
            "field": db.session.get(LicenceEntry, draft).face_fields[0].id,
            "application": make_application(world.unit("haitang_market"), published),
            "objection": make_objection(published),
            "event": make_event(published),
        }
    return ids


UI = {
    "entry": ["/licenceentryview/show/{}", "/licenceentryview/edit/{}"],
    "field": ["/licencefacefieldview/show/{}", "/licencefacefieldview/edit/{}"],
    "application": ["/licenceusageapplicationview/show/{}", "/licenceusageapplicationview/edit/{}"],
    "objection": ["/licenceobjectionview/show/{}"],
    "event": ["/licencestatuseventview/show/{}"],
}
API = {
    "entry": "/api/v1/licence_entry/{}",
    "field": "/api/v1/licence_face_field/{}",
    "application": "/api/v1/licence_usage_application/{}",
    "objection": "/api/v1/licence_objection/{}",
    "event": "/api/v1/licence_status_event/{}",
}


@pytest.mark.parametrize("user", ["unit_operator", "county_coordinator"])
def test_other_county_records_are_404_in_the_ui(login, haitang, user):
    client = login(user)
    for kind, urls in UI.items():
        for url in urls:
            assert client.get(url.format(haitang[kind])).status_code == 404, (kind, url)


@pytest.mark.parametrize("user", ["unit_operator", "county_coordinator"])
def test_other_county_records_are_404_in_the_api(app, api_token, haitang, user):
    client = app.test_client()
    headers = api_token(user)
    for kind, url in API.items():
        assert client.get(url.format(haitang[kind]), headers=headers).status_code == 404, kind


def test_lists_show_only_own_reach(world, app, login, haitang):
    with app.app_context():
        make_entry(world.unit("xiuying_market"), number=5, name="秀英证照")
    page = login("unit_operator").get("/licenceentryview/list/").get_data(as_text=True)
    assert "秀英证照" in page and "海棠草稿" not in page
    other = login("unit_operator2").get("/licenceentryview/list/").get_data(as_text=True)
    assert "海棠草稿" in other and "秀英证照" not in other
    for url in ("/licenceobjectionview/list/", "/licencestatuseventview/list/"):
        assert "海棠" not in login("unit_operator").get(url).get_data(as_text=True)


def test_transitions_on_other_county_records_are_404(app, api_token, login, haitang):
    client = app.test_client()
    headers = api_token("unit_operator")
    calls = [
        f"/api/v1/licence_entry/{haitang['entry']}/submit",
        f"/api/v1/licence_entry/{haitang['published']}/deprecate",
        f"/api/v1/licence_usage_application/{haitang['application']}/submit",
        f"/api/v1/licence_objection/{haitang['objection']}/mark",
        f"/api/v1/licence_objection/{haitang['objection']}/resolve",
    ]
    for url in calls:
        assert client.post(url, headers=headers, json={"reason": "x"}).status_code == 404, url
    ui = login("unit_operator")
    for url in (
        f"/licenceentryview/submit/{haitang['entry']}",
        f"/licenceentryview/deprecate/{haitang['published']}",
        f"/licenceusageapplicationview/submit/{haitang['application']}",
        f"/licenceobjectionview/mark/{haitang['objection']}",
    ):
        assert ui.post(url, data={"reason": "x"}).status_code == 404, url
    with app.app_context():
        assert db.session.get(LicenceEntry, haitang["entry"]).state == "draft"
        assert db.session.get(LicenceObjection, haitang["objection"]).state == "received"


def test_api_writes_placing_rows_in_another_unit_are_refused(world, app, api_token, haitang):
    from tests.licences.factories import type_code_for

    with app.app_context():
        code = type_code_for(world.unit("haitang_market"), 9)
    client = app.test_client()
    headers = api_token("unit_operator")
    response = client.post(
        "/api/v1/licence_entry/",
        headers=headers,
        json={
            "name": "越权",
            "type_code": code,
            "issuing_unit": world.unit("haitang_market"),
            "holder_category": "legal",
            "validity_rule": "long_term",
            "trust_level": "sealed",
        },
    )
    assert response.status_code == 404
    field = client.post(
        "/api/v1/licence_face_field/",
        headers=headers,
        json={"entry": haitang["entry"], "position": 3, "name": "越权字段", "data_type": "text"},
    )
    assert field.status_code == 404
    with app.app_context():
        assert db.session.query(LicenceEntry).filter_by(name="越权").count() == 0


def test_window_staff_reads_the_catalogue_but_cannot_write(world, app, login, api_token, haitang):
    client = login("window_staff")
    page = client.get("/licencecatalogueview/list/").get_data(as_text=True)
    assert "海棠证照" in page and "海棠草稿" not in page
    assert client.get(f"/licencecatalogueview/show/{haitang['entry']}").status_code == 404
    assert client.get(f"/licencecatalogueview/show/{haitang['published']}").status_code == 200
    assert client.get("/licenceentryview/list/").status_code in (302, 403)
    headers = api_token("window_staff")
    api = app.test_client()
    assert api.get("/api/v1/licence_entry/", headers=headers).status_code == 403
    listed = api.get("/api/v1/licence_catalogue/", headers=headers).json["result"]
    assert [row["name"] for row in listed] == ["海棠证照"]
    assert (
        api.get(f"/api/v1/licence_catalogue/{haitang['entry']}", headers=headers).status_code == 404
    )
    assert api.post("/api/v1/licence_catalogue/", headers=headers, json={}).status_code in (
        403,
        404,
        405,
    )


def test_review_pages_are_not_for_unit_operators(app, login, api_token, haitang):
    client = login("unit_operator")
    assert client.get("/licencereview/queue/").status_code in (302, 403)
    headers = api_token("unit_operator")
    assert app.test_client().get("/api/v1/licence_review/queue", headers=headers).status_code == 403


def test_openapi_document_lists_the_licence_apis(world, app, api_token):
    response = app.test_client().get("/api/v1/_openapi", headers=api_token("province_admin"))
    assert response.status_code == 200
    for path in (
        "/api/v1/licence_entry/",
        "/api/v1/licence_catalogue/",
        "/api/v1/licence_objection/",
        "/api/v1/licence_review/queue",
    ):
        assert path in response.json["paths"], path
