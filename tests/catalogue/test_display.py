"""Detail pages read as the public page reads: closed lists by their labels, people by name."""

from __future__ import annotations

import re

from app.catalogue import services
from app.catalogue.models import ImplementationItem
from app.core.actor import actor_for_user
from app.core.models import AppUser
from app.extensions import db
from tests.catalogue import factories as f


def _text(html: str) -> str:
    html = re.sub(r"(?s)<script.*?</script>", "", html)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _row(text: str, label: str) -> str:
    match = re.search(rf"{label} (\S+)", text)
    assert match, label
    return match.group(1)


def test_item_detail_shows_handling_type_level_and_depth_labels(app, world, login):
    with app.app_context():
        row = f.item(world, published=True, handling_type="promised", online_depth="4")
        db.session.commit()
        pk = row.id
    page = login("county_coordinator").get(f"/implementationitemview/show/{pk}")
    text = _text(page.data.decode())
    assert _row(text, "办件类型") == "承诺件"
    assert _row(text, "行使层级") == "县级"
    assert _row(text, "网办深度") == "4"  # the label starts with its digit: 4 – 全程网办
    assert "全程网办" in text
    assert " promised " not in text


def test_adjustment_history_names_people_not_logins(app, world, login):
    with app.app_context():
        operator = db.session.query(AppUser).filter_by(username="unit_operator").one()
        operator.first_name = "李经办"
        row = f.item(world, published=True)
        actor = actor_for_user(operator)
        adjustment = services.create_adjustment(
            db.session,
            actor=actor,
            item=row,
            kind="change",
            ground="15.1",
            legal_basis="x",
            proposed_values={"promised_time_limit_days": 4},
        )
        services.submit(db.session, actor=actor, adjustment=adjustment, version=adjustment.version)
        db.session.commit()
        pk = adjustment.id
    page = login("county_coordinator").get(f"/adjustmentview/show/{pk}").data.decode()
    steps = re.search(r'(?s)<table[^>]*id="adjustment-steps".*?</table>', page).group(0)
    assert "李经办" in steps
    assert "unit_operator" not in steps


def test_item_of_another_county_stays_out_of_reach(app, world, login):
    with app.app_context():
        row = f.item(world, unit_key="haitang_market", published=True)
        db.session.commit()
        pk = row.id
    assert login("county_coordinator").get(f"/implementationitemview/show/{pk}").status_code == 404
    with app.app_context():
        assert db.session.get(ImplementationItem, pk) is not None


def test_filing_names_who_filed_by_name(app, world, login):
    from app.core.models import Region
    from app.core.unit_of_work import unit_of_work

    with app.app_context():
        coordinator = db.session.query(AppUser).filter_by(username="county_coordinator").one()
        coordinator.first_name = "王协调"
        f.item(world, published=True)
        db.session.commit()
        actor = actor_for_user(coordinator)
        with unit_of_work(db.session, actor):
            filing = services.file_list(
                db.session, actor=actor, region=db.session.get(Region, world.region("460105"))
            )
        pk = filing.id
    client = login("county_coordinator")
    listing = _text(client.get("/filingview/list/").data.decode())
    shown = _text(client.get(f"/filingview/show/{pk}").data.decode())
    for text in (listing, shown):
        assert "王协调" in text
        assert "county_coordinator" not in text.replace("county_coordinator2", "")
