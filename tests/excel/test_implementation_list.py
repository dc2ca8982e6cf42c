"""The implementation list through the engine: the issue's API, county spreadsheets with their
own column names, the catalogue's rules, drafts and change adjustments, reach."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
from sqlalchemy import func, select

from app.catalogue.models import AdjustmentRequest, BasicCatalogueEntry, ImplementationItem
from app.core.models import Unit
from app.extensions import db
from tests.catalogue import factories as cf
from tests.excel.factories import workbook_bytes
from tests.excel.helpers import post_file

URL = "/api/v1/implementation_list"
COUNTY_HEADER = [
    "序号",
    "权力名称",
    "职权编码",
    "权力类型",
    "行使主体",
    "法定期限（天/日）",
    "承诺期限（天/日）",
    "办件类型",
    "网办深度",
    "到现场次数",
    "办理地点",
]


def _entries(app):
    with app.app_context():
        cf.basic_entry("460105001000", "食品经营许可", legal_time_limit_days=20)
        cf.basic_entry("460105002000", "药品零售许可", legal_time_limit_days=15)
        db.session.commit()


def _county_file(*rows, title=True):
    sheet = ([["海口市秀英区行政权力清单（2024 年版）"]] if title else []) + [COUNTY_HEADER, *rows]
    return workbook_bytes({"行政许可": sheet}, merges={"行政许可": ["A1:K1"]} if title else None)


def _row(n, name, code, unit="海口市秀英区市场监督管理局", legal=20, promised=10, **extra):
    return [
        n,
        name,
        code,
        "行政许可",
        unit,
        legal,
        promised,
        extra.get("handling", "承诺件"),
        extra.get("depth", "三级"),
        extra.get("visits", 1),
        extra.get("place", "秀英区政务服务中心"),
    ]


def _items(app):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(ImplementationItem))


def test_template_has_the_closed_lists_as_dropdowns(world, app, api_token):
    with app.app_context():
        cf.item_type()
        db.session.commit()
    response = app.test_client().get(f"{URL}/template", headers=api_token("county_coordinator"))
    content = response.data
    response.close()
    book = openpyxl.load_workbook(io.BytesIO(content))
    header = [c.value for c in book["实施清单"][1]]
    assert len(header) == 24 and header[:3] == ["事项名称", "基本编码", "事项类型"]
    options = {
        c[0].value: [x.value for x in c[1:] if x.value] for c in book["下拉选项"].iter_cols()
    }
    assert "行政许可" in options["事项类型"] and "公共服务" in options["事项类型"]
    assert options["办件类型"] == ["即办件", "承诺件"]
    assert len(options["网办深度"]) == 4


def test_county_spreadsheet_with_its_own_column_names_imports_as_drafts(world, app, api_token):
    _entries(app)
    client, headers = app.test_client(), api_token("county_coordinator")
    data = _county_file(
        _row(1, "食品经营许可", "460105001000"),
        _row(2, "药品零售许可", "460105002000", legal=15, promised=5),
    )
    preview = post_file(client, headers, data, name="秀英区权力清单.xlsx", url=f"{URL}/import")
    assert preview.status_code == 200, preview.json
    mapping = preview.json["sheets"][0]["mapping"]
    assert mapping["职权编码"] == "basic_code" and mapping["权力类型"] == "item_type"
    assert (
        mapping["法定期限（天/日）"] == "legal_time_limit_days"
        and mapping["行使主体"] == "unit_name"
    )
    assert preview.json["counts"] == {
        "total": 2,
        "new": 2,
        "changed": 0,
        "unchanged": 0,
        "invalid": 0,
    }
    assert _items(app) == 0
    done = client.post(f"{URL}/import/{preview.json['id']}/confirm", headers=headers)
    assert done.json["status"] == "applied"
    with app.app_context():
        item = db.session.scalar(select(ImplementationItem).order_by(ImplementationItem.id))
        unit = db.session.get(Unit, world.unit("xiuying_market"))
        assert item.status == "draft"  # not published: publication goes through review
        assert item.implementation_code == unit.credit_code + "4" + "460105001000"
        assert (item.promised_time_limit_days, item.online_depth, item.onsite_visits) == (
            10,
            "3",
            1,
        )
    status = client.get(f"{URL}/import/{preview.json['id']}", headers=headers).json
    assert status["status"] == "applied" and status["progress"] == 100
    again = post_file(client, headers, data, url=f"{URL}/import").json
    assert again["counts"]["unchanged"] == 2 and again["counts"]["new"] == 0


def test_blank_optional_cells_of_a_new_row_take_the_documented_defaults(world, app, api_token):
    """The instructions sheet says: 办件类型 blank = 承诺件, 网办深度 blank = 一级, 到现场次数 blank
    = 1. A new row with those cells empty is imported with these values, not refused."""
    _entries(app)
    client, headers = app.test_client(), api_token("county_coordinator")
    data = _county_file(
        _row(1, "食品经营许可", "460105001000", handling=None, depth=None, visits=None)
    )
    preview = post_file(client, headers, data, url=f"{URL}/import")
    assert preview.json["counts"]["new"] == 1, preview.json.get("errors")
    done = client.post(f"{URL}/import/{preview.json['id']}/confirm", headers=headers)
    assert done.json["status"] == "applied"
    with app.app_context():
        item = db.session.scalar(select(ImplementationItem))
        assert (item.handling_type, item.online_depth, item.onsite_visits) == ("promised", "1", 1)


def test_a_unit_without_exercise_level_is_a_row_error_not_a_short_code(world, app, api_token):
    """The implementation code is credit code + exercise level + basic code (31 characters): a
    unit whose level was never set cannot get one, and the preview says so for its rows."""
    _entries(app)
    with app.app_context():
        db.session.get(Unit, world.unit("xiuying_market")).exercise_level = ""
        db.session.commit()
    client, headers = app.test_client(), api_token("county_coordinator")
    preview = post_file(
        client, headers, _county_file(_row(1, "食品经营许可", "460105001000")), url=f"{URL}/import"
    )
    assert preview.json["counts"]["invalid"] == 1
    [error] = preview.json["errors"]
    assert error["column"] == "实施主体" and "行使层级" in error["message"]
    assert _items(app) == 0


def test_rule_violations_are_errors_with_row_and_column_in_chinese(world, app, api_token):
    _entries(app)
    client, headers = app.test_client(), api_token("county_coordinator")
    data = _county_file(
        _row(1, "食品经营许可", "460105001000", promised=25),
        _row(2, "药品零售许可", "460105002000", legal=30, promised=5),
        _row(3, "未知事项", "460105009000"),
        _row(4, "食品经营许可", "460105001000", unit="三亚市海棠区市场监督管理局"),
        _row(
            5,
            "药品零售许可",
            "460105002000",
            legal=15,
            promised=dt.date(2024, 5, 1),
            unit="海口市秀英区教育局",
        ),
    )
    before = _items(app)
    preview = post_file(client, headers, data, url=f"{URL}/import").json
    assert preview["counts"]["invalid"] == 5
    texts = {(e["row"], e["column"]): e["message"] for e in preview["errors"]}
    assert "20" in texts[(3, "承诺办结时限")]
    assert "标准化要素" in texts[(4, "法定办结时限")]
    assert "基本目录" in texts[(5, "基本编码")]
    assert "管辖范围" in texts[(6, "实施主体")]
    assert "日期" in texts[(7, "承诺办结时限")]
    assert client.post(f"{URL}/import/{preview['id']}/confirm", headers=headers).status_code == 409
    assert _items(app) == before


def test_standardized_elements_are_compared_with_each_rows_own_entry(world, app, api_token):
    """The comparison is remembered per entry and values: the same cells are right for one
    entry's rows and wrong for another's (rows 4 and 6 repeat rows 3 and 5 cell for cell)."""
    _entries(app)
    client, headers = app.test_client(), api_token("county_coordinator")
    school = "海口市秀英区教育局"
    data = _county_file(
        _row(1, "食品经营许可", "460105001000"),
        _row(2, "食品经营许可", "460105002000", promised=5, unit=school),
        _row(3, "药品零售许可", "460105002000", legal=15, promised=5),
        _row(4, "药品零售许可", "460105001000", legal=15, promised=5, unit=school),
    )
    preview = post_file(client, headers, data, url=f"{URL}/import").json
    assert (preview["counts"]["new"], preview["counts"]["invalid"]) == (2, 2)
    texts = {(e["row"], e["column"]): e["message"] for e in preview["errors"]}
    assert set(texts) == {(r, c) for r in (4, 6) for c in ("事项名称", "法定办结时限")}
    assert "药品零售许可" in texts[(4, "事项名称")] and "食品经营许可" in texts[(6, "事项名称")]
    assert "15" in texts[(4, "法定办结时限")] and "20" in texts[(6, "法定办结时限")]


def test_published_rows_become_change_adjustments_drafts_are_updated(world, app, api_token):
    with app.app_context():
        entry = cf.basic_entry("460105001000", "食品经营许可")
        published = cf.item(world, entry=entry, published=True)
        draft = cf.item(world, "xiuying_edu", entry=entry)
        db.session.commit()
        published_id, draft_id = published.id, draft.id
    client, headers = app.test_client(), api_token("county_coordinator")
    response = client.get(f"{URL}/export", headers=headers)
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    response.close()
    sheet = book["实施清单"]
    header = [c.value for c in sheet[1]]
    rows = list(sheet.iter_rows(min_row=2))
    assert len(rows) == 2
    column = header.index("承诺办结时限")
    for row in rows:
        row[column].value = 8
    out = io.BytesIO()
    book.save(out)
    preview = post_file(client, headers, out.getvalue(), url=f"{URL}/import").json
    assert preview["counts"]["changed"] == 2 and preview["counts"]["unchanged"] == 0
    assert all(
        c["fields"] == [{"column": "承诺办结时限", "old": 10, "new": 8}] for c in preview["changes"]
    )
    notes = [c["note"] for c in preview["changes"]]
    assert sum(1 for n in notes if n) == 1
    client.post(f"{URL}/import/{preview['id']}/confirm", headers=headers)
    with app.app_context():
        assert db.session.get(ImplementationItem, draft_id).promised_time_limit_days == 8
        assert db.session.get(ImplementationItem, published_id).promised_time_limit_days == 10
        adjustment = db.session.scalar(select(AdjustmentRequest))
        assert (adjustment.item_id, adjustment.kind, adjustment.state) == (
            published_id,
            "change",
            "draft",
        )
        assert '"promised_time_limit_days": 8' in adjustment.proposed_values
        adjustment_id = adjustment.id
    # The same file again: the published row's change is pending, so it is unchanged, and said so.
    again = post_file(client, headers, out.getvalue(), url=f"{URL}/import").json
    assert again["counts"] == {"total": 2, "new": 0, "changed": 0, "unchanged": 2, "invalid": 0}
    [note] = again["notes"]
    assert f"#{adjustment_id}" in note["note"] and "已有进行中的调整申请" in note["note"]
    client.post(f"{URL}/import/{again['id']}/confirm", headers=headers)
    with app.app_context():
        assert db.session.scalar(select(func.count(AdjustmentRequest.id))) == 1
        assert db.session.get(ImplementationItem, published_id).promised_time_limit_days == 10
    # Another change while the request is pending is refused, as before.
    for row in rows:
        row[column].value = 6
    other = io.BytesIO()
    book.save(other)
    refused = post_file(client, headers, other.getvalue(), url=f"{URL}/import").json
    assert refused["counts"]["invalid"] == 1 and refused["counts"]["changed"] == 1
    assert "调整" in refused["errors"][0]["message"]


def test_other_county_cannot_see_an_import_by_id(world, app, api_token, login):
    _entries(app)
    data = _county_file(_row(1, "食品经营许可", "460105001000"))
    batch_id = post_file(
        app.test_client(), api_token("county_coordinator"), data, url=f"{URL}/import"
    ).json["id"]
    other = api_token("county_coordinator2")
    assert app.test_client().get(f"{URL}/import/{batch_id}", headers=other).status_code == 404
    assert (
        app.test_client().post(f"{URL}/import/{batch_id}/confirm", headers=other).status_code == 404
    )
    client = login("county_coordinator2")
    for path in ("", "/mapping", "/progress", "/original"):
        assert client.get(f"/excel/implementation_list/{batch_id}{path}").status_code == 404
    history = client.get("/excel/implementation_list/").get_data(as_text=True)
    assert f"#{batch_id}<" not in history
    own = login("county_coordinator").get("/excel/implementation_list/").get_data(as_text=True)
    assert f"#{batch_id}<" in own


def test_export_is_scoped_to_the_coordinators_region(world, app, api_token):
    with app.app_context():
        entry = cf.basic_entry("460105001000", "食品经营许可")
        cf.item(world, "xiuying_market", entry=entry)
        cf.item(world, "haitang_market", entry=entry)
        db.session.commit()
    response = app.test_client().get(f"{URL}/export", headers=api_token("county_coordinator"))
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    response.close()
    units = [r[3] for r in book["实施清单"].iter_rows(min_row=2, values_only=True)]
    assert units == ["海口市秀英区市场监督管理局"]


def test_export_page_takes_the_implementation_list_pages_filters(world, app, login):
    with app.app_context():
        entry = cf.basic_entry("460105001000", "食品经营许可")
        cf.item(world, "xiuying_market", entry=entry)
        cf.item(world, "xiuying_edu", entry=entry)
        db.session.commit()
    client = login("county_coordinator")
    query = f"_flt_0_unit={world.unit('xiuying_edu')}"
    listed = client.get(f"/implementationitemview/list/?{query}").get_data(as_text=True)
    assert "海口市秀英区市场监督管理局" not in listed  # the list page applies the same filter
    response = client.get(f"/excel/implementation_list/export?{query}")
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    response.close()
    units = [r[3] for r in book["实施清单"].iter_rows(min_row=2, values_only=True)]
    assert units == ["海口市秀英区教育局"]


def test_pages_follow_the_list_permissions(world, login):
    coordinator = login("county_coordinator").get("/excel/implementation_list/")
    assert coordinator.status_code == 200
    page = coordinator.get_data(as_text=True)
    assert 'id="upload-form"' in page and "下载导入模板" in page
    reader = login("supervisor").get("/excel/implementation_list/").get_data(as_text=True)
    assert 'id="upload-form"' not in reader  # read-only: template, export and history only
    denied = login("audit_admin").get("/excel/implementation_list/")
    assert denied.status_code in (302, 403)


def _plan_file(app, import_id):
    from app.excel import services
    from app.excel.models import ImportBatch

    with app.app_context():
        batch = db.session.get(ImportBatch, import_id)
        return services.stored_path(batch.stored_name.split(".")[0] + ".plan")


def _lower_the_legal_time_limit(app, world):
    entry = db.session.scalar(
        select(BasicCatalogueEntry).where(BasicCatalogueEntry.basic_code == "460105001000")
    )
    entry.legal_time_limit_days = 5


def _rename_the_unit(app, world):
    db.session.get(Unit, world.unit("xiuying_market")).name = "海口市秀英区市场监管局"


def _create_the_same_item(app, world):
    entry = db.session.scalar(
        select(BasicCatalogueEntry).where(BasicCatalogueEntry.basic_code == "460105002000")
    )
    cf.item(world, entry=entry)


@pytest.mark.parametrize(
    "change", [_lower_the_legal_time_limit, _rename_the_unit, _create_the_same_item]
)
def test_the_previewed_plan_is_not_applied_when_what_it_was_checked_against_changed(
    world, app, api_token, change
):
    _entries(app)
    client, headers = app.test_client(), api_token("county_coordinator")
    data = _county_file(
        _row(1, "食品经营许可", "460105001000"),
        _row(2, "药品零售许可", "460105002000", legal=15, promised=5),
    )
    preview = post_file(client, headers, data, url=f"{URL}/import").json
    assert preview["counts"]["new"] == 2
    assert _plan_file(app, preview["id"]).exists()
    with app.app_context():
        change(app, world)
        db.session.commit()
        before = _items(app)
    outcome = client.post(f"{URL}/import/{preview['id']}/confirm", headers=headers).json
    assert outcome["status"] == "superseded", outcome
    assert _items(app) == before


def test_the_confirm_applies_the_plan_or_without_it_checks_the_file_again(world, app, api_token):
    _entries(app)
    client, headers = app.test_client(), api_token("county_coordinator")
    first = _county_file(_row(1, "食品经营许可", "460105001000"))
    preview = post_file(client, headers, first, url=f"{URL}/import").json
    plan = _plan_file(app, preview["id"])
    assert plan.exists()
    done = client.post(f"{URL}/import/{preview['id']}/confirm", headers=headers).json
    assert done["status"] == "applied" and done["counts"]["new"] == 1
    assert not plan.exists() and _items(app) == 1
    second = _county_file(_row(1, "药品零售许可", "460105002000", legal=15, promised=5))
    preview = post_file(client, headers, second, url=f"{URL}/import").json
    _plan_file(app, preview["id"]).unlink()  # e.g. lost with a temporary disk
    done = client.post(f"{URL}/import/{preview['id']}/confirm", headers=headers).json
    assert done["status"] == "applied" and done["counts"]["new"] == 1
    assert _items(app) == 2


def _dashed(basic_code, credit_code):
    """The long dashed form some provinces publish: basic code first, then the division,
    a sequence, the unit's credit code, a version and a handling-item suffix."""
    return f"{basic_code}-460105000000-000-{credit_code}-1-00"


