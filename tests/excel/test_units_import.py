"""Implementing units through the spreadsheet engine: upload → preview → confirm, via the API."""

from __future__ import annotations

import io

from sqlalchemy import func, select

from app.core.models import AuditLog, Unit
from app.extensions import db
from tests.excel.factories import credit_code, unit_rows


def _post(client, headers, data, name="units.xlsx", url="/api/v1/unit_list/import", **form):
    return client.post(
        url,
        headers=headers,
        data={"file": (io.BytesIO(data), name), **form},
        content_type="multipart/form-data",
    )


def _unit_count(app):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Unit))


def test_province_admin_imports_new_units_after_preview(world, api_token, app):
    client, headers = app.test_client(), api_token("province_admin")
    data = unit_rows(
        [
            "海口市秀英区民政局",
            credit_code("460105", 1),
            "460105",
            "政府部门",
            None,
            "王五",
            "0898-1",
            "是",
        ],
        [
            "三亚市海棠区教育局",
            credit_code("460202", 2),
            460202,
            "政府部门",
            "县级",
            None,
            None,
            None,
        ],
    )
    before = _unit_count(app)
    preview = _post(client, headers, data)
    assert preview.status_code == 200, preview.json
    assert preview.json["status"] == "previewed"
    assert preview.json["counts"] == {
        "total": 2,
        "new": 2,
        "changed": 0,
        "unchanged": 0,
        "invalid": 0,
    }
    assert _unit_count(app) == before  # nothing changes before the confirm
    done = client.post(f"/api/v1/unit_list/import/{preview.json['id']}/confirm", headers=headers)
    assert done.status_code == 200, done.json
    assert done.json["status"] == "applied"
    assert _unit_count(app) == before + 2
    with app.app_context():
        unit = db.session.scalar(select(Unit).where(Unit.name == "海口市秀英区民政局"))
        assert unit.exercise_level == "4" and unit.liaison_name == "王五"
        actions = set(
            db.session.scalars(select(AuditLog.action).where(AuditLog.object_type == "Unit"))
        )
        assert {"import", "create"} <= actions
    again = _post(client, headers, data)
    assert again.json["counts"]["unchanged"] == 2 and again.json["counts"]["new"] == 0
    client.post(f"/api/v1/unit_list/import/{again.json['id']}/confirm", headers=headers)
    assert _unit_count(app) == before + 2


# -- errors, changes, all-or-nothing -----------------------------------------------------------

import openpyxl  # noqa: E402

from app.core.demo import demo_credit_code  # noqa: E402
from app.core.states import UnitKind  # noqa: E402
from app.excel import services  # noqa: E402
from app.excel.services import analysis  # noqa: E402
from tests.excel.helpers import post_file, unit_count, unit_snapshot  # noqa: E402


def _existing_code(name="海口市秀英区市场监督管理局", region="460105"):
    return demo_credit_code(name, region, UnitKind.DEPARTMENT)


def test_invalid_rows_are_reported_with_sheet_row_column_and_cannot_be_confirmed(
    world, api_token, app
):
    client, headers = app.test_client(), api_token("province_admin")
    bad_code = credit_code("460105", 5)[:-1] + ("0" if credit_code("460105", 5)[-1] != "0" else "1")
    data = unit_rows(
        ["海口市秀英区民政局", credit_code("460105", 1), "460105", "政府部门"],
        ["坏代码单位", bad_code, "460105", "政府部门"],
        ["未知区划单位", credit_code("460105", 3), "469999", "政府部门"],
        ["类型不对单位", credit_code("460105", 4), "460105", "街道办"],
        ["", credit_code("460105", 6), "460105", "政府部门"],
    )
    before = unit_snapshot(app)
    preview = post_file(client, headers, data)
    assert preview.status_code == 200
    counts = preview.json["counts"]
    assert (counts["new"], counts["invalid"]) == (1, 4)
    errors = {(e["row"], e["column"]): e["message"] for e in preview.json["errors"]}
    assert ("统一社会信用代码" in {c for _r, c in errors}) and (3, "统一社会信用代码") in errors
    assert (
        "GB 32100" in errors[(3, "统一社会信用代码")] or "校验" in errors[(3, "统一社会信用代码")]
    )
    assert (4, "所属区划代码") in errors and "469999" in errors[(4, "所属区划代码")]
    assert (5, "单位类型") in errors and "街道办" in errors[(5, "单位类型")]
    assert (6, "单位名称") in errors
    assert all(e["sheet"] == "实施单位" for e in preview.json["errors"])
    refused = client.post(f"/api/v1/unit_list/import/{preview.json['id']}/confirm", headers=headers)
    assert refused.status_code == 409
    assert unit_snapshot(app) == before


def test_error_copy_highlights_and_comments_the_bad_cells(world, api_token, app, login):
    client, headers = app.test_client(), api_token("province_admin")
    data = unit_rows(
        ["海口市秀英区民政局", credit_code("460105", 1), "460105", "政府部门"],
        ["未知区划单位", credit_code("460105", 3), "469999", "政府部门"],
    )
    batch_id = post_file(client, headers, data).json["id"]
    response = login("province_admin").get(f"/excel/units/{batch_id}/errors")
    assert response.status_code == 200
    content = response.data
    response.close()
    sheet = openpyxl.load_workbook(io.BytesIO(content))["实施单位"]
    assert sheet["C3"].value == "469999"
    assert "469999" in sheet["C3"].comment.text
    assert sheet["C3"].fill.fgColor.rgb.endswith("FFC7CE")
    assert sheet["C2"].comment is None
    assert "所属区划代码" in sheet.cell(row=3, column=9).value


