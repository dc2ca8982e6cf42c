"""The catalogue's lists as spreadsheets (issue #18): adjustment requests and filings as
filtered, and a filing's frozen rows in the implementation list's template layout, each within
the reader's reach; the snapshot round-trips through the implementation list's import."""

from __future__ import annotations

import io

import openpyxl
import pytest

from app.catalogue import services
from app.catalogue.models import Filing
from app.catalogue.spreadsheet import ImplementationListSpec
from app.core.models import AuditLog
from app.extensions import db
from tests.catalogue import factories as f
from tests.excel.helpers import post_file


@pytest.fixture(autouse=True)
def eager_jobs(app):
    previous = app.config.get("JOBS_EAGER")
    app.config["JOBS_EAGER"] = True
    yield
    app.config["JOBS_EAGER"] = previous


@pytest.fixture
def data(app, world):
    """A change request in 秀英区 and one in 海棠区; a filing of 秀英区 and one of 海棠区."""
    with app.app_context():
        entry = f.basic_entry()
        mine = f.item(world, entry=entry, published=True, promised_time_limit_days=10)
        other = f.item(world, unit_key="haitang_market", entry=entry, published=True)
        result = {}
        for key, row, username in [
            ("mine", mine, "county_coordinator"),
            ("other", other, "county_coordinator2"),
        ]:
            actor = f.actor(username)
            adjustment = services.create_adjustment(
                db.session,
                actor=actor,
                item=row,
                kind="change",
                ground="15.4",
                legal_basis='=HYPERLINK("x")',  # written as text, never as a formula
                proposed_values={"approver": f"审批人{key}"},
            )
            filing = services.file_list(db.session, actor=actor, region=row.region, note=key)
            result[key] = (adjustment.id, filing.id, row.implementation_code)
        db.session.commit()
        return result


def _sheet(response):
    assert response.status_code == 200, response.status_code
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    response.close()
    sheet = book.worksheets[0]
    return [[c.value for c in row] for row in sheet.iter_rows()]


def test_adjustments_export_lists_my_region_only_with_text_cells(app, data, login):
    rows = _sheet(login("county_coordinator").get("/adjustmentview/export/"))
    header, body = rows[0], rows[1:]
    assert header[:3] == ["序号", "实施编码", "事项名称"]
    assert [row[0] for row in body] == [data["mine"][0]]
    assert body[0][1] == data["mine"][2]
    assert '=HYPERLINK("x")' in body[0]  # the text itself, not a formula


def test_adjustments_list_offers_the_export_with_its_filters(app, data, login):
    page = login("county_coordinator").get("/adjustmentview/list/").get_data(as_text=True)
    assert 'id="list-export"' in page and "/adjustmentview/export/" in page


def test_filings_export_lists_my_region_only(app, data, login):
    rows = _sheet(login("county_coordinator").get("/filingview/export/"))
    assert [row[0] for row in rows[1:]] == [data["mine"][1]]


def test_filing_snapshot_is_exported_in_the_template_layout(app, data, login):
    rows = _sheet(login("county_coordinator").get(f"/filingview/snapshot/{data['mine'][1]}"))
    template = [c.header for c in ImplementationListSpec.columns]
    assert rows[0] == [h for h in template if h in rows[0]]  # the template's order
    assert {"事项名称", "基本编码", "实施主体", "实施编码", "承诺办结时限"} <= set(rows[0])
    assert len(rows) == 2 and rows[1][rows[0].index("实施编码")] == data["mine"][2]
    with app.app_context():
        assert db.session.query(AuditLog).filter_by(object_type="Filing", action="export").count()


def test_another_countys_filing_snapshot_is_not_found(app, data, login):
    client = login("county_coordinator2")
    assert client.get(f"/filingview/snapshot/{data['mine'][1]}").status_code == 404


def test_filing_snapshot_round_trips_through_the_implementation_list_import(
    app, data, login, api_token
):
    response = login("county_coordinator").get(f"/filingview/snapshot/{data['mine'][1]}")
    content = response.data
    response.close()
    headers = api_token("county_coordinator")
    preview = post_file(
        app.test_client(), headers, content, url="/api/v1/implementation_list/import"
    ).json
    counts = preview["counts"]
    assert counts["total"] == 1 and counts["unchanged"] == 1, preview["errors"]
    with app.app_context():
        assert db.session.get(Filing, data["mine"][1]).row_count == 1


@pytest.mark.parametrize("url", ["/adjustmentview/export/", "/filingview/export/"])
def test_exports_need_the_lists_read_permission(app, data, login, url):
    assert login("licence_reviewer").get(url).status_code in (302, 403)
