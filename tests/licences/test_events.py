"""Status events (art. 8): recorded per licence, filterable, exported to Excel."""

from __future__ import annotations

import datetime as dt
import io

from openpyxl import load_workbook

from app.core import calendar
from app.core.models import AuditLog
from app.extensions import db
from tests.licences.factories import licence_number, make_entry, make_event


def test_events_are_recorded_for_published_licence_types_only(world, app, api_token):
    with app.app_context():
        published = make_entry(world.unit("xiuying_market"), number=1, state="approved")
        draft = make_entry(world.unit("xiuying_market"), number=2)
        good, bad = licence_number(published), licence_number(draft)
    client = app.test_client()
    headers = api_token("unit_operator")
    body = {
        "event_type": "revocation",
        "event_date": calendar.today().isoformat(),
        "reason": "吊销",
    }
    ok = client.post(
        "/api/v1/licence_status_event/",
        headers=headers,
        json={**body, "entry": published, "licence_number": good},
    )
    assert ok.status_code == 201, ok.get_data(as_text=True)
    refused = client.post(
        "/api/v1/licence_status_event/",
        headers=headers,
        json={**body, "entry": draft, "licence_number": bad},
    )
    assert refused.status_code == 422
    future = client.post(
        "/api/v1/licence_status_event/",
        headers=headers,
        json={
            **body,
            "entry": published,
            "licence_number": good,
            "event_date": (calendar.today() + dt.timedelta(days=3)).isoformat(),
        },
    )
    assert future.status_code == 422


def test_per_licence_log_filter_and_export(world, app, login):
    from sqlalchemy import func

    with app.app_context():
        last_audit = db.session.query(func.max(AuditLog.id)).scalar() or 0
        entry_id = make_entry(world.unit("xiuying_market"), number=1, state="approved")
        make_event(entry_id, event_type="change", serial="1001")
        make_event(entry_id, event_type="pledge", serial="1001")
        make_event(entry_id, event_type="annual", serial="2002")
        number = licence_number(entry_id, "1001")
    client = login("unit_operator")
    page = client.get(f"/licencestatuseventview/list/?_flt_0_licence_number={number}").get_data(
        as_text=True
    )
    assert "质押" in page and "变更" in page and "年检" not in page
    assert f"?_flt_0_licence_number={number}" in page  # each number links to its own log
    export = client.get(f"/licencestatuseventview/export/?_flt_0_licence_number={number}")
    assert export.status_code == 200
    sheet = load_workbook(io.BytesIO(export.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    export.close()
    assert len(rows) == 3
    assert {row[2] for row in rows[1:]} == {"变更", "质押"}
    with app.app_context():
        exports = db.session.query(AuditLog).filter(
            AuditLog.action == "export",
            AuditLog.object_type == "LicenceStatusEvent",
            AuditLog.id > last_audit,
        )
        assert exports.count() == 1


def test_export_is_scoped_to_reach(world, app, login):
    with app.app_context():
        haitang = make_entry(world.unit("haitang_market"), number=1, state="approved")
        make_event(haitang)
    export = login("unit_operator").get("/licencestatuseventview/export/")
    rows = list(load_workbook(io.BytesIO(export.data)).active.iter_rows(values_only=True))
    export.close()
    assert len(rows) == 1
