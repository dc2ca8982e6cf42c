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


def test_after_confirming_the_page_says_what_happened_and_links_the_draft_requests(
    world, app, api_token, login
):
    import io

    import openpyxl

    from app.catalogue.models import AdjustmentRequest
    from tests.catalogue import factories as cf
    from tests.excel.helpers import post_file

    url = "/api/v1/implementation_list"
    with app.app_context():
        cf.item(world, entry=cf.basic_entry("460105001000", "食品经营许可"), published=True)
        db.session.commit()
    client, headers = app.test_client(), api_token("county_coordinator")
    response = client.get(f"{url}/export", headers=headers)
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    response.close()
    sheet = book["实施清单"]
    column = [c.value for c in sheet[1]].index("承诺办结时限")
    for row in sheet.iter_rows(min_row=2):
        row[column].value = 8
    out = io.BytesIO()
    book.save(out)
    preview = post_file(client, headers, out.getvalue(), url=f"{url}/import").json
    client.post(f"{url}/import/{preview['id']}/confirm", headers=headers)
    with app.app_context():
        adjustment_id = db.session.query(AdjustmentRequest).one().id
    page = login("county_coordinator").get(f"/excel/implementation_list/{preview['id']}")
    text = page.get_data(as_text=True)
    assert 'id="import-outcome"' in text
    assert f'href="/adjustmentview/show/{adjustment_id}"' in text
    assert "1 条已发布事项的变更申请草稿" in text
