"""Templates and exports: the template's layout, so that export → edit → import round-trips."""

from __future__ import annotations

import io

import openpyxl

from app.core.models import Unit
from app.extensions import db
from tests.excel.helpers import post_file


def _workbook(response):
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    content = response.data
    response.close()
    return openpyxl.load_workbook(io.BytesIO(content))


def test_template_has_chinese_header_instructions_dropdowns_and_frozen_header(
    world, app, api_token
):
    book = _workbook(
        app.test_client().get("/api/v1/unit_list/template", headers=api_token("province_admin"))
    )
    sheet = book["实施单位"]
    assert [c.value for c in sheet[1]][:4] == [
        "单位名称",
        "统一社会信用代码",
        "所属区划代码",
        "单位类型",
    ]
    assert sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["A"].width >= 30
    validations = {str(v.sqref): v for v in sheet.data_validations.dataValidation}
    assert "D2:D5000" in validations and validations["D2:D5000"].type == "list"
    options = book["下拉选项"]
    assert options.sheet_state == "hidden"
    assert "政府部门" in [c.value for c in options["A"]]
    instructions = book["填写说明"]
    text = "\n".join(str(c.value) for row in instructions.iter_rows() for c in row if c.value)
    assert "统一社会信用代码" in text and "必填" in text and "政府部门" in text


def test_export_is_scoped_to_reach_and_filtered_like_the_list(world, app, api_token):
    client = app.test_client()
    book = _workbook(
        client.get("/api/v1/unit_list/export", headers=api_token("county_coordinator"))
    )
    names = {row[0] for row in book["实施单位"].iter_rows(min_row=2, values_only=True)}
    assert names == {"海口市秀英区市场监督管理局", "海口市秀英区教育局"}
    query = "(filters:!((col:name,opr:sw,value:'海口市秀英区教')))"
    book = _workbook(
        client.get(f"/api/v1/unit_list/export?q={query}", headers=api_token("province_admin"))
    )
    names = {row[0] for row in book["实施单位"].iter_rows(min_row=2, values_only=True)}
    assert names == {"海口市秀英区教育局"}


def test_export_edit_one_cell_import_shows_exactly_that_change(world, app, api_token):
    with app.app_context():
        unit = db.session.get(Unit, world.unit("xiuying_edu"))
        unit.liaison_name = '=HYPERLINK("http://evil")'
        unit.liaison_phone = "+86 898 1234"
        db.session.commit()
    client, headers = app.test_client(), api_token("province_admin")
    book = _workbook(client.get("/api/v1/unit_list/export", headers=headers))
    sheet = book["实施单位"]
    rows = {row[0].value: row for row in sheet.iter_rows(min_row=2)}
    formula_like = rows["海口市秀英区教育局"][5]
    assert formula_like.value == '=HYPERLINK("http://evil")' and formula_like.data_type == "s"
    rows["海口市秀英区市场监督管理局"][6].value = "0898-66668888"
    out = io.BytesIO()
    book.save(out)
    preview = post_file(client, headers, out.getvalue()).json
    assert preview["counts"] == {
        "total": len(world.units),
        "new": 0,
        "changed": 1,
        "unchanged": len(world.units) - 1,
        "invalid": 0,
    }
    assert preview["changes"][0]["fields"] == [
        {"column": "联络电话", "old": None, "new": "0898-66668888"}
    ]


def test_export_and_import_are_audited(world, app, api_token):
    from sqlalchemy import select

    from app.core.models import AuditLog

    app.test_client().get("/api/v1/unit_list/export", headers=api_token("province_admin")).close()
    with app.app_context():
        entry = db.session.scalars(
            select(AuditLog).where(AuditLog.action == "export").order_by(AuditLog.id.desc())
        ).first()
        assert entry.object_type == "Unit" and entry.actor_name == "province_admin"


def test_ui_export_takes_the_list_pages_filters(world, login):
    client = login("province_admin")
    response = client.get("/excel/units/export?_flt_0_name=海口市秀英区")
    book = _workbook(response)
    names = {row[0] for row in book["实施单位"].iter_rows(min_row=2, values_only=True)}
    assert names == {"海口市秀英区市场监督管理局", "海口市秀英区教育局"}
    page = client.get("/unitview/list/?_flt_0_name=海口市秀英区").get_data(as_text=True)
    assert "海口市龙华区市场监督管理局" not in page  # the same filter on the list page
