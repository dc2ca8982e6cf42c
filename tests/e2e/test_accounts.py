"""In a real browser: a coordinator approves a window account, whose first sign-in forces a
password change."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.e2e

NEW_PASSWORD = "Chuangkou#2026"


def test_approved_window_account_must_change_its_password_at_first_login(
    sign_in, sign_out, page, tmp_path
):
    sign_in("county_coordinator")
    page.goto("/accountrequestview/list/")
    row = page.locator("tr", has_text="lin_xiao")
    row.locator("a[href*='/accountrequestview/show/']").first.click()
    page.wait_for_load_state("networkidle")
    page.click("#approve")
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(tmp_path / "approved.png"), full_page=True)
    password = page.locator("#initial-password").inner_text().strip()
    assert len(password) >= 8
    sign_out()

    page.goto("/login/")
    page.fill("input[name=username]", "lin_xiao")
    page.fill("input[name=password]", password)
    page.click("input[type=submit], button[type=submit]")
    page.wait_for_load_state("networkidle")
    # Straight to the change form, whatever page is asked for.
    assert "/resetmypassword/form" in page.url
    page.goto("/windowuserview/list/")
    assert "/resetmypassword/form" in page.url
    page.screenshot(path=str(tmp_path / "forced-change.png"), full_page=True)

    # A password with the user name in it is refused on the form.
    page.fill("input[name=password]", "Lin_Xiao#2026")
    page.fill("input[name=conf_password]", "Lin_Xiao#2026")
    page.click("input[type=submit], button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "/resetmypassword/form" in page.url
    assert re.search("用户名|user name", page.locator("body").inner_text())

    page.fill("input[name=password]", NEW_PASSWORD)
    page.fill("input[name=conf_password]", NEW_PASSWORD)
    page.click("input[type=submit], button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "/resetmypassword" not in page.url
    assert page.locator("#welcome").inner_text().startswith("当前用户：lin_xiao")
    page.goto("/windowuserview/list/")
    assert "/resetmypassword" not in page.url
