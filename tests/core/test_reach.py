"""Reach: one mechanism scopes lists, details, edits, deletes, actions and the API."""

from __future__ import annotations

from app.core.models import Unit
from app.extensions import db


def test_county_coordinator_lists_only_own_county_units(world, login):
    client = login("county_coordinator")
    page = client.get("/unitview/list/").get_data(as_text=True)
    assert "海口市秀英区市场监督管理局" in page
    assert "海口市秀英区教育局" in page
    assert "三亚市海棠区市场监督管理局" not in page
    assert "海口市龙华区市场监督管理局" not in page


def test_county_coordinator_gets_404_for_other_county_unit_by_id(world, login):
    client = login("county_coordinator")
    other = world.unit("haitang_market")
    assert client.get(f"/unitview/show/{other}").status_code == 404
    own = world.unit("xiuying_market")
    assert client.get(f"/unitview/show/{own}").status_code == 200


def test_coordinator_cannot_edit_other_county_unit_through_crafted_id(world, login, app):
    client = login("county_coordinator")
    other = world.unit("haitang_market")
    client.post(f"/unitview/edit/{other}", data={"name": "hacked"})
    with app.app_context():
        assert db.session.get(Unit, other).name == "三亚市海棠区市场监督管理局"


def test_city_coordinator_reaches_counties_below_the_city(world, login):
    page = login("city_coordinator").get("/unitview/list/").get_data(as_text=True)
    assert "海口市秀英区市场监督管理局" in page
    assert "海口市龙华区市场监督管理局" in page
    assert "三亚市海棠区市场监督管理局" not in page


def test_unit_operator_sees_only_own_unit(world, login):
    page = login("unit_operator").get("/unitview/list/").get_data(as_text=True)
    assert "海口市秀英区市场监督管理局" in page
    assert "海口市秀英区教育局" not in page


def test_api_list_is_scoped_and_other_county_id_is_404(world, api_token, app):
    client = app.test_client()
    headers = api_token("county_coordinator")
    listing = client.get("/api/v1/unit/", headers=headers)
    assert listing.status_code == 200
    names = {row["name"] for row in listing.json["result"]}
    assert names == {"海口市秀英区市场监督管理局", "海口市秀英区教育局"}
    assert listing.json["count"] == 2
    other = world.unit("haitang_market")
    assert client.get(f"/api/v1/unit/{other}", headers=headers).status_code == 404


def test_region_api_is_scoped_to_subtree(world, api_token, app):
    client = app.test_client()
    response = client.get(
        "/api/v1/region/?q=(page_size:100)", headers=api_token("county_coordinator")
    )
    codes = {row["code"] for row in response.json["result"]}
    assert codes == {"460105", "460105001"}
    other = world.region("460202")
    assert (
        client.get(f"/api/v1/region/{other}", headers=api_token("county_coordinator")).status_code
        == 404
    )


def test_out_of_reach_and_forbidden_pages_explain_themselves_in_chinese(world, login):
    client = login("county_coordinator")
    missing = client.get(f"/unitview/show/{world.unit('haitang_market')}")
    assert missing.status_code == 404
    assert "不在您的数据范围内" in missing.get_data(as_text=True)
    forbidden = client.get("/auditlogview/list/")
    assert forbidden.status_code == 403
    assert "您的角色无权打开此页面" in forbidden.get_data(as_text=True)
