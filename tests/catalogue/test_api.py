"""The catalogue's read-only REST APIs of issue #18: item types, item versions, calendar years
and the implementation list's import history; each read within the caller's reach."""

from __future__ import annotations

import pytest

from app.extensions import db
from tests.catalogue import factories as f
from tests.excel.factories import workbook_bytes
from tests.excel.helpers import post_file


@pytest.fixture(autouse=True)
def eager_jobs(app):
    previous = app.config.get("JOBS_EAGER")
    app.config["JOBS_EAGER"] = True
    yield
    app.config["JOBS_EAGER"] = previous


def _published(app, world, unit_key="xiuying_market", code="460105001000"):
    with app.app_context():
        row = f.item(world, unit_key, entry=f.basic_entry(code), published=True)
        db.session.commit()
        return row.id, row.published_version_id


def test_item_types_are_listed_read_only(world, app, api_token):
    with app.app_context():
        f.item_type()
        db.session.commit()
    client, headers = app.test_client(), api_token("county_coordinator")
    answer = client.get("/api/v1/item_type/", headers=headers)
    assert answer.status_code == 200
    assert {"code": "01", "name": "行政许可"}.items() <= answer.json["result"][0].items()
    refused = client.post("/api/v1/item_type/", json={"code": "99", "name": "x"}, headers=headers)
    assert refused.status_code in (404, 405)


def test_item_versions_of_my_items_with_province_time_and_snapshot(world, app, api_token):
    item_id, version_id = _published(app, world)
    client, headers = app.test_client(), api_token("county_coordinator")
    listed = client.get("/api/v1/item_version/", headers=headers).json["result"]
    assert [(v["id"], v["item_id"], v["number"]) for v in listed] == [(version_id, item_id, 1)]
    assert listed[0]["published_at"].endswith("+08:00")
    one = client.get(f"/api/v1/item_version/{version_id}", headers=headers).json["result"]
    assert one["snapshot"]["implementation_code"].endswith("460105001000")


def test_another_countys_item_versions_are_not_found(world, app, api_token):
    _item_id, version_id = _published(app, world)
    client, headers = app.test_client(), api_token("county_coordinator2")
    assert client.get(f"/api/v1/item_version/{version_id}", headers=headers).status_code == 404
    assert client.get("/api/v1/item_version/", headers=headers).json["result"] == []


@pytest.mark.parametrize("username", ["window_staff", "legal_reviewer"])
def test_item_types_api_needs_the_item_types_permission(world, app, api_token, username):
    answer = app.test_client().get("/api/v1/item_type/", headers=api_token(username))
    assert answer.status_code in (401, 403)


def test_calendar_years_are_listed_with_their_complete_flag(world, app, api_token):
    client, headers = app.test_client(), api_token("county_coordinator")
    answer = client.get("/api/v1/calendar_year/?page_size=100", headers=headers)
    years = {row["year"]: row["complete"] for row in answer.json["result"]}
    assert years[2026] is True and 2027 not in years
    refused = client.post(
        "/api/v1/calendar_year/", json={"year": 2027}, headers=api_token("province_admin")
    )
    assert refused.status_code in (404, 405)


def test_import_history_lists_my_region_imports_only(world, app, api_token):
    url = "/api/v1/implementation_list"
    header = ["事项名称", "基本编码", "实施主体", "承诺办结时限"]
    data = workbook_bytes(
        {"实施清单": [header, ["x", "460105001000", "海口市秀英区市场监督管理局", 1]]}
    )
    mine = api_token("county_coordinator")
    batch_id = post_file(app.test_client(), mine, data, url=f"{url}/import").json["id"]
    listed = app.test_client().get(f"{url}/import/", headers=mine).json
    assert [b["id"] for b in listed["result"]] == [batch_id] and listed["has_next"] is False
    other = app.test_client().get(f"{url}/import/", headers=api_token("county_coordinator2"))
    assert other.status_code == 200 and other.json["result"] == []
