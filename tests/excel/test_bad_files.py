"""Bad files get a clear message and change nothing (DOMAIN.md §9)."""

from __future__ import annotations

import io
import zipfile

import pytest

from app.excel.models import ImportBatch
from app.extensions import db
from tests.excel.factories import UNIT_HEADER, credit_code, unit_rows, workbook_bytes
from tests.excel.helpers import FILES, post_file, unit_snapshot


def _refused(app, api_token, data, name="units.xlsx"):
    before = unit_snapshot(app)
    response = post_file(app.test_client(), api_token("province_admin"), data, name=name)
    assert response.status_code == 422, response.json
    assert unit_snapshot(app) == before
    with app.app_context():
        assert db.session.query(ImportBatch).count() == 0
    return response.json["message"]


def test_a_file_that_is_not_a_workbook_is_refused(world, api_token, app):
    message = _refused(app, api_token, (FILES / "not_excel.xlsx").read_bytes())
    assert "不是 Excel" in message


def test_a_refused_file_answers_the_message_and_an_empty_errors_field(world, api_token, app):
    response = post_file(
        app.test_client(), api_token("province_admin"), (FILES / "not_excel.xlsx").read_bytes()
    )
    assert response.status_code == 422
    assert "不是 Excel" in response.json["message"] and response.json["errors"] == {}


def test_a_renamed_zip_is_refused(world, api_token, app):
    message = _refused(app, api_token, (FILES / "renamed_zip.xlsx").read_bytes())
    assert "zip" in message.lower() and "重命名" in message


def test_a_zip_bomb_is_refused_without_inflating_it(world, api_token, app):
    message = _refused(app, api_token, (FILES / "bomb.xlsx").read_bytes())
    assert "400 MB" in message


def test_a_bomb_lying_about_its_size_is_caught_while_inflating(world, api_token, app):
    source = io.BytesIO(unit_rows(["甲", credit_code("460105", 1), "460105", "政府部门"]))
    out = io.BytesIO()
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info, src.read(info))
        dst.writestr("xl/media/zeros.bin", b"\0" * (3 * 1048576))
    app.config["IMPORT_MAX_UNCOMPRESSED_MB"] = 2
    try:
        data = out.getvalue()
        # Forge the declared size in the central directory: say 10 bytes.
        position = data.rfind(b"xl/media/zeros.bin")
        header = data.rfind(b"PK\x01\x02", 0, position)
        forged = data[: header + 24] + (10).to_bytes(4, "little") + data[header + 28 :]
        message = _refused(app, api_token, forged)
    finally:
        app.config["IMPORT_MAX_UNCOMPRESSED_MB"] = 400
    assert "2 MB" in message or "damaged" in message or "损坏" in message


def test_a_workbook_with_the_wrong_header_is_refused(world, api_token, app):
    data = workbook_bytes({"Sheet1": [["姓名", "年龄", "住址"], ["张三", 30, "海口"]]})
    message = _refused(app, api_token, data)
    assert "统一社会信用代码" in message  # it says which columns are expected


def test_an_empty_workbook_is_refused(world, api_token, app):
    message = _refused(app, api_token, workbook_bytes({"实施单位": []}))
    assert "没有" in message


def test_a_header_without_rows_is_refused(world, api_token, app):
    response = post_file(app.test_client(), api_token("province_admin"), unit_rows())
    assert response.status_code == 200
    assert response.json["status"] == "rejected"
    assert "没有数据行" in response.json["message"]


def test_a_file_over_the_size_limit_is_refused(world, api_token, app):
    # (Kept under werkzeug's 500 KB spooling threshold: its test client leaks that temp file.)
    app.config["IMPORT_MAX_MB"] = 0.25
    try:
        message = _refused(app, api_token, b"PK\x03\x04" + b"\0" * (300 * 1024))
    finally:
        app.config["IMPORT_MAX_MB"] = 20
    assert "0.25 MB" in message


def test_formula_cells_are_errors_not_silently_read(world, api_token, app):
    data = unit_rows(
        ["甲", credit_code("460105", 1), "=460000+105", "政府部门"],
        ["乙", credit_code("460105", 2), "460105", "政府部门"],
    )
    response = post_file(app.test_client(), api_token("province_admin"), data)
    errors = response.json["errors"]
    assert response.json["counts"]["invalid"] == 1
    assert errors[0]["row"] == 2 and errors[0]["column"] == "所属区划代码"
    assert "公式" in errors[0]["message"]


def test_hidden_sheets_are_not_read_and_the_user_is_told(world, api_token, app, login):
    data = workbook_bytes(
        {
            "实施单位": [UNIT_HEADER, ["甲", credit_code("460105", 1), "460105", "政府部门"]],
            "旧数据": [UNIT_HEADER, ["乙", credit_code("460105", 2), "460105", "政府部门"]],
        },
        hidden=["旧数据"],
    )
    response = post_file(app.test_client(), api_token("province_admin"), data)
    assert response.json["counts"]["total"] == 1
    sheets = {s["name"]: s for s in response.json["sheets"]}
    assert sheets["旧数据"]["hidden"] and not sheets["旧数据"]["selected"]
    page = login("province_admin").get(f"/excel/units/{response.json['id']}/mapping")
    assert "“旧数据”" in page.get_data(as_text=True) and "隐藏" in page.get_data(as_text=True)


@pytest.mark.parametrize("name", ["old_units.xls", "old_units_renamed.xlsx"])
def test_old_xls_files_are_read_also_when_renamed(world, api_token, app, name):
    response = post_file(
        app.test_client(), api_token("province_admin"), (FILES / name).read_bytes(), name=name
    )
    assert response.status_code == 200, response.json
    assert response.json["counts"]["new"] == 1, response.json
    assert response.json["sheets"][0]["header_row"] == 2  # below the merged title row
