"""Bulk window-account requests by Excel through the shared engine: preview → confirm."""

from __future__ import annotations

import io
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from app.accounts.models import AccountRequest
from tests.accounts.factories import approve, file_new

HEADER = ["申请类型", "用户名", "单位统一社会信用代码", "姓名", "手机号码", "服务大厅", "窗口号",
          "角色", "调入单位统一社会信用代码", "备注"]  # fmt: skip
URL = "/api/v1/account_request_list/import"


@pytest.fixture(autouse=True)
def eager_jobs(app: Any) -> Any:
    previous = app.config.get("JOBS_EAGER")
    app.config["JOBS_EAGER"] = True
    yield
    app.config["JOBS_EAGER"] = previous


def _workbook(*rows: list[Any]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "窗口人员账号申请"
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _upload(client: Any, headers: dict[str, str], data: bytes) -> Any:
    return client.post(
        URL,
        headers=headers,
        data={"file": (io.BytesIO(data), "requests.xlsx")},
        content_type="multipart/form-data",
    )


def _requests(app: Any) -> int:
    with app.app_context():
        from app.extensions import db

        return db.session.scalar(select(func.count()).select_from(AccountRequest))


HALL = "秀英区政务服务中心"
NEW_ROWS = (
    ["新增账号", "li_na", None, "李娜", "13800138001", HALL, "A08", None, None, None],
    ["新增", "zhou_jie", None, "周杰", "13800138002", HALL, "A09", "窗口人员", None, None],
)


def test_unit_operator_files_requests_in_bulk_after_a_preview(app, world, api_token):
    client, headers = app.test_client(), api_token("unit_operator")
    data = _workbook(*NEW_ROWS)
    preview = _upload(client, headers, data)
    assert preview.status_code == 200, preview.json
    assert preview.json["counts"]["new"] == 2 and preview.json["counts"]["invalid"] == 0
    assert _requests(app) == 0
    done = client.post(f"{URL}/{preview.json['id']}/confirm", headers=headers)
    assert done.json["status"] == "applied", done.json
    with app.app_context():
        from app.extensions import db

        items = db.session.scalars(select(AccountRequest).order_by(AccountRequest.username)).all()
        assert [(i.username, i.state, i.unit_id) for i in items] == [
            ("li_na", "pending", world.unit("xiuying_market")),
            ("zhou_jie", "pending", world.unit("xiuying_market")),
        ]
    # The same file again changes nothing.
    again = _upload(client, headers, data)
    assert again.json["counts"]["unchanged"] == 2 and again.json["counts"]["new"] == 0
    client.post(f"{URL}/{again.json['id']}/confirm", headers=headers)
    assert _requests(app) == 2


def test_invalid_rows_block_the_whole_import(app, world, api_token):
    client, headers = app.test_client(), api_token("unit_operator")
    bad = [
        "新增账号",
        "bad_mobile",
        None,
        "错号",
        "123",
        "秀英区政务服务中心",
        "A1",
        None,
        None,
        None,
    ]
    other_unit = ["新增账号", "outsider", "X" * 18, "外人", "13800138003", "大厅", "A1", None,
                  None, None]  # fmt: skip
    preview = _upload(client, headers, _workbook(NEW_ROWS[0], bad, other_unit))
    assert preview.json["counts"]["invalid"] == 2
    done = client.post(f"{URL}/{preview.json['id']}/confirm", headers=headers)
    # A file with row errors is never applied, not even its good rows.
    assert done.status_code == 409
    assert "有错误" in done.json["message"]
    assert _requests(app) == 0


def test_unit_operator_cannot_file_for_another_unit(app, world, api_token):
    from app.core.models import Unit

    with app.app_context():
        from app.extensions import db

        other = db.session.get(Unit, world.unit("haitang_market")).credit_code
    client, headers = app.test_client(), api_token("unit_operator")
    row = ["新增账号", "sneaky", other, "某人", "13800138004", "海棠区政务服务中心", "B1", None,
           None, None]  # fmt: skip
    preview = _upload(client, headers, _workbook(row))
    assert preview.json["counts"]["invalid"] == 1
    assert _requests(app) == 0


def test_cancel_by_spreadsheet_names_the_window_user_by_user_name(app, world, api_token):
    pk = file_new(app, world)
    approve(app, pk, world.user("county_coordinator"))
    client, headers = app.test_client(), api_token("unit_operator")
    row = ["注销账号", "wang_wei", None, None, None, None, None, None, None, "调离"]
    preview = _upload(client, headers, _workbook(row))
    assert preview.json["counts"]["new"] == 1, preview.json
    client.post(f"{URL}/{preview.json['id']}/confirm", headers=headers)
    with app.app_context():
        from app.extensions import db

        cancel = db.session.scalar(select(AccountRequest).where(AccountRequest.kind == "cancel"))
        assert cancel.state == "pending" and cancel.window_user_id is not None
    # Without a reason, a cancellation is refused.
    row[-1] = None
    row[1] = "wang_wei"
    assert _upload(client, headers, _workbook(row)).json["counts"]["invalid"] == 1


def _rows(response: Any) -> list[tuple[Any, ...]]:
    assert response.status_code == 200
    data = response.data
    response.close()
    return list(load_workbook(io.BytesIO(data)).worksheets[0].iter_rows(values_only=True))


def test_template_and_export_of_pending_requests(app, world, api_token):
    file_new(app, world)
    client, headers = app.test_client(), api_token("unit_operator")
    template = _rows(client.get("/api/v1/account_request_list/template", headers=headers))
    assert list(template[0][:2]) == ["申请类型", "用户名"]
    rows = _rows(client.get("/api/v1/account_request_list/export", headers=headers))
    assert any(row[1] == "wang_wei" for row in rows[1:])
    other = _rows(
        app.test_client().get(
            "/api/v1/account_request_list/export", headers=api_token("unit_operator2")
        )
    )
    assert not any(row[1] == "wang_wei" for row in other[1:])
