"""Ratings in a real browser: import a poor rating → its ticket appears → verify → rectify →
call back → closed → the figures change."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest

from tests.excel.factories import workbook_bytes

pytestmark = pytest.mark.e2e


def _total_row(page, day: str) -> str:
    page.goto(f"/ratingfigures/show/?group_by=unit&start={day}&end={day}")
    return page.locator("#rating-figures-total").inner_text()


def test_import_a_poor_rating_and_work_its_ticket_to_closed(sign_in, page, tmp_path):
    sign_in("unit_operator")
    # An implementation code of the operator's unit, read off one of its demo ratings.
    page.goto("/ratingview/list/")
    page.click("a[href*='/ratingview/show/']")
    page.wait_for_load_state("networkidle")
    code = re.search(
        r"(?<![0-9A-Z])[0-9A-Z]{31}(?![0-9A-Z])", page.locator("body").inner_text()
    ).group(0)
    now = dt.datetime.now(ZoneInfo("Asia/Shanghai")) - dt.timedelta(minutes=5)
    today = now.date().isoformat()
    before = _total_row(page, today)

    path = tmp_path / "好差评导出.xlsx"
    path.write_bytes(
        workbook_bytes(
            {
                "评价数据": [
                    [
                        "评价ID",
                        "事项实施编码",
                        "评价人姓名",
                        "手机号码",
                        "评价来源",
                        "评价时间",
                        "满意度",
                        "评价意见",
                    ],
                    [
                        "E2E-PJ-0001",
                        code,
                        "测试人",
                        "13912345678",
                        "PC",
                        now.strftime("%Y-%m-%d %H:%M"),
                        "非常不满意",
                        "窗口无人",
                    ],
                ]
            }
        )
    )
    page.goto("/excel/ratings/")
    page.set_input_files("#file", str(path))
    page.click("#upload-button")
    page.wait_for_url("**/mapping")
    page.click("#check-rows")
    page.wait_for_selector("#import-counts", timeout=90_000)  # a background job; CI is loaded
    assert page.locator("#count-new").inner_text() == "1"
    page.click("#confirm-import")
    page.wait_for_function(
        "() => document.getElementById('import-status')?.innerText === '已导入'", timeout=90_000
    )
    after_import = _total_row(page, today)
    assert after_import != before

    page.goto("/ratingview/list/?_flt_0_rating_no=E2E-PJ-0001")
    body = page.locator("body").inner_text()
    assert "测*" in body and "139****5678" in body and "13912345678" not in body
    href = page.locator("a[href*='/ratingview/show/']").first.get_attribute("href")
    rating_id = href.rstrip("/").split("/")[-1]
    page.goto(f"/rectificationticketview/list/?_flt_0_rating={rating_id}")
    page.click("a[href*='/rectificationticketview/show/']")
    page.wait_for_load_state("networkidle")
    assert page.locator("#ticket-state").inner_text() == "待核实"
    page.click("#ticket-contact")
    page.wait_for_load_state("networkidle")
    assert "13912345678" in page.locator("#ticket-rater").inner_text()

    page.select_option("#ticket-verify select[name=valid]", "1")
    page.click("#ticket-verify button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert page.locator("#ticket-state").inner_text() == "待整改"
    page.fill("#ticket-rectify textarea[name=note]", "安排专人值守窗口")
    page.click("#ticket-rectify button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert page.locator("#ticket-state").inner_text() == "待回访"
    page.select_option("#ticket-call-back select[name=reached]", "1")
    page.select_option("#ticket-call-back select[name=satisfied]", "1")
    page.click("#ticket-call-back button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert page.locator("#ticket-state").inner_text() == "已办结"
    page.screenshot(path=str(tmp_path / "ticket.png"), full_page=True)
    assert _total_row(page, today) != after_import
    page.screenshot(path=str(tmp_path / "figures.png"), full_page=True)
