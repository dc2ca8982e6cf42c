"""Polling an import's status (GET) never writes, even when its job died; the next step
the user takes settles the import."""

from __future__ import annotations

import contextlib
import re

from sqlalchemy import event

from app.excel.models import ImportBatch
from app.extensions import db
from tests.excel.factories import credit_code, unit_rows
from tests.excel.helpers import post_file

WRITE = re.compile(r"^\s*(INSERT|UPDATE|DELETE)\b[^;]*\b(import_batch|audit_log)\b", re.I | re.S)


@contextlib.contextmanager
def _writes(app):
    """The statements that write an import or an audit row while the block runs."""
    seen: list[str] = []

    def listen(conn, cursor, statement, parameters, context, executemany):
        if WRITE.match(statement):
            seen.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", listen)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", listen)


def _status(app, batch_id):
    with app.app_context():
        return db.session.get(ImportBatch, batch_id).status


def test_polling_an_import_whose_job_died_writes_nothing(world, app, api_token, login):
    headers = api_token("province_admin")
    data = unit_rows(["海口市秀英区民政局", credit_code("460105", 1), "460105", "政府部门"])
    batch_id = post_file(app.test_client(), headers, data).json["id"]
    with app.app_context():  # its worker died while checking the rows
        batch = db.session.get(ImportBatch, batch_id)
        batch.status, batch.job_id = "previewing", "deadjob"
        db.session.commit()
    browser = login("province_admin")
    with _writes(app) as writes:
        api = app.test_client().get(f"/api/v1/unit_list/import/{batch_id}", headers=headers)
        progress = browser.get(f"/excel/units/{batch_id}/progress")
        page = browser.get(f"/excel/units/{batch_id}")
    assert api.status_code == progress.status_code == page.status_code == 200
    assert writes == []
    assert _status(app, batch_id) == "previewing"
    # Shown as it will be settled, so that the page stops polling and offers a new check.
    assert api.json["status"] == progress.json["status"] == "uploaded"
    assert progress.json["message"] and progress.json["progress"] == 100
    assert f"/excel/units/{batch_id}/mapping" in page.get_data(as_text=True)
    # The user checks the file again: that step settles the dead job and runs a new one.
    browser.post(f"/excel/units/{batch_id}/mapping", data={"sheet": "实施单位"})
    assert _status(app, batch_id) == "previewed"
