"""The spreadsheet tile on the workbench: the user's own imports waiting for confirmation."""

from __future__ import annotations

import re

from app.excel.models import ImportBatch
from app.extensions import db


def _batch(world, username: str, status: str, n: int) -> int:
    batch = ImportBatch(
        list_name="units",
        file_name="单位.xlsx",
        stored_name=f"stored-{username}-{n}",
        file_kind="xlsx",
        file_size=10,
        file_sha256="0" * 64,
        status=status,
        created_by_id=world.user(username),
        created_by_name=username,
        region_id=world.region("460000"),
    )
    db.session.add(batch)
    db.session.commit()
    return batch.id


def test_a_users_own_previewed_import_is_a_to_do_linked_to_it(app, world, login):
    with app.app_context():
        waiting = _batch(world, "province_admin", "previewed", 1)
        _batch(world, "province_admin", "applied", 2)
        _batch(world, "sys_admin", "previewed", 3)
    page = login("province_admin").get("/").get_data(as_text=True)
    assert re.search(rf'href="/excel/units/{waiting}" id="todo-imports-units" data-count="1"', page)
    assert "todo-imports-units" in login("sys_admin").get("/").get_data(as_text=True)
    assert "todo-imports" not in login("county_coordinator").get("/").get_data(as_text=True)
