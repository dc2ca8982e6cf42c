"""Each role's workbench in a real browser on the demo province: log in, the to-dos are there with
the count of what their page lists, follow one to its page. A screenshot of every role's
workbench goes to $WORKBENCH_SCREENS (default /work/screens) when that folder can be written."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

SCREENS = Path(os.environ.get("WORKBENCH_SCREENS", "/work/screens"))

# role → (tile, how to count the rows of the page it links to: a FAB list's rows each have one
# show link)
FOLLOW = {
    "province_admin": ("adjustment-final_review", "#queue tr:has(td)"),
    # (Its account requests are approved by test_accounts on the same server.)
    "county_coordinator": ("licence-rejected", "a[href*='/licenceentryview/show/']"),
    "unit_operator": ("adjustment-returned", "a[href*='/adjustmentview/show/']"),
    "legal_reviewer": ("adjustment-legality_review", "#queue tr:has(td)"),
    "licence_reviewer": ("licence-applications", "#queue-applications a.btn-primary"),
    "licence_reviewer2": ("licence-registrations", "#queue-entries a.btn-primary"),
}


def _screenshot(page, username: str) -> None:
    try:
        SCREENS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENS / f"workbench-{username}.png"), full_page=True)
    except OSError:  # a read-only place: the screenshot is a by-product, not the test
        pass


@pytest.mark.parametrize("username", sorted(FOLLOW))
def test_the_workbench_counts_what_the_linked_page_lists(sign_in, page, username):
    sign_in(username)
    assert page.locator("#todos").is_visible()
    _screenshot(page, username)
    key, rows = FOLLOW[username]
    tile = page.locator(f"#todo-{key}")
    count = int(tile.get_attribute("data-count"))
    assert count > 0, f"the demo has nothing for {username}'s {key}"
    with page.expect_navigation():
        tile.click()
    page.wait_for_load_state("networkidle")
    assert page.locator(rows).count() == count


def test_an_overdue_to_do_is_red_with_how_long(sign_in, page):
    sign_in("licence_reviewer")
    overdue = page.locator("#todos .list-group-item-danger")
    assert overdue.count() >= 1
    assert "已超期" in overdue.first.inner_text()
    assert "个工作日" in overdue.first.inner_text()


def test_the_own_units_registration_is_left_to_the_other_reviewer(sign_in, page):
    sign_in("licence_reviewer")
    assert "须由其他审核员审核" in page.locator("#todo-licence-registrations").inner_text()
    page.goto("/licencereview/queue/")
    assert page.locator("#queue-entries .review-by-other").count() >= 1


def test_the_supervisor_sees_the_demos_overdue_orders_in_red(sign_in, page):
    sign_in("supervisor")
    tile = page.locator("#todo-supervision-overdue")
    assert int(tile.get_attribute("data-count")) >= 1
    assert "list-group-item-danger" in (tile.get_attribute("class") or "")
    _screenshot(page, "supervisor")


@pytest.mark.parametrize("username", ["window_staff", "sys_admin", "security_admin", "audit_admin"])
def test_roles_without_queues_get_a_calm_workbench(sign_in, page, username):
    sign_in(username)
    assert page.locator("#welcome").is_visible()
    assert page.locator("#todos .list-group-item-danger").count() == 0
    _screenshot(page, username)
