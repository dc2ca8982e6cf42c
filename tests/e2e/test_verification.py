"""免证办 in a real browser: the window asks → the issuing unit's queue → it uploads the result
→ the requesting window opens the result with its voucher; another case's number gets 404."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.e2e

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_request_is_verified_by_the_issuing_unit_and_opened_by_the_window(
    sign_in, sign_out, page, tmp_path
):
    sign_in("window_staff")
    page.goto("/verificationrequestview/queue/")
    page.click("#new-request-link")
    page.fill("#case_no", "E2E-MZB-0001")
    page.select_option("#material_kind", "certificate")
    page.fill("#material_name", "学籍证明（浏览器测试）")
    page.select_option("#issuer_unit_id", label="海口市秀英区教育局")
    page.fill("#applicant_name", "赵敏")
    page.select_option("#id_type", "id_card")
    page.fill("#id_number", "460100199003070023")
    with page.expect_navigation():
        page.click("#send-request")
    assert re.search(r"/verificationrequestview/show/\d+", page.url)
    body = page.locator("body").inner_text()
    assert "E2E-MZB-0001" in body and "460100199003070023" not in body
    request_url = page.url
    sign_out()

    sign_in("issuer_window")
    page.goto("/verificationrequestview/queue/")
    row = page.locator("#incoming-queue tr", has_text="E2E-MZB-0001")
    with page.expect_navigation():
        row.locator("a").click()
    result = tmp_path / "核验结果.pdf"
    result.write_bytes(PDF)
    page.set_input_files("#result", str(result))
    page.fill("#conclusion", "经核，情况属实")
    with page.expect_navigation():
        page.click("#request-verify-submit")
    assert page.locator("#request-state").inner_text() == "已核验"
    # The issuing unit delivered it but does not read it (art. 15).
    assert page.locator("#open-result").count() == 0
    sign_out()

    sign_in("window_staff")
    page.goto(request_url)
    voucher = re.search(r"MZB\d{14}", page.locator("#request-result").inner_text()).group(0)
    with page.expect_navigation():
        page.click("#open-result")
    assert page.locator("#voucher-no").inner_text() == voucher
    assert page.locator("#voucher-case").inner_text() == "E2E-MZB-0001"
    with page.expect_download() as download:
        page.click("#download-result")
    assert download.value.suggested_filename == "核验结果.pdf"
    other = page.goto(f"/verificationrequestview/result/{voucher}/DEMO-MZB-0001")
    assert other.status == 404
