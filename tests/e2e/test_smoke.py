"""A newcomer's first steps in a real browser: log in, see the menu, open the unit list."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.e2e


def test_province_admin_logs_in_and_opens_the_unit_list(sign_in, page, tmp_path):
    sign_in("province_admin")
    assert page.locator("#welcome").inner_text().startswith("当前用户：province_admin")
    page.click("text=组织机构")
    page.click("a:has-text('实施单位')")
    page.wait_for_load_state("networkidle")
    body = page.locator("body").inner_text()
    assert "海南省人民政府政务服务中心" in body  # the first page (by name) of 59 demo units
    assert "11460000" in body  # credit codes of the province's units
    page.screenshot(path=str(tmp_path / "units.png"), full_page=True)


def test_audit_admin_menu_shows_only_the_audit_log(sign_in, page):
    sign_in("audit_admin")
    menu = page.locator(".navbar").inner_text()
    assert "审计" in menu
    assert "组织机构" not in menu
    assert "工作日历" not in menu
