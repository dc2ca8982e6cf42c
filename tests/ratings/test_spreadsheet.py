"""Ratings imported from the platform's export: idempotent, unknown codes and other reaches are
row errors, poor ratings open their tickets, a wrong import is withdrawn as a whole."""

from __future__ import annotations

import io
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from app.core.models import AuditLog
from app.ratings.models import Rating, RectificationTicket
from tests.ratings.factories import rated_item

# The national platform's own column names (synonyms of the template's headers).
HEADER = ["评价ID", "事项实施编码", "实施机构", "办件编码", "评价人姓名", "手机号码", "身份证号码",
          "评价来源", "评价时间", "满意度", "评价意见"]  # fmt: skip
URL = "/api/v1/rating_list/import"


@pytest.fixture(autouse=True)
def eager_jobs(app: Any) -> Any:
    previous = app.config.get("JOBS_EAGER")
    app.config["JOBS_EAGER"] = True
    yield
    app.config["JOBS_EAGER"] = previous


def _workbook(*rows: list[Any]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
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
        data={"file": (io.BytesIO(data), "ratings.xlsx")},
        content_type="multipart/form-data",
    )


def _count(app: Any, model: type) -> int:
    with app.app_context():
        from app.extensions import db

        return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def codes(app, world):
    with app.app_context():
        from app.extensions import db

        mine = rated_item(world).implementation_code
        other = rated_item(world, "haitang_market").implementation_code
        db.session.commit()
    return mine, other


def _rows(code: str) -> list[list[Any]]:
    return [
        ["PJ001", code, "秀英区市场监管局", "BJ01", "张三", "13812345678", "460100199001011234",
         "PC", "2026-03-06 16:00", "不满意", "排队太久"],
        ["PJ002", code, None, "BJ02", None, None, None, "移动端", "2026-03-06 17:00", "非常满意",
         None],
        ["PJ003", code, None, "BJ03", "李四", "13900001111", None, "12345",
         "2026-03-05 09:00", "1", "态度差"],
    ]  # fmt: skip


def test_import_opens_tickets_for_poor_ratings_and_reimport_changes_nothing(app, codes, api_token):
    client, headers = app.test_client(), api_token("county_coordinator")
    data = _workbook(*_rows(codes[0]))
    preview = _upload(client, headers, data)
    assert preview.status_code == 200, preview.json
    assert preview.json["counts"]["new"] == 3 and preview.json["counts"]["invalid"] == 0
    done = client.post(f"{URL}/{preview.json['id']}/confirm", headers=headers)
    assert done.json["status"] == "applied", done.json
    assert (_count(app, Rating), _count(app, RectificationTicket)) == (3, 2)
    again = _upload(client, headers, data)
    assert again.json["counts"]["unchanged"] == 3 and again.json["counts"]["new"] == 0
    client.post(f"{URL}/{again.json['id']}/confirm", headers=headers)
    assert (_count(app, Rating), _count(app, RectificationTicket)) == (3, 2)


def test_unknown_code_and_a_unit_outside_reach_are_row_errors(app, codes, api_token):
    client, headers = app.test_client(), api_token("unit_operator")
    rows = _rows(codes[0])
    rows[0][1] = "11460105MB0123456X4999999999999"
    rows[1][1] = codes[1]  # an item of 三亚市海棠区
    preview = _upload(client, headers, _workbook(*rows))
    assert preview.json["counts"]["invalid"] == 2 and preview.json["counts"]["new"] == 1
    messages = str(preview.json)
    assert "实施编码" in messages and "范围" in messages
    assert _count(app, Rating) == 0


def test_the_raw_columns_are_encrypted_and_the_export_is_masked(app, codes, api_token):
    client, headers = app.test_client(), api_token("county_coordinator")
    with app.app_context():
        from app.extensions import db

        first = db.session.scalar(select(func.max(AuditLog.id))) or 0
    preview = _upload(client, headers, _workbook(*_rows(codes[0])))
    client.post(f"{URL}/{preview.json['id']}/confirm", headers=headers)
    with app.app_context():
        raw = db.session.execute(select(Rating.phone_enc).where(Rating.rating_no == "PJ001"))
        assert b"13812345678" not in bytes(raw.scalar_one())
        mine = select(AuditLog.before, AuditLog.after, AuditLog.summary).where(AuditLog.id > first)
        log = " ".join(str(v) for row in db.session.execute(mine) for v in row)
        assert "13812345678" not in log and "138****5678" in log
    export = client.get("/api/v1/rating_list/export", headers=headers)
    assert export.status_code == 200
    data = export.data
    export.close()
    cells = [
        str(cell)
        for row in load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True)
        for cell in row
    ]
    assert "138****5678" in cells and "4601**********1234" in cells and "张*" in cells
    assert "13812345678" not in cells and "张三" not in cells


def test_withdrawing_an_import_removes_its_ratings_and_tickets_audited(
    app, codes, login, api_token
):
    client, headers = app.test_client(), api_token("county_coordinator")
    preview = _upload(client, headers, _workbook(*_rows(codes[0])))
    client.post(f"{URL}/{preview.json['id']}/confirm", headers=headers)
    batch = preview.json["id"]
    other = login("county_coordinator2").post(f"/ratingimports/withdraw/{batch}")
    assert other.status_code in (302, 404)
    assert _count(app, Rating) == 3
    page = login("county_coordinator")
    assert "ratings.xlsx" in page.get("/ratingimports/list/").get_data(as_text=True)
    done = page.post(f"/ratingimports/withdraw/{batch}", follow_redirects=True)
    assert done.status_code == 200
    assert (_count(app, Rating), _count(app, RectificationTicket)) == (0, 0)
    with app.app_context():
        from app.extensions import db

        assert db.session.scalar(
            select(func.count())
            .select_from(AuditLog)
            .where(
                AuditLog.object_type == "ImportBatch",
                AuditLog.object_id == str(batch),
                AuditLog.action == "delete",
            )
        )
