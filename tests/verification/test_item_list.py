"""Each unit's 免证办 item list (seed 003 art. 9, 11 (三)): kept by the unit's operator, filed
with the office (snapshot and hash), acknowledged or returned; scoped by reach."""

from __future__ import annotations

import json

import pytest

from app.core.errors import Forbidden, InvalidTransition, OutOfReach, ValidationError
from app.extensions import db
from app.verification import item_list
from tests.catalogue.factories import basic_entry
from tests.catalogue.factories import item as make_item
from tests.verification.factories import actor


@pytest.fixture
def own_item(setup, ctx):
    return make_item(setup, "xiuying_market", basic_entry(code="460105077777"), published=True)


def _add(item_id, name="营业执照", by="unit_operator"):
    return item_list.add_entry(
        db.session, item_id=item_id, material_kind="licence", material_name=name, actor=actor(by)
    )


def test_operator_keeps_the_units_list_and_files_it_with_a_hash(setup, own_item):
    _add(own_item.id, "营业执照")
    _add(own_item.id, "食品经营许可批复")
    filing = item_list.file_list(db.session, note="首次备案", actor=actor("unit_operator"))
    db.session.flush()
    assert filing.state == "filed" and filing.row_count == 2
    assert len(filing.content_hash) == 64
    rows = json.loads(filing.snapshot)
    assert [r["material_name"] for r in rows] == ["营业执照", "食品经营许可批复"]


def test_another_units_item_cannot_be_listed(setup, ctx):
    other = make_item(setup, "longhua_market", basic_entry(code="460106077777"), published=True)
    with pytest.raises(OutOfReach):
        _add(other.id)


def test_duplicate_line_and_empty_name_are_refused(setup, own_item):
    _add(own_item.id)
    with pytest.raises(ValidationError):
        _add(own_item.id)
    with pytest.raises(ValidationError):
        _add(own_item.id, " ")


def test_window_staff_do_not_keep_the_list(setup, own_item):
    with pytest.raises(Forbidden):
        _add(own_item.id, by="window_staff")


def test_empty_list_and_a_second_filing_while_one_waits_are_refused(setup, own_item):
    with pytest.raises(ValidationError):
        item_list.file_list(db.session, actor=actor("unit_operator"))
    _add(own_item.id)
    item_list.file_list(db.session, actor=actor("unit_operator"))
    db.session.flush()
    with pytest.raises(InvalidTransition):
        item_list.file_list(db.session, actor=actor("unit_operator"))


def test_region_coordinator_acknowledges_or_returns_with_a_reason(setup, own_item):
    _add(own_item.id)
    filing = item_list.file_list(db.session, actor=actor("unit_operator"))
    db.session.flush()
    with pytest.raises(ValidationError):
        item_list.decide_filing(
            db.session, filing.id, acknowledge=False, version=filing.version,
            actor=actor("county_coordinator"),
        )  # fmt: skip
    with pytest.raises(OutOfReach):
        item_list.decide_filing(
            db.session, filing.id, acknowledge=True, version=filing.version,
            actor=actor("county_coordinator2"),
        )  # fmt: skip
    with pytest.raises(Forbidden):
        item_list.decide_filing(
            db.session, filing.id, acknowledge=True, version=filing.version,
            actor=actor("unit_operator"),
        )  # fmt: skip
    item_list.decide_filing(
        db.session, filing.id, acknowledge=True, version=filing.version,
        actor=actor("county_coordinator"),
    )  # fmt: skip
    assert filing.state == "acknowledged"


def test_list_pages_scoped_and_removal_asks_first(app, setup, login):
    with app.app_context():
        row = make_item(setup, "xiuying_market", basic_entry(code="460105088888"), published=True)
        entry = _add(row.id)
        db.session.commit()
        entry_id = entry.id
    client = login("unit_operator")
    assert "营业执照" in client.get("/verificationlist/list/").get_data(as_text=True)
    assert client.get(f"/verificationlist/remove/{entry_id}").status_code == 200
    assert login("unit_operator2").get(f"/verificationlist/remove/{entry_id}").status_code == 404
    assert client.post("/verificationlist/file/").status_code == 302
    page = login("county_coordinator").get("/verificationlist/list/").get_data(as_text=True)
    assert "营业执照" in page and "list-filings" in page
    assert "营业执照" not in login("county_coordinator2").get("/verificationlist/list/").get_data(
        as_text=True
    )
    assert client.post(f"/verificationlist/remove/{entry_id}").status_code == 302
    from app.verification.models import FreeListEntry

    with app.app_context():
        assert db.session.get(FreeListEntry, entry_id) is None
    assert login("window_staff").get("/verificationlist/list/").status_code in (302, 403)
