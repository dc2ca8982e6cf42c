"""Supervision in a real browser: a county plan → its automatic checks run as a job → a finding
→ a rectification order → the unit answers from its queue → the supervisor accepts."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.e2e

UNIT = "海口市秀英区市场监督管理局"


def _select(page, name: str, pattern: str) -> None:
    values = page.eval_on_selector_all(
        f"select[name={name}] option",
        f"els => els.filter(e => /{pattern}/.test(e.textContent)).map(e => e.value)",
    )
    assert values, (name, pattern)
    page.select_option(f"select[name={name}]", values)


def test_plan_run_finding_order_answer_accept(sign_in, sign_out, page):
    sign_in("supervisor")
    page.goto("/checkplanview/add")
    page.fill("input[name=name]", "E2E 秀英区网上督查")
    page.select_option("select[name=kind]", "online")
    page.fill("input[name=period_start]", "2026-01-01")
    page.fill("input[name=period_end]", "2027-12-31")
    _select(page, "regions", "秀英区")
    _select(page, "check_points", "DEMO-JC-(01|11)")
    page.click("button[type=submit], input[type=submit]")
    page.wait_for_load_state("networkidle")
    page.goto("/checkplanview/list/?_flt_0_name=E2E")
    page.click("a[href*='/checkplanview/show/']")
    page.wait_for_load_state("networkidle")
    plan_url = page.url

    page.click("#plan-run-button")
    page.wait_for_selector("#plan-last-run", timeout=90_000)  # the job; the page reloads
    assert "新发现问题" in page.locator("#plan-last-run").inner_text()

    page.select_option("select[name=unit_id]", label=UNIT)
    page.fill("input[name=subject]", "E2E 窗口未公示办事指南")
    page.fill("textarea[name=detail]", "实地检查发现")
    page.click("#finding-record button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "E2E 窗口未公示办事指南" in page.locator("#finding-detail").inner_text()

    page.fill("input[name=working_days]", "5")
    page.click("#finding-issue-order button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert page.locator("#order-state").inner_text() == "待整改"
    order_url = page.url
    sign_out()

    sign_in("unit_operator")
    page.goto("/rectificationorderview/queue/")
    assert "E2E 窗口未公示办事指南" in page.locator("#order-queue").inner_text()
    page.goto(order_url)
    page.fill("#order-answer textarea[name=note]", "已在窗口公示最新版办事指南")
    page.click("#order-answer button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert page.locator("#order-state").inner_text() == "待核实"
    sign_out()

    sign_in("supervisor")
    page.goto(order_url)
    page.click("#order-accept button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert page.locator("#order-state").inner_text() == "已办结"
    steps = page.locator("#order-steps").inner_text()
    assert "已在窗口公示最新版办事指南" in steps
    page.goto(plan_url)
    assert "E2E 窗口未公示办事指南" in page.locator("#plan-findings").inner_text()
