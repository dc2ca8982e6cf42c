"""The supervision tiles on the workbench: orders for the unit to answer, answers for the
supervisor to verify, overdue orders for the supervisor and the county's coordinator; each
counted within reach and linked to the queue listing exactly the counted orders."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from app.core.actor import system_actor
from app.core.unit_of_work import unit_of_work
from app.extensions import db
from app.supervision import services
from tests.catalogue.factories import basic_entry
from tests.supervision.factories import check_point, county_supervisor, findings, item, plan

SHANGHAI = dt.timezone(dt.timedelta(hours=8))


@pytest.fixture
def orders(app, world, clock):
    """Two orders to 秀英区市场监督管理局 issued on 2 March 2026: one still to rectify, one
    answered; the province's today is then 1 June 2026 (the first one overdue)."""
    with app.app_context():
        # Created on the real clock: created in March, their password would expire by June.
        county_supervisor(world, "sup_xiuying", "460105")
        county_supervisor(world, "sup_haitang", "460202")
    clock(dt.datetime(2026, 3, 2, 10, 0, tzinfo=SHANGHAI))
    with app.app_context():
        item(world, published=True)
        item(world, entry=basic_entry("460105001001", "食品生产许可"), published=True)
        row = plan(world, [check_point("elements_missing")])
        db.session.commit()
        with unit_of_work(db.session, system_actor()):
            services.run_checks(db.session, row.id, actor=system_actor())
        first, second = findings(row.id)
        with unit_of_work(db.session, system_actor()):
            issued = services.issue_order(db.session, first.id, version=None, actor=system_actor())
            answered = services.issue_order(
                db.session, second.id, version=None, actor=system_actor()
            )
            services.answer_order(
                db.session, answered.id, measures="已整改", version=None, actor=system_actor()
            )
        ids = {"issued": issued.id, "answered": answered.id}
    clock(dt.datetime(2026, 6, 1, 10, 0, tzinfo=SHANGHAI))
    return ids


def _tile(page: str, key: str) -> re.Match[str] | None:
    return re.search(rf'<a ([^>]*)id="todo-{key}" data-count="(\d+)"[^>]*>(.*?)</a>', page, re.S)


def _queue_rows(client, url: str) -> list[int]:
    page = client.get(url).get_data(as_text=True)
    return [int(n) for n in re.findall(r"<td>#(\d+)</td>", page)]


def test_the_unit_sees_its_orders_to_answer_overdue_in_red_and_opens_exactly_them(orders, login):
    client = login("unit_operator")
    page = client.get("/").get_data(as_text=True)
    tile = _tile(page, "supervision-to-answer")
    assert tile and tile.group(2) == "1"
    assert "list-group-item-danger" in tile.group(1) and "已超期" in tile.group(3)
    url = re.search(r'href="([^"]+)"', tile.group(1)).group(1).replace("&amp;", "&")
    assert _queue_rows(client, url) == [orders["issued"]]
    assert "todo-supervision-to-verify" not in page


def test_another_countys_unit_counts_no_order_to_answer(orders, login):
    page = login("unit_operator2").get("/").get_data(as_text=True)
    tile = _tile(page, "supervision-to-answer")
    assert tile and tile.group(2) == "0"


def test_the_supervisor_sees_answers_to_verify_and_overdue_orders_and_opens_exactly_them(
    orders, login
):
    client = login("sup_xiuying")
    page = client.get("/").get_data(as_text=True)
    verify = _tile(page, "supervision-to-verify")
    overdue = _tile(page, "supervision-overdue")
    assert verify and verify.group(2) == "1" and "list-group-item-danger" not in verify.group(1)
    assert overdue and overdue.group(2) == "1" and "list-group-item-danger" in overdue.group(1)
    verify_url = re.search(r'href="([^"]+)"', verify.group(1)).group(1)
    overdue_url = re.search(r'href="([^"]+)"', overdue.group(1)).group(1)
    assert _queue_rows(client, verify_url) == [orders["answered"]]
    assert _queue_rows(client, overdue_url) == [orders["issued"]]
    # Most urgent first: the overdue tile above the answers to verify.
    assert page.index("todo-supervision-overdue") < page.index("todo-supervision-to-verify")


def test_another_countys_supervisor_counts_nothing_and_lists_nothing(orders, login):
    client = login("sup_haitang")
    page = client.get("/").get_data(as_text=True)
    for key in ("supervision-to-verify", "supervision-overdue"):
        tile = _tile(page, key)
        assert tile and tile.group(2) == "0", key
    assert _queue_rows(client, "/rectificationorderview/queue/?overdue=1") == []
    assert _queue_rows(client, "/rectificationorderview/queue/?state=answered") == []


def test_the_county_coordinator_sees_the_countys_overdue_orders(orders, login):
    client = login("county_coordinator")
    page = client.get("/").get_data(as_text=True)
    tile = _tile(page, "supervision-overdue")
    assert tile and tile.group(2) == "1"
    assert _queue_rows(client, "/rectificationorderview/queue/?overdue=1") == [orders["issued"]]
    assert "todo-supervision-to-verify" not in page
    other = login("county_coordinator2").get("/").get_data(as_text=True)
    tile = _tile(other, "supervision-overdue")
    assert tile and tile.group(2) == "0"


def test_the_queue_ignores_an_unknown_state_filter(orders, login):
    client = login("sup_xiuying")
    rows = _queue_rows(client, "/rectificationorderview/queue/?state=bogus")
    assert sorted(rows) == sorted(orders.values())


def test_roles_without_supervision_orders_get_no_supervision_tile(orders, login):
    page = login("legal_reviewer").get("/").get_data(as_text=True)
    assert "todo-supervision" not in page
