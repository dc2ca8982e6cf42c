"""The verification tiles on the workbench: requests to the issuing unit to verify or return
(time left in office minutes, overdue in red) and the window's returned requests to send on;
each counted on the unit's own side of the request and linked to the queue listing exactly
the counted requests."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from app.extensions import db
from tests.verification.factories import CST, actor, ask, published_item


@pytest.fixture
def ids(app, setup, clock):
    """At 10:00 on Monday 2 March 2026 the window of 秀英区市场监督管理局 asks 秀英区教育局
    three times (general requests: 30 office minutes to verify); 教育局 returns the third."""
    from app.verification import services

    with app.app_context():
        item = published_item(setup)
        first = ask(setup, item.id, case_no="AJ-1")
        second = ask(setup, item.id, case_no="AJ-2")
        third = ask(setup, item.id, case_no="AJ-3")
        services.return_request(
            db.session,
            third.id,
            reason="非本单位出具",
            version=third.version,
            actor=actor("edu_operator"),
        )
        db.session.commit()
        return {"pending": [first.id, second.id], "returned": third.id}


def _tile(page: str, key: str) -> re.Match[str] | None:
    return re.search(rf'<a ([^>]*)id="todo-{key}" data-count="(\d+)"[^>]*>(.*?)</a>', page, re.S)


def _href(tile: re.Match[str]) -> str:
    return re.search(r'href="([^"]+)"', tile.group(1)).group(1).replace("&amp;", "&")


def _queue_rows(client, url: str) -> list[int]:
    page = client.get(url).get_data(as_text=True)
    return sorted(int(n) for n in re.findall(r"<td>#(\d+)</td>", page))


def test_the_issuing_unit_sees_its_requests_with_the_office_minutes_left(app, ids, clock, login):
    clock(dt.datetime(2026, 3, 2, 10, 10, tzinfo=CST))
    client = login("edu_operator")
    page = client.get("/").get_data(as_text=True)
    tile = _tile(page, "verification-to-answer")
    assert tile and tile.group(2) == "2"
    assert "list-group-item-danger" not in tile.group(1)
    assert "2026-03-02 10:30" in tile.group(3) and "20 个工作分钟" in tile.group(3)
    assert _queue_rows(client, _href(tile)) == ids["pending"]
    assert "outgoing-queue" not in client.get(_href(tile)).get_data(as_text=True)


def test_requests_past_their_time_show_in_red_with_the_lateness_in_hours(app, ids, clock, login):
    clock(dt.datetime(2026, 3, 2, 11, 45, tzinfo=CST))
    page = login("edu_window").get("/").get_data(as_text=True)
    tile = _tile(page, "verification-to-answer")
    assert tile and tile.group(2) == "2"
    assert "list-group-item-danger" in tile.group(1)
    assert "2 项已超期" in tile.group(3) and "1 个工作小时 15 分钟" in tile.group(3)


def test_units_on_another_side_or_in_another_county_count_no_request_to_answer(
    app, ids, clock, login
):
    clock(dt.datetime(2026, 3, 2, 10, 10, tzinfo=CST))
    # The approving unit sees the requests within its reach, but they are not its to answer;
    # the requesting window neither; 海棠区 not at all.
    for username in ("longhua_operator", "window_staff", "haitang_window"):
        client = login(username)
        tile = _tile(client.get("/").get_data(as_text=True), "verification-to-answer")
        assert tile and tile.group(2) == "0", username
        assert _queue_rows(client, "/verificationrequestview/queue/?side=incoming") == []


def test_the_requesting_window_sees_its_returned_requests_and_opens_exactly_them(app, ids, login):
    client = login("window_staff")
    tile = _tile(client.get("/").get_data(as_text=True), "verification-returned")
    assert tile and tile.group(2) == "1"
    assert _queue_rows(client, _href(tile)) == [ids["returned"]]
    for username in ("edu_window", "haitang_window"):
        client = login(username)
        tile = _tile(client.get("/").get_data(as_text=True), "verification-returned")
        assert tile and tile.group(2) == "0", username
        url = "/verificationrequestview/queue/?side=outgoing&state=returned"
        assert _queue_rows(client, url) == []


def test_roles_outside_the_requests_get_no_verification_tile(app, ids, login):
    page = login("county_coordinator").get("/").get_data(as_text=True)
    assert "todo-verification" not in page


@pytest.fixture
def delivered(app, ids, clock, request):
    """教育局 verifies the first request: its result waits for the window. (Each test delivers
    at its own minute: the audit log, which says what was opened, outlives a test.)"""
    from app.verification import services
    from tests.verification.factories import PDF

    minute = 10 + list(request.module.__dict__).index(request.function.__name__) % 40
    clock(dt.datetime(2026, 3, 2, 10, minute, tzinfo=CST))
    with app.app_context():
        first = ids["pending"][0]
        result = services.verify(
            db.session,
            first,
            filename="结果.pdf",
            content=PDF,
            version=services.load_request(db.session, first, actor=actor("edu_operator")).version,
            actor=actor("edu_operator"),
        )
        db.session.commit()
        return {"request": first, "voucher": result.voucher_no, "case": result.case_no}


def test_the_window_sees_results_to_open_until_it_opens_them(app, delivered, login):
    client = login("window_staff")
    tile = _tile(client.get("/").get_data(as_text=True), "verification-results")
    assert tile and tile.group(2) == "1"
    assert _queue_rows(client, _href(tile)) == [delivered["request"]]
    url = f"/verificationrequestview/result/{delivered['voucher']}/{delivered['case']}"
    assert client.get(url).status_code == 200
    tile = _tile(client.get("/").get_data(as_text=True), "verification-results")
    assert tile and tile.group(2) == "0"
    assert _queue_rows(client, _href(tile)) == []


def test_the_approving_units_reading_leaves_the_windows_result_to_open(app, delivered, login):
    url = f"/verificationrequestview/result/{delivered['voucher']}/{delivered['case']}"
    assert login("longhua_operator").get(url).status_code == 200
    tile = _tile(login("window_staff").get("/").get_data(as_text=True), "verification-results")
    assert tile and tile.group(2) == "1"


def test_other_windows_count_no_result_to_open(app, delivered, login):
    for username in ("edu_window", "haitang_window"):
        client = login(username)
        tile = _tile(client.get("/").get_data(as_text=True), "verification-results")
        assert tile and tile.group(2) == "0", username
        url = "/verificationrequestview/queue/?side=outgoing&state=verified&unopened=1"
        assert _queue_rows(client, url) == []
