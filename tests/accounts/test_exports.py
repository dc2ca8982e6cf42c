"""Window users as a spreadsheet (issue #18): the filtered list within the reader's reach."""

from __future__ import annotations

import io

import openpyxl

from tests.accounts.factories import approve, file_new


def _rows(response):
    assert response.status_code == 200, response.status_code
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    response.close()
    return [[c.value for c in row] for row in book.worksheets[0].iter_rows()]


def test_window_users_export_lists_the_region_users_only(app, world, login):
    approve(app, file_new(app, world), world.user("county_coordinator"))
    client = login("county_coordinator")
    assert 'id="list-export"' in client.get("/windowuserview/list/").get_data(as_text=True)
    rows = _rows(client.get("/windowuserview/export/"))
    assert rows[0][:2] == ["姓名", "实施单位"]
    assert [row[0] for row in rows[1:]] == ["王伟"]
    other = _rows(login("county_coordinator2").get("/windowuserview/export/"))
    assert other[1:] == []


def test_window_users_export_needs_the_window_users_permission(app, world, login):
    assert login("legal_reviewer").get("/windowuserview/export/").status_code in (302, 403)
