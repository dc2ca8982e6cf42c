"""Upload → mapping → preview (with the progress bar) → confirm → history, in a real browser."""

from __future__ import annotations

import pytest

from app.core.codes import make_credit_code
from tests.excel.factories import workbook_bytes

pytestmark = pytest.mark.e2e


def test_province_admin_imports_units_through_preview_and_confirm(sign_in, page, tmp_path):
    path = tmp_path / "秀英区新增单位.xlsx"
    path.write_bytes(
        workbook_bytes(
            {
                "名单": [
                    ["秀英区新增实施单位"],
                    ["机构名称", "信用代码", "区划代码", "单位类型", "联系人"],
                    [
                        "海口市秀英区测试局",
                        make_credit_code("11", "460105", "99990001"),
                        "460105",
                        "政府部门",
                        "陈七",
                    ],
                ]
            }
        )
    )
    sign_in("province_admin")
    page.goto("/excel/units/")
    page.set_input_files("#file", str(path))
    page.click("#upload-button")
    page.wait_for_url("**/mapping")
    assert "表头在第 2 行" in page.locator("body").inner_text()
    page.click("#check-rows")
    page.wait_for_selector("#import-counts", timeout=90_000)  # a background job; CI is loaded
    assert page.locator("#import-status").inner_text() == "待确认"
    assert page.locator("#count-new").inner_text() == "1"
    page.screenshot(path=str(tmp_path / "preview.png"), full_page=True)
    page.click("#confirm-import")
    page.wait_for_function(
        "() => document.getElementById('import-status')?.innerText === '已导入'", timeout=90_000
    )
    # exact: the ratings menu has 「评价导入记录」 too (hidden in its dropdown)
    page.get_by_role("link", name="导入记录", exact=True).click()
    history = page.locator("#import-history").inner_text()
    assert "秀英区新增单位.xlsx" in history and "已导入" in history
    page.goto("/unitview/list/?_flt_0_name=海口市秀英区测试局")
    assert "海口市秀英区测试局" in page.locator("body").inner_text()
