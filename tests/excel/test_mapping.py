"""Real spreadsheets: title rows, merged header cells, several sheets, column synonyms, and a
mapping the user confirms or corrects before the preview."""

from __future__ import annotations

import json

from tests.excel.factories import UNIT_HEADER, credit_code, workbook_bytes
from tests.excel.helpers import post_file


def test_header_below_title_rows_with_merged_cells_and_synonyms_is_found(world, api_token, app):
    rows = [
        ["海口市秀英区实施单位名单（2024 年）"],
        ["填报单位：秀英区政务服务中心"],
        ["机构名称", "信用代码", "区划代码", "机构类型", "联系人信息", None],
        [None, None, None, None, "联系人", "联系电话"],
        ["海口市秀英区民政局", credit_code("460105", 1), "460105", "政府部门", "王五", "0898-1"],
    ]
    data = workbook_bytes(
        {"名单": rows}, merges={"名单": ["A1:F1", "A3:A4", "B3:B4", "C3:C4", "D3:D4", "E3:F3"]}
    )
    response = post_file(app.test_client(), api_token("province_admin"), data)
    assert response.status_code == 200, response.json
    sheet = response.json["sheets"][0]
    assert sheet["header_row"] == 4  # the two-row header ends in row 4; merged cells cover both
    assert sheet["mapping"]["机构名称"] == "name" and sheet["mapping"]["信用代码"] == "credit_code"
    assert sheet["mapping"]["联系人"] == "liaison_name"
    assert sheet["mapping"]["联系电话"] == "liaison_phone"
    assert response.json["counts"]["new"] == 1
    assert response.json["created"][0]["row"] == 5


def test_every_sheet_is_read_and_errors_name_their_sheet(world, api_token, app):
    data = workbook_bytes(
        {
            "秀英区": [UNIT_HEADER, ["甲", credit_code("460105", 1), "460105", "政府部门"]],
            "海棠区": [
                ["三亚市海棠区单位"],
                UNIT_HEADER,
                ["乙", credit_code("460202", 2), "460202", "政府部门"],
                ["丙", credit_code("460202", 3), "460299", "政府部门"],
            ],
        }
    )
    response = post_file(app.test_client(), api_token("province_admin"), data)
    assert response.json["counts"] == {
        "total": 3,
        "new": 2,
        "changed": 0,
        "unchanged": 0,
        "invalid": 1,
    }
    error = response.json["errors"][0]
    assert (error["sheet"], error["row"], error["column"]) == ("海棠区", 4, "所属区划代码")


def test_the_user_picks_sheets_and_corrects_the_mapping(world, api_token, app):
    data = workbook_bytes(
        {
            "A": [
                ["单位名", "统一社会信用代码", "所属区划代码", "单位类型", "备注"],
                ["甲", credit_code("460105", 1), "460105", "政府部门", "x"],
            ],
            "B": [UNIT_HEADER, ["乙", credit_code("460105", 2), "460105", "政府部门"]],
        }
    )
    client, headers = app.test_client(), api_token("province_admin")
    unmapped = post_file(client, headers, data, sheets=json.dumps(["A"]))
    assert unmapped.status_code == 422
    assert "单位名称" in unmapped.json["message"]
    assert "A：单位名" in unmapped.json["unmapped"] and "A：备注" in unmapped.json["unmapped"]
    fixed = post_file(
        client,
        headers,
        data,
        sheets=json.dumps(["A"]),
        mapping=json.dumps({"A": {"单位名": "name"}}),
    )
    assert fixed.status_code == 200, fixed.json
    assert fixed.json["counts"]["new"] == 1 and fixed.json["counts"]["total"] == 1


def test_mapping_page_corrects_a_column_and_starts_the_check(world, login, app):
    import io

    data = workbook_bytes(
        {
            "A": [
                ["单位名", "统一社会信用代码", "所属区划代码", "单位类型"],
                ["甲", credit_code("460105", 1), "460105", "政府部门"],
            ]
        }
    )
    client = login("province_admin")
    response = client.post(
        "/excel/units/upload",
        data={"file": (io.BytesIO(data), "a.xlsx")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302 and response.headers["Location"].endswith("/mapping")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "以下必填列没有对应" in page and "单位名称" in page
    done = client.post(response.headers["Location"], data={"sheet": "A", "map-A-0": "name"})
    assert done.status_code == 302
    show = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "待确认" in show and 'id="count-new">1<' in show
