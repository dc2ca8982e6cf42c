"""Licences in a real browser: register → submit → approve → visible in the catalogue."""

from __future__ import annotations

import pytest

from app.core.demo import demo_credit_code
from app.core.states import UnitKind

pytestmark = pytest.mark.e2e


def test_register_submit_approve_and_find_in_catalogue(
    sign_in, sign_out, page, browser, live_server, tmp_path
):
    code = demo_credit_code("海口市秀英区市场监督管理局", "460105", UnitKind.DEPARTMENT) + "099"
    sign_in("unit_operator")
    page.goto("/licenceentryview/add")
    page.fill("input[name=name]", "摊贩健康证明")
    page.fill("input[name=type_code]", code)
    page.select_option("select[name=holder_category]", "person")
    page.select_option("select[name=validity_rule]", "fixed")
    page.fill("input[name=validity_years]", "1")
    page.select_option("select[name=trust_level]", "sealed")
    sample = tmp_path / "样本.pdf"
    sample.write_bytes(b"%PDF-1.4\n%%EOF\n")
    page.set_input_files("input[name=sample_upload]", str(sample))
    page.click("button[type=submit], input[type=submit]")
    page.wait_for_load_state("networkidle")
    page.goto("/licenceentryview/list/?_flt_0_type_code=" + code)
    page.click("a[href*='/licenceentryview/show/']")
    page.wait_for_load_state("networkidle")
    entry_url = page.url
    entry_id = entry_url.rstrip("/").split("/")[-1].split("?")[0]
    page.goto(f"/licencefacefieldview/add?_flt_0_entry={entry_id}")
    page.fill("input[name=position]", "1")
    page.fill("input[name=name]", "证明编号")
    page.select_option("select[name=data_type]", "code")
    page.click("button[type=submit], input[type=submit]")
    page.wait_for_load_state("networkidle")
    page.goto(entry_url)
    assert "样本.pdf" in page.locator("body").inner_text()
    page.click("#entry-submit")
    page.wait_for_load_state("networkidle")
    assert page.locator("#entry-state").inner_text() == "已提交"
    page.screenshot(path=str(tmp_path / "entry.png"), full_page=True)

    reviewer = browser.new_context(base_url=live_server, locale="zh-CN").new_page()
    reviewer.goto("/login/")
    reviewer.fill("input[name=username]", "licence_reviewer")
    reviewer.fill("input[name=password]", "Demo@e2e-2026")
    reviewer.click("input[type=submit], button[type=submit]")
    reviewer.wait_for_load_state("networkidle")
    reviewer.goto("/licencereview/queue/")
    queue = reviewer.locator("#queue-entries").inner_text()
    assert "摊贩健康证明" in queue and "道路运输经营许可证" in queue
    # Oldest first: the demo registrations were submitted days ago.
    assert queue.index("道路运输经营许可证") < queue.index("摊贩健康证明")
    reviewer.screenshot(path=str(tmp_path / "queue.png"), full_page=True)
    reviewer.locator("#queue-entries tr", has_text="摊贩健康证明").locator("a").click()
    reviewer.wait_for_load_state("networkidle")
    reviewer.click("#review-approve")
    reviewer.wait_for_load_state("networkidle")
    assert "摊贩健康证明" not in reviewer.locator("#queue-entries").inner_text()
    reviewer.context.close()

    sign_out()
    sign_in("window_staff")
    page.goto("/licencecatalogueview/list/")
    body = page.locator("body").inner_text()
    assert "摊贩健康证明" in body and "营业执照" in body
    assert "食品摊贩登记卡" not in body  # a draft is not in the catalogue
    page.screenshot(path=str(tmp_path / "catalogue.png"), full_page=True)


def test_window_staff_finds_which_licences_an_item_accepts(sign_in, page, tmp_path):
    sign_in("window_staff")
    page.click("text=电子证照")
    page.click("a:has-text('事项免提交证照')")
    page.wait_for_load_state("networkidle")
    body = page.locator("body").inner_text()
    assert "营业执照" in body
    assert "海口市秀英区市场监督管理局" in body
    assert "三亚市海棠区市场监督管理局" not in body  # other halls' items are out of reach
    page.screenshot(path=str(tmp_path / "accepted.png"), full_page=True)
    page.goto("/licencecatalogueview/list/")
    page.locator("tr", has_text="营业执照").locator("a[href*='/show/']").first.click()
    page.wait_for_load_state("networkidle")
    page.click("a[href='#CatalogueItemLinkView']")
    assert "海口市秀英区市场监督管理局" in page.locator("#CatalogueItemLinkView").inner_text()
    page.screenshot(path=str(tmp_path / "catalogue_entry.png"), full_page=True)
