"""Implementing units through the spreadsheet engine: upload → preview → confirm, via the API."""

from __future__ import annotations

import io

from sqlalchemy import func, select

from app.core.models import AuditLog, Unit
from app.extensions import db
from tests.excel.factories import credit_code, unit_rows


def _post(client, headers, data: bytes, name="units.xlsx", url="/api/v1/unit_list/import", **form):
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
        ["海口市秀英区民政局", credit_code("460105", 1), "460105", "政府部门", None, "王五", "0898-1", "是"],
        ["三亚市海棠区教育局", credit_code("460202", 2), 460202, "政府部门", "县级", None, None, None],
    )
    before = _unit_count(app)
    preview = _post(client, headers, data)
    assert preview.status_code == 200, preview.json
    assert preview.json["status"] == "previewed"
    assert preview.json["counts"] == {"total": 2, "new": 2, "changed": 0, "unchanged": 0, "invalid": 0}
    assert _unit_count(app) == before  # nothing changes before the confirm
    done = client.post(f"/api/v1/unit_list/import/{preview.json['id']}/confirm", headers=headers)
    assert done.status_code == 200, done.json
    assert done.json["status"] == "applied"
    assert _unit_count(app) == before + 2
    with app.app_context():
        unit = db.session.scalar(select(Unit).where(Unit.name == "海口市秀英区民政局"))
        assert unit.exercise_level == "4" and unit.liaison_name == "王五"
        actions = set(db.session.scalars(select(AuditLog.action).where(AuditLog.object_type == "Unit")))
        assert {"import", "create"} <= actions
    again = _post(client, headers, data)
    assert again.json["counts"]["unchanged"] == 2 and again.json["counts"]["new"] == 0
    client.post(f"/api/v1/unit_list/import/{again.json['id']}/confirm", headers=headers)
    assert _unit_count(app) == before + 2