def test_dashed_implementation_codes_are_accepted_and_stored_in_the_national_form(
    world, app, api_token
):
    _entries(app)
    with app.app_context():
        credit = db.session.get(Unit, world.unit("xiuying_market")).credit_code
        other = db.session.get(Unit, world.unit("xiuying_edu")).credit_code
    header = ["事项名称", "基本编码", "实施主体", "实施编码", "承诺办结时限"]
    unit = "海口市秀英区市场监督管理局"
    rows = [
        ["食品经营许可", "460105001000", unit, _dashed("460105001000", credit), 10],
        # names another unit's item: refused, as a wrong national code is
        ["药品零售许可", "460105002000", unit, _dashed("460105002000", other), 10],
    ]
    client, headers = app.test_client(), api_token("county_coordinator")
    data = workbook_bytes({"实施清单": [header, *rows]})
    preview = post_file(client, headers, data, url=f"{URL}/import").json
    assert preview["counts"]["new"] == 1 and preview["counts"]["invalid"] == 1, preview
    [error] = preview["errors"]
    assert error["row"] == 3 and error["column"] == "实施编码"
    assert "最多" not in error["message"]
    # without the wrong row, the file goes in; the stored code is the national 31 characters
    data = workbook_bytes({"实施清单": [header, rows[0]]})
    preview = post_file(client, headers, data, url=f"{URL}/import").json
    assert preview["counts"]["new"] == 1 and preview["counts"]["invalid"] == 0, preview
    client.post(f"{URL}/import/{preview['id']}/confirm", headers=headers)
    with app.app_context():
        [code] = db.session.scalars(select(ImplementationItem.implementation_code)).all()
    assert code == credit + "4" + "460105001000"
    # re-importing the same dashed file changes nothing
    again = post_file(client, headers, data, url=f"{URL}/import").json
    assert again["counts"]["unchanged"] == 1 and again["counts"]["new"] == 0, again


def test_a_dashed_code_alone_identifies_the_unit_and_the_basic_code(world, app, api_token):
    _entries(app)
    with app.app_context():
        credit = db.session.get(Unit, world.unit("xiuying_market")).credit_code
    header = ["事项名称", "基本编码", "实施编码", "承诺办结时限"]
    data = workbook_bytes(
        {"实施清单": [header, ["食品经营许可", None, _dashed("460105001000", credit), 10]]}
    )
    client, headers = app.test_client(), api_token("county_coordinator")
    preview = post_file(client, headers, data, url=f"{URL}/import").json
    assert preview["counts"]["new"] == 1, preview
