"""The catalogue's tiles on the workbench: review queues with overdue and urgent counts within
reach, the proposer's returned requests and drafts, filings to acknowledge; each link opens."""

from __future__ import annotations

import datetime as dt
import re

from app.catalogue import services
from app.catalogue.models import BasicCatalogueEntry
from app.core.models import Region
from app.core.unit_of_work import unit_of_work
from app.extensions import db
from tests.catalogue import factories as f

D = dt.date


def _run(username, fn, **kwargs):
    actor = f.actor(username)
    record = kwargs.get("adjustment")
    if record is not None:
        kwargs.setdefault("version", record.version)
    with unit_of_work(db.session, actor):
        result = fn(db.session, actor=actor, **kwargs)
    db.session.commit()
    return result


def draft(world, username="unit_operator", unit_key="xiuying_market", **kwargs):
    """A draft change request of a new published item of ``unit_key``, by ``username``."""
    entry = f.basic_entry(code=f"4601050{db.session.query(BasicCatalogueEntry).count():05d}")
    row = f.item(world, unit_key=unit_key, entry=entry, published=True)
    db.session.commit()
    operator = f.actor(username)
    with unit_of_work(db.session, operator):
        adjustment = services.create_adjustment(
            db.session,
            actor=operator,
            item=row,
            kind="change",
            ground="15.4",
            legal_basis="《海南省政务服务事项目录管理办法》第十五条",
            proposed_values={"promised_time_limit_days": 5},
            **kwargs,
        )
    db.session.commit()
    return adjustment


def submitted(world, username="unit_operator", *, today=None, passed=False, **kwargs):
    adjustment = draft(world, username, **kwargs)
    _run(username, services.submit, adjustment=adjustment, today=today)
    if passed:
        _run("legal_reviewer", services.pass_legality, adjustment=adjustment)
    return adjustment


def _tile(page: str, key: str) -> str:
    match = re.search(rf'<a [^>]*id="todo-{key}" data-count="(\d+)"[^>]*>(.*?)</a>', page, re.S)
    assert match, f"no tile {key}"
    return match.group(1) + "|" + match.group(2)


def test_the_legal_reviewer_sees_the_legality_queue_with_overdue_and_urgent(app, world, login):
    with app.app_context():
        submitted(world, today=D(2026, 9, 28))  # due 29 September: long overdue
        submitted(world)
    client = login("legal_reviewer")
    page = client.get("/").get_data(as_text=True)
    tile = _tile(page, "adjustment-legality_review")
    assert tile.startswith("2|")
    assert "1 项已超期" in tile and "todo-overdue" in tile
    href = re.search(r'href="([^"]+)" id="todo-adjustment-legality_review"', page).group(1)
    queue = client.get(href)
    assert (
        queue.status_code == 200
        and queue.get_data(as_text=True).count("OVERDUE")
        + queue.get_data(as_text=True).count("已超期")
        >= 1
    )
    assert 'id="todo-adjustment-final_review"' not in page


def test_a_request_outside_the_reviewers_region_is_not_counted(app, world, login):
    with app.app_context():
        submitted(world, "unit_operator2", unit_key="haitang_market")
    page = login("legal_reviewer").get("/").get_data(as_text=True)
    assert _tile(page, "adjustment-legality_review").startswith("0|")
    admin = login("province_admin").get("/").get_data(as_text=True)
    assert 'id="todo-adjustment-legality_review"' not in admin


def test_the_province_admin_sees_final_reviews_and_filings_to_acknowledge(app, world, login):
    with app.app_context():
        submitted(world, passed=True)
        region = db.session.get(Region, world.region("460105"))
        _run("county_coordinator", services.file_list, region=region)
    client = login("province_admin")
    page = client.get("/").get_data(as_text=True)
    assert _tile(page, "adjustment-final_review").startswith("1|")
    assert _tile(page, "filing-filed").startswith("1|")
    href = re.search(r'href="([^"]+)" id="todo-filing-filed"', page).group(1)
    filings = client.get(href).get_data(as_text=True)
    assert "秀英区" in filings


def test_the_proposer_sees_only_their_own_returned_requests_and_drafts(app, world, login):
    with app.app_context():
        returned = submitted(world)
        _run("legal_reviewer", services.reject, adjustment=returned, reason="法律依据不全")
        returned_id = returned.id
        draft(world)
        draft(world, "county_coordinator")
    client = login("unit_operator")
    page = client.get("/").get_data(as_text=True)
    assert _tile(page, "adjustment-returned").startswith("1|")
    assert _tile(page, "adjustment-draft").startswith("1|")
    href = re.search(r'href="([^"]+)" id="todo-adjustment-returned"', page).group(1)
    listed = client.get(href.replace("&amp;", "&")).get_data(as_text=True)
    assert f"/adjustmentview/show/{returned_id}" in listed
    drafts = re.search(r'href="([^"]+)" id="todo-adjustment-draft"', page).group(1)
    assert (
        client.get(drafts.replace("&amp;", "&"))
        .get_data(as_text=True)
        .count("/adjustmentview/show/")
        == 1
    )  # the list the tile links to holds what the tile counts, not the coordinator's draft
    coordinator = login("county_coordinator").get("/").get_data(as_text=True)
    assert _tile(coordinator, "adjustment-draft").startswith("1|")
    assert _tile(coordinator, "adjustment-returned").startswith("0|")


def test_figures_show_items_by_status_to_the_coordinator_and_review_rate_to_reviewers(
    app, world, login
):
    with app.app_context():
        f.item(world, published=True)
        db.session.commit()
    coordinator = login("county_coordinator").get("/").get_data(as_text=True)
    assert 'id="figure-items-by-status"' in coordinator and "共 1 项" in coordinator
    assert 'id="figure-review-on-time"' not in coordinator
    reviewer = login("legal_reviewer").get("/").get_data(as_text=True)
    assert 'id="figure-review-on-time"' in reviewer
    other = login("county_coordinator2").get("/").get_data(as_text=True)
    assert "共 0 项" in other