def test_changed_unit_shows_old_and_new_and_confirm_applies_only_that(world, api_token, app):
    client, headers = app.test_client(), api_token("province_admin")
    data = unit_rows(
        [
            "海口市秀英区市场监督管理局",
            _existing_code(),
            "460105",
            "政府部门",
            "县级",
            "赵六",
            None,
            "是",
        ],
    )
    preview = post_file(client, headers, data).json
    assert preview["counts"]["changed"] == 1
    change = preview["changes"][0]
    assert change["row"] == 2
    assert change["fields"] == [{"column": "联络员", "old": None, "new": "赵六"}]
    client.post(f"/api/v1/unit_list/import/{preview['id']}/confirm", headers=headers)
    with app.app_context():
        unit = db.session.get(Unit, world.unit("xiuying_market"))
        assert unit.liaison_name == "赵六" and unit.version == 2
        assert unit.name == "海口市秀英区市场监督管理局"


def test_duplicate_rows_in_one_file_are_errors(world, api_token, app):
    client, headers = app.test_client(), api_token("province_admin")
    code = credit_code("460105", 1)
    data = unit_rows(["甲", code, "460105", "政府部门"], ["乙", code.lower(), "460105", "政府部门"])
    preview = post_file(client, headers, data).json
    assert preview["counts"]["invalid"] == 1
    assert (
        "第 2 行" in preview["errors"][0]["message"] or "row 2" in preview["errors"][0]["message"]
    )


def test_a_crash_while_applying_leaves_the_database_as_before(world, api_token, app, monkeypatch):
    client, headers = app.test_client(), api_token("province_admin")
    rows = [[f"新单位{i}", credit_code("460105", 100 + i), "460105", "政府部门"] for i in range(7)]
    rows.append(
        ["海口市秀英区市场监督管理局", _existing_code(), "460105", "政府部门", None, "改名"]
    )
    preview = post_file(client, headers, unit_rows(*rows)).json
    assert preview["counts"]["new"] == 7 and preview["counts"]["changed"] == 1
    before = unit_snapshot(app)
    monkeypatch.setattr(analysis, "BATCH_ROWS", 3)  # read where analyse() batches
    spec = services.spec_for("units")
    calls = {"n": 0}
    original = type(spec).write

    def write_then_crash(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("disk full")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(type(spec), "write", write_then_crash)
    outcome = client.post(f"/api/v1/unit_list/import/{preview['id']}/confirm", headers=headers)
    assert outcome.json["status"] == "failed"
    assert "disk full" in outcome.json["message"]
    assert calls["n"] == 2  # the first batch was written, then rolled back
    assert unit_snapshot(app) == before


def test_data_changed_after_the_preview_is_not_applied_blindly(world, api_token, app):
    client, headers = app.test_client(), api_token("province_admin")
    data = unit_rows(
        ["海口市秀英区市场监督管理局", _existing_code(), "460105", "政府部门", None, "赵六"]
    )
    preview = post_file(client, headers, data).json
    with app.app_context():
        db.session.get(Unit, world.unit("xiuying_market")).liaison_phone = "123"
        db.session.commit()
    before = unit_snapshot(app)
    with app.app_context():
        db.session.get(Unit, world.unit("xiuying_market")).liaison_name = "赵六"
        db.session.commit()
    before = unit_snapshot(app)
    outcome = client.post(f"/api/v1/unit_list/import/{preview['id']}/confirm", headers=headers).json
    assert outcome["status"] == "superseded"
    assert unit_snapshot(app) == before


def test_county_coordinator_cannot_import_units(world, api_token, app, login):
    client = app.test_client()
    response = post_file(client, api_token("county_coordinator"), unit_rows())
    assert response.status_code in (401, 403)
    page = login("county_coordinator").post("/excel/units/upload", data={})
    assert page.status_code in (302, 403)
    assert unit_count(app) == len(world.units)


def test_units_keep_no_plan_and_their_confirm_checks_the_file_again(world, api_token, app):
    client, headers = app.test_client(), api_token("province_admin")
    data = unit_rows(["海口市秀英区民政局", credit_code("460105", 1), "460105", "政府部门"])
    preview = post_file(client, headers, data).json
    with app.app_context():
        from app.excel.models import ImportBatch

        batch = db.session.get(ImportBatch, preview["id"])
        # The units list keeps no plan (its checks read more than the keys lead to): the
        # confirm reads the file and checks every row again.
        assert not services.stored_path(batch.stored_name.split(".")[0] + ".plan").exists()
    done = client.post(f"/api/v1/unit_list/import/{preview['id']}/confirm", headers=headers).json
    assert done["status"] == "applied" and done["counts"]["new"] == 1


def test_thousands_of_bad_rows_are_all_reported_and_marked(world, api_token, app, login):
    client, headers = app.test_client(), api_token("province_admin")
    rows = [[f"单位{i}", f"BAD{i}", "469999", "政府部门"] for i in range(3000)]
    preview = post_file(client, headers, unit_rows(*rows)).json
    assert preview["counts"]["invalid"] == 3000
    assert preview["error_count"] == 6000 and len(preview["errors"]) == 500
    response = login("province_admin").get(f"/excel/units/{preview['id']}/errors")
    content = response.data
    response.close()
    sheet = openpyxl.load_workbook(io.BytesIO(content), read_only=False)["实施单位"]
    assert sheet["B3001"].comment is not None and sheet["C3001"].comment is not None
