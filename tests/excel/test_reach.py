"""Reach applies to imports: rows outside it are errors; imports of others are 404."""

from __future__ import annotations

import io

from app.core.actor import actor_for_user
from app.core.models import AppUser
from app.core.unit_of_work import unit_of_work
from app.excel import services
from app.extensions import db
from tests.excel.factories import credit_code, unit_rows
from tests.excel.helpers import post_file, unit_snapshot


def _actor(username):
    return actor_for_user(db.session.query(AppUser).filter_by(username=username).one())


def test_rows_for_units_outside_the_importers_reach_are_errors(world, ctx):
    actor = _actor("county_coordinator")
    data = unit_rows(
        ["海口市秀英区民政局", credit_code("460105", 1), "460105", "政府部门"],
        ["三亚市海棠区民政局", credit_code("460202", 2), "460202", "政府部门"],
        ["三亚市海棠区市场监督管理局", _code("haitang_market"), "460105", "政府部门"],
    )
    spec = services.spec_for("units")
    with unit_of_work(db.session, actor):
        batch = services.upload(
            db.session, actor=actor, spec=spec, file_name="u.xlsx", stream=io.BytesIO(data)
        )
        services.start_preview(db.session, actor=actor, batch=batch, spec=spec)
    db.session.expire_all()
    preview = batch.preview_data()
    errors = {(e["row"], e["column"]): e["message"] for e in preview["errors"]}
    assert batch.new_rows == 1 and batch.invalid_rows == 2
    assert "管辖范围" in errors[(3, "所属区划代码")]
    assert "管辖范围" in errors[(4, "统一社会信用代码")]  # moving another region's unit in


def _code(key):
    from app.core.demo import demo_credit_code
    from app.core.states import UnitKind
    from tests.factories import UNITS

    name, region = UNITS[key]
    return demo_credit_code(name, region, UnitKind.DEPARTMENT)


def test_county_coordinator_gets_404_for_the_provinces_unit_import(world, app, api_token, login):
    data = unit_rows(["海口市秀英区民政局", credit_code("460105", 1), "460105", "政府部门"])
    batch_id = post_file(app.test_client(), api_token("province_admin"), data).json["id"]
    headers = api_token("county_coordinator")
    assert (
        app.test_client().get(f"/api/v1/unit_list/import/{batch_id}", headers=headers).status_code
        == 404
    )
    client = login("county_coordinator")
    assert client.get(f"/excel/units/{batch_id}").status_code == 404
    assert client.get(f"/excel/units/{batch_id}/errors").status_code == 404
    assert client.get("/excel/units/").status_code == 200
    before = unit_snapshot(app)
    assert client.post(f"/excel/units/{batch_id}/confirm").status_code in (302, 403, 404)
    assert unit_snapshot(app) == before


def test_openapi_documents_the_spreadsheet_endpoints(app):
    from flask_appbuilder.api import BaseApi
    from flask_appbuilder.api.manager import OpenApi

    with app.test_request_context("/api/v1/_openapi"):
        spec = OpenApi._create_api_spec("v1")
        for view in app.appbuilder.baseviews:
            if isinstance(view, BaseApi) and view.resource_name in (
                "implementation_list",
                "unit_list",
            ):
                view.add_api_spec(spec)
        paths = spec.to_dict()["paths"]
    for path in (
        "/implementation_list/template",
        "/implementation_list/import",
        "/implementation_list/import/{batch_id}/confirm",
        "/implementation_list/import/{batch_id}",
        "/implementation_list/export",
        "/unit_list/import",
    ):
        assert f"/api/v1{path}" in paths, sorted(paths)
    assert "multipart/form-data" in str(paths["/api/v1/implementation_list/import"])
