"""The published licence catalogue and the usage applications as spreadsheets (issue #18),
as the pages filter them and within the reader's reach."""

from __future__ import annotations

import io

import openpyxl

from tests.licences.factories import make_application, make_entry


def _rows(response):
    assert response.status_code == 200, response.status_code
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    response.close()
    return [[c.value for c in row] for row in book.worksheets[0].iter_rows()]


def test_published_licence_catalogue_export_shows_published_entries_only(world, app, login):
    with app.app_context():
        make_entry(world.unit("xiuying_market"), number=1, state="approved", name="营业执照")
        make_entry(world.unit("xiuying_market"), number=2, state="draft", name="草稿证照")
    client = login("window_staff")
    page = client.get("/licencecatalogueview/list/").get_data(as_text=True)
    assert 'id="list-export"' in page
    rows = _rows(client.get("/licencecatalogueview/export/"))
    assert rows[0][0] == "证照名称"
    assert [row[0] for row in rows[1:]] == ["营业执照"]


def test_usage_applications_export_lists_my_units_applications_only(world, app, login):
    with app.app_context():
        entry = make_entry(world.unit("haitang_market"), number=1, state="approved")
        make_application(world.unit("xiuying_market"), entry, state="submitted")
        make_application(world.unit("haitang_market"), entry, state="submitted")
    rows = _rows(login("unit_operator").get("/licenceusageapplicationview/export/"))
    units = [row[rows[0].index("申请单位")] for row in rows[1:]]
    assert units == ["海口市秀英区市场监督管理局"]


def test_usage_applications_export_needs_the_usage_permission(world, app, login):
    assert login("window_staff").get("/licenceusageapplicationview/export/").status_code in (
        302,
        403,
    )
