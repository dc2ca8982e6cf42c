"""The adjustment workflow in a real browser: submit → legality review → final review → the
public service guide shows the new value (demo data: one draft change of the demo unit)."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.e2e

NEW_PHONE = "0898-66668888"


def _switch(sign_out, sign_in, username):
    sign_out()
    return sign_in(username)


def test_change_goes_through_both_reviews_and_reaches_the_public_page(
    sign_in, sign_out, page, tmp_path
):
    sign_in("unit_operator")
    page.goto("/adjustmentview/list/?_flt_0_state=draft&_flt_0_kind=change")
    page.locator("a[href*='/adjustmentview/show/']").first.click()
    page.wait_for_load_state("networkidle")
    assert NEW_PHONE in page.locator("#adjustment-diff").inner_text()
    item_link = page.locator("#adjustment-summary a").first.inner_text()
    code = item_link.split()[0]
    assert len(code) == 31
    adjustment_url = page.url
    # Before approval the public page still shows the old phone.
    public = page.context.new_page()
    public.goto(f"/public/item/{code}")
    assert NEW_PHONE not in public.locator("#f-consult_phone").inner_text()
    old_version = public.locator("#item-version").inner_text()

    page.click("#btn-submit")
    page.wait_for_load_state("networkidle")
    assert "合法性审核" in page.locator("#adjustment-state").inner_text()

    _switch(sign_out, sign_in, "legal_reviewer")
    page.goto("/adjustmentview/queue")
    assert adjustment_url.rsplit("/", 1)[1] in page.locator("#queue").inner_text()
    page.goto(adjustment_url)
    page.screenshot(path=str(tmp_path / "legality_review.png"), full_page=True)
    page.click("#btn-pass_legality")
    page.wait_for_load_state("networkidle")
    assert "终审" in page.locator("#adjustment-state").inner_text()

    _switch(sign_out, sign_in, "province_admin")
    page.goto(adjustment_url)
    page.click("#btn-approve")
    page.wait_for_load_state("networkidle")
    assert "已生效" in page.locator("#adjustment-state").inner_text()

    public.goto(f"/public/item/{code}")
    assert public.locator("#f-consult_phone").inner_text() == NEW_PHONE
    new_version = public.locator("#item-version").inner_text()
    assert int(re.sub(r"\D", "", new_version)) == int(re.sub(r"\D", "", old_version)) + 1
    public.screenshot(path=str(tmp_path / "public.png"), full_page=True)
    data = public.request.get(f"/public/api/items/{code}").json()
    assert data["consult_phone"] == NEW_PHONE
