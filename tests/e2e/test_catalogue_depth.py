"""Issue #18 in a real browser: the public guide announces a planned suspension before its day,
and the administrator enters a year's calendar from the notice, previews it and completes it."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.e2e


def test_public_guide_announces_a_planned_suspension(page):
    # The demo approves a suspension that starts in six working days.
    planned = []
    for number in range(1, 200):  # the public JSON, page by page
        page.goto(f"/public/api/items?page={number}")
        items = json.loads(page.locator("body").inner_text())["result"]
        planned = [i for i in items if i["status"] == "active" and i.get("suspension_from")]
        if planned or not items:
            break
    assert planned, "the demo has a planned suspension"
    page.goto(f"/public/item/{planned[0]['implementation_code']}")
    text = page.locator("#item-suspension").inner_text()
    assert f"将于 {planned[0]['suspension_from']} 起暂停" in text
    assert "计划于" in text


def test_year_is_entered_from_the_notice_previewed_saved_and_completed(sign_in, page):
    sign_in("province_admin")
    page.goto("/calendaryearview/notice/2031")
    page.fill(
        "#notice-text",
        "一、元旦：1月1日（周三）放假，共1天。\n"
        "二、春节：1月22日至28日放假调休，共7天。1月19日（星期日）、2月8日（星期六）上班。",
    )
    page.click("#notice-preview")
    page.wait_for_selector("#notice-days")
    preview = page.locator("#notice-days").inner_text()
    assert "2031-01-22" in preview and "2031-02-08" in preview and "调休上班" in preview
    page.click("#notice-save")
    page.wait_for_selector("#stored-days")
    assert "未完整" in page.locator("#year-state").inner_text()
    assert page.locator("#stored-days tr").count() == 10
    page.check("#complete-confirm")
    page.click("#complete-year")
    page.wait_for_load_state("networkidle")
    assert "已完整" in page.locator("#year-state").inner_text()
