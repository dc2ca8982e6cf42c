"""The accounts tile on the workbench: requests waiting for the region coordinator."""

from __future__ import annotations

import re

from tests.accounts.factories import file_new


def test_the_coordinator_sees_pending_requests_of_the_region_and_opens_them(app, world, login):
    file_new(app, world)
    client = login("county_coordinator")
    page = client.get("/").get_data(as_text=True)
    assert re.search(r'id="todo-account-requests" data-count="1"', page)
    href = re.search(r'href="([^"]+)" id="todo-account-requests"', page).group(1)
    assert "wang_wei" in client.get(href).get_data(as_text=True)
    other = login("county_coordinator2").get("/").get_data(as_text=True)
    assert re.search(r'id="todo-account-requests" data-count="0"', other)
    operator = login("unit_operator").get("/").get_data(as_text=True)
    assert "todo-account-requests" not in operator
