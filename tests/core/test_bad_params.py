"""Bad parameters are answered 4xx (or a sensible page), never 500: FAB's page/psize arguments,
unknown actions, FAB's file download route, the working-day API's bounds, the public pages'
page numbers, uploads over the size limit."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from app.core.models import Unit
from app.extensions import db

HUGE = "99999999999999999999"


@pytest.mark.parametrize(
    ("username", "path"),
    [
        ("province_admin", "/regionview/list/?page_RegionView=abc"),
        ("province_admin", f"/regionview/list/?page_RegionView={HUGE}"),
        ("province_admin", "/regionview/list/?page_RegionView=-1"),
        ("province_admin", "/regionview/list/?psize_RegionView=100000"),
        ("province_admin", "/regionview/list/?psize_RegionView=0"),
        ("province_admin", "/regionview/list/?psize_RegionView=x"),
        ("sys_admin", "/users/list/?page_UserDBModelView=abc"),
        ("sys_admin", "/users/list/?psize_UserDBModelView=100000"),
    ],
)
def test_bad_page_arguments_of_fab_lists_are_400(world, login, username, path):
    response = login(username).get(path)
    assert response.status_code == 400
    assert "page" in response.get_data(as_text=True).lower() or "页" in response.get_data(
        as_text=True
    )


def test_good_page_arguments_still_work(world, login):
    client = login("province_admin")
    assert client.get("/regionview/list/?page_RegionView=0&psize_RegionView=100").status_code == 200
    assert client.get("/regionview/list/?page_RegionView=5&psize_RegionView=25").status_code == 200


def test_an_unknown_action_is_404(world, login):
    client = login("sys_admin")
    response = client.post("/users/action_post", data={"action": "nope", "rowid": "1"})
    assert response.status_code == 404
    assert client.post("/users/action_post", data={"rowid": "1"}).status_code == 404
    client = login("province_admin")
    response = client.post("/regionview/action_post", data={"action": "nope", "rowid": "1"})
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("username", "path"),
    [
        ("sys_admin", "/users/download/x.txt"),
        ("province_admin", "/regionview/download/..%2Fconfig.py"),
        ("audit_admin", "/auditlogview/download/anything"),
    ],
)
def test_fab_file_download_route_is_404(world, login, username, path):
    assert login(username).get(path).status_code == 404


@pytest.mark.parametrize(
    "query",
    [
        "start=2026-09-30&n=10000000",
        "start=2026-09-30&n=1001",
        "start=9999-12-31&n=1",
        "start=2026-09-30&end=9999-12-31",
        "start=0001-01-01&end=0001-01-02",
        "start=2026-01-01&end=2040-01-01",
        "start=2040-01-01&end=2026-01-01",
    ],
)
def test_the_working_day_api_bounds_its_arguments(world, api_token, app, query):
    client = app.test_client()
    headers = api_token("county_coordinator")
    response = client.get(f"/api/v1/working_days/?{query}", headers=headers)
    assert response.status_code == 400
    assert response.json["message"]


def test_the_working_day_api_still_answers_within_bounds(world, api_token, app):
    client = app.test_client()
    headers = api_token("county_coordinator")
    ok = client.get("/api/v1/working_days/?start=2026-01-05&n=1000", headers=headers)
    assert ok.status_code == 200 and ok.json["result"]["date"] > "2029-01-01"
    span = client.get("/api/v1/working_days/?start=2026-01-01&end=2035-12-31", headers=headers)
    assert span.status_code == 200


def test_public_pages_take_any_page_number(world, app):
    with app.app_context():
        code = db.session.execute(
            select(Unit.credit_code).where(Unit.id == world.unit("xiuying_market"))
        ).scalar_one()
    client = app.test_client()
    api = client.get(f"/public/api/items?page={HUGE}")
    assert api.status_code == 200 and api.json["result"] == []
    assert client.get(f"/public/search?q=x&page={HUGE}").status_code == 200
    assert client.get(f"/public/unit/{code}?page={HUGE}").status_code == 200
    assert client.get("/public/api/items?page=-5").json["page"] == 1


@pytest.fixture
def small_request_limit(app):
    """A 200 KB request limit (the test client keeps bodies under 500 KB in memory)."""
    previous = app.config["MAX_CONTENT_LENGTH"]
    app.config["MAX_CONTENT_LENGTH"] = 200 * 1024
    yield
    app.config["MAX_CONTENT_LENGTH"] = previous


def test_an_upload_over_the_request_limit_is_413_with_a_translated_message(
    world, login, small_request_limit
):
    too_big = b"%PDF-1.4\n" + b"0" * 300 * 1024
    client = login("unit_operator")
    response = client.post(
        "/licenceentryview/add",
        data={"name": "x", "sample_upload": (io.BytesIO(too_big), "样本.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 413
    assert "上传的文件超过 0.195 MB 的上限" in response.get_data(as_text=True)
