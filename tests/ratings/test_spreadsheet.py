"""Ratings imported from the platform's export: idempotent, unknown codes and other reaches are
row errors, poor ratings open their tickets, a wrong import is withdrawn as a whole."""

from __future__ import annotations

import datetime as dt
import io
import json
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


def test_an_imported_poor_rating_gets_the_ticket_deadlines_and_audit_of_one_recorded_by_hand(
    app, world, codes, api_token
):
    """The import writes its tickets in bulk; they must be what the single path makes: the same
    columns, deadlines (3 working days over a weekend) and ``create`` audit records."""
    from app.catalogue.models import ImplementationItem
    from app.core.models import Deadline
    from app.extensions import db
    from tests.ratings.factories import rating

    with app.app_context():
        first = db.session.scalar(select(func.max(AuditLog.id))) or 0
        item_id = db.session.execute(
            select(ImplementationItem.id).where(ImplementationItem.implementation_code == codes[0])
        ).scalar_one()
        by_hand = rating(item_id, "1", rated_at=dt.datetime(2026, 3, 6, 16, 0)).id  # a Friday
        db.session.commit()
    client, headers = app.test_client(), api_token("county_coordinator")
    preview = _upload(client, headers, _workbook(_rows(codes[0])[0]))  # 2026-03-06 16:00, 不满意
    done = client.post(f"{URL}/{preview.json['id']}/confirm", headers=headers)
    assert done.json["status"] == "applied", done.json
    with app.app_context():
        imported = db.session.execute(
            select(Rating.id).where(Rating.rating_no == "PJ001")
        ).scalar_one()
        tickets = db.session.execute(
            select(RectificationTicket).where(
                RectificationTicket.rating_id.in_([by_hand, imported])
            )
        ).scalars()
        one, other = sorted(tickets, key=lambda t: t.rating_id != by_hand)
        own = {"id", "rating_id", "opened_at", "deadline_id", "verify_deadline_id"}
        columns = [c.key for c in RectificationTicket.__table__.columns if c.key not in own]

        def shape(ticket: RectificationTicket) -> Any:
            deadlines = [
                (d.purpose, d.start_date, d.working_days, d.due_date, d.provisional, d.completed_at)
                for d in (ticket.deadline, ticket.verify_deadline)
            ]
            return {c: getattr(ticket, c) for c in columns}, deadlines

        assert shape(one) == shape(other)
        assert shape(other)[1][0][3] == dt.date(2026, 3, 11)
        created = db.session.execute(
            select(AuditLog.object_type, AuditLog.object_id, AuditLog.summary, AuditLog.after)
            .where(AuditLog.id > first, AuditLog.action == "create")
            .where(AuditLog.object_type.in_(["RectificationTicket", "Deadline"]))
        ).all()
        audited = {
            (kind, int(number)): (summary, json.loads(after))
            for kind, number, summary, after in created
        }
        for ticket in (one, other):
            summary, after = audited[("RectificationTicket", ticket.id)]
            assert summary == repr(ticket) and after["deadline_id"] == ticket.deadline_id
            assert sorted(after) == sorted(c.key for c in RectificationTicket.__table__.columns)
            for deadline in (ticket.deadline, ticket.verify_deadline):
                summary, after = audited[("Deadline", deadline.id)]
                assert summary == repr(deadline)
                assert sorted(after) == sorted(c.key for c in Deadline.__table__.columns)


def test_the_confirm_applies_the_previewed_plan_and_rewrites_the_figures_once(
    app, codes, api_token, monkeypatch
):
    from app.excel.services import workflow
    from app.extensions import db
    from app.ratings import figures
    from app.ratings.models import RatingDay

    client, headers = app.test_client(), api_token("county_coordinator")
    preview = _upload(client, headers, _workbook(*_rows(codes[0])))
    refreshes = []
    original = figures.refresh
    monkeypatch.setattr(
        figures, "refresh", lambda s, pairs: refreshes.append(1) or original(s, pairs)
    )
    monkeypatch.setattr(workflow, "analyse", None)  # the file is not read and checked again
    done = client.post(f"{URL}/{preview.json['id']}/confirm", headers=headers)
    assert done.json["status"] == "applied", done.json
    assert refreshes == [1]
    with app.app_context():
        counts = db.session.execute(
            select(func.sum(RatingDay.ratings), func.sum(RatingDay.poor))
        ).one()
        assert tuple(counts) == (3, 2)


def test_a_rating_recorded_under_a_previewed_number_makes_the_import_stale(
    app, world, codes, api_token
):
    from app.catalogue.models import ImplementationItem
    from app.extensions import db
    from tests.ratings.factories import rating

    client, headers = app.test_client(), api_token("county_coordinator")
    preview = _upload(client, headers, _workbook(*_rows(codes[0])))
    with app.app_context():
        item_id = db.session.execute(
            select(ImplementationItem.id).where(ImplementationItem.implementation_code == codes[0])
        ).scalar_one()
        rating(item_id, "5", rating_no="PJ002")
        db.session.commit()
    done = client.post(f"{URL}/{preview.json['id']}/confirm", headers=headers)
    assert done.json["status"] == "superseded", done.json
    assert (_count(app, Rating), _count(app, RectificationTicket)) == (1, 0)
