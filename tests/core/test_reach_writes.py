"""The flush-time reach check judges a row as it will be written (relationships included), and
the deny-by-default branches of reach.py."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import true

from app.core.actor import Actor, system_actor
from app.core.errors import OutOfReach
from app.core.models import AppUser, ReachRule, Region, Unit
from app.core.reach import Reach, ReachInterface, current_reach
from app.core.states import ReachKind
from app.core.unit_of_work import unit_of_work
from app.extensions import db
from tests.factories import PASSWORD

CUSTOM_ROLE = "单位信息维护员"


def _coordinator_of(region: Region) -> Actor:
    return Actor(
        user_id=None,
        username="coordinator",
        reach=Reach(ReachKind.REGION, region_path=region.path),
    )


def _unit_reach_of(unit: Unit) -> Actor:
    return Actor(
        user_id=None,
        username="unit-user",
        reach=Reach(ReachKind.UNIT, region_path=unit.region.path, unit_id=unit.id),
    )


# -- service / ORM level -----------------------------------------------------------------------


def test_assigning_the_relationship_cannot_move_a_unit_out_of_reach(world, ctx):
    xiuying = db.session.get(Region, world.region("460105"))
    with unit_of_work(db.session, _coordinator_of(xiuying)):
        unit = db.session.get(Unit, world.unit("xiuying_edu"))
        assert unit.region_id == xiuying.id  # loaded: the column will look unchanged
        unit.region = db.session.get(Region, world.region("460202"))
        with pytest.raises(OutOfReach):
            db.session.flush()
        db.session.rollback()
        assert db.session.get(Unit, world.unit("xiuying_edu")).region_id == xiuying.id
        # Nor pulled in: the old owner (海棠区) counts too.
        other = db.session.get(Unit, world.unit("haitang_market"))
        other.region = xiuying
        with pytest.raises(OutOfReach):
            db.session.flush()
        db.session.rollback()
        # Within the county (to its township) the move goes through.
        unit = db.session.get(Unit, world.unit("xiuying_edu"))
        unit.region = db.session.get(Region, world.region("460105001"))
        db.session.commit()
    assert db.session.get(Unit, world.unit("xiuying_edu")).region_id == world.region("460105001")


def test_a_unit_reach_user_cannot_move_their_own_unit_to_another_county(world, ctx):
    own = db.session.get(Unit, world.unit("xiuying_market"))
    with unit_of_work(db.session, _unit_reach_of(own)):
        own.region = db.session.get(Region, world.region("460202"))
        with pytest.raises(OutOfReach):
            db.session.flush()
        db.session.rollback()
        own = db.session.get(Unit, world.unit("xiuying_market"))
        own.region_id = world.region("460202")
        with pytest.raises(OutOfReach):
            db.session.flush()
        db.session.rollback()


def _entry(unit_key: str, world: Any, name: str, number: str = "001") -> Any:
    from app.licences.models import LicenceEntry

    unit = db.session.get(Unit, world.unit(unit_key))
    entry = LicenceEntry(
        name=name,
        type_code=unit.credit_code + number,
        issuing_unit=unit,
        region_id=unit.region_id,
    )
    db.session.add(entry)
    return entry


def test_a_child_row_cannot_be_moved_to_an_out_of_reach_parent_by_its_foreign_key(world, ctx):
    """A rule ``via`` a relationship: setting the foreign key leaves the relationship stale."""
    from app.licences.models import LicenceFaceField

    mine = _entry("xiuying_market", world, "甲证")
    theirs = _entry("haitang_market", world, "乙证", "002")
    field = LicenceFaceField(entry=mine, position=1, name="姓名", data_type="text")
    db.session.add(field)
    db.session.commit()
    field_id, theirs_id = field.id, theirs.id
    with unit_of_work(db.session, _coordinator_of(db.session.get(Region, world.region("460105")))):
        field = db.session.get(LicenceFaceField, field_id)
        assert field.entry is not None  # loaded, so stale after the key changes
        field.entry_id = theirs_id
        with pytest.raises(OutOfReach):
            db.session.flush()
        db.session.rollback()


# -- the API reproduction of the assessor's finding ------------------------------------------


@contextmanager
def _custom_unit_writer(app: Any, world: Any) -> Iterator[str]:
    """A user with a custom role (not one of the code's roles: unit reach) that may write
    units, in 秀英区 at 秀英区市场监督管理局."""
    from app.extensions import appbuilder

    sm = appbuilder.sm
    with app.app_context():
        role = sm.add_role(CUSTOM_ROLE)
        for permission in ("can_read", "can_write"):
            role.permissions.append(sm.find_permission_view_menu(permission, "Units"))
        user = sm.add_user(
            username="unit_keeper",
            first_name="unit_keeper",
            last_name="",
            email="unit_keeper@test.example",
            role=[role],
            password=PASSWORD,
        )
        user = db.session.get(AppUser, user.id)
        user.region_id = world.region("460105")
        user.unit_id = world.unit("xiuying_market")
        db.session.commit()
    try:
        yield "unit_keeper"
    finally:
        with app.app_context():
            user = db.session.query(AppUser).filter_by(username="unit_keeper").one()
            user.roles = []
            db.session.commit()
            role = sm.find_role(CUSTOM_ROLE)
            role.permissions = []
            db.session.delete(role)
            db.session.commit()


def test_api_put_of_the_region_relationship_cannot_move_a_unit_out_of_reach(world, api_token, app):
    client = app.test_client()
    unit_id = world.unit("xiuying_market")
    with _custom_unit_writer(app, world) as username:
        headers = api_token(username)
        assert client.get(f"/api/v1/unit/{unit_id}", headers=headers).status_code == 200
        response = client.put(
            f"/api/v1/unit/{unit_id}",
            headers=headers,
            json={"region": world.region("460202"), "version": 1},
        )
        assert response.status_code == 404, response.get_data(as_text=True)
        with app.app_context():
            assert db.session.get(Unit, unit_id).region_id == world.region("460105")
        # A change that keeps the unit where it is still goes through.
        response = client.put(
            f"/api/v1/unit/{unit_id}",
            headers=headers,
            json={"liaison_name": "张三", "version": 1},
        )
        assert response.status_code == 200, response.get_data(as_text=True)


def test_api_put_by_a_coordinator_with_write_moves_units_only_within_the_county(
    world, api_token, app
):
    from app.core import roles
    from app.extensions import appbuilder

    with app.app_context():
        role = appbuilder.sm.find_role(roles.COUNTY_COORDINATOR)
        role.permissions.append(appbuilder.sm.find_permission_view_menu("can_write", "Units"))
        db.session.commit()
    try:
        client = app.test_client()
        headers = api_token("county_coordinator")
        unit_id = world.unit("xiuying_edu")
        refused = client.put(
            f"/api/v1/unit/{unit_id}",
            headers=headers,
            json={"region": world.region("460202"), "version": 1},
        )
        assert refused.status_code == 404
        moved = client.put(
            f"/api/v1/unit/{unit_id}",
            headers=headers,
            json={"region": world.region("460105001"), "version": 1},
        )
        assert moved.status_code == 200, moved.get_data(as_text=True)
        with app.app_context():
            assert db.session.get(Unit, unit_id).region_id == world.region("460105001")
    finally:
        with app.app_context():
            role = appbuilder.sm.find_role(roles.COUNTY_COORDINATOR)
            role.permissions = [
                p
                for p in role.permissions
                if not (p.permission.name == "can_write" and p.view_menu.name == "Units")
            ]
            db.session.commit()


# -- deny by default ---------------------------------------------------------------------------


class _Role:
    def __init__(self, name: str) -> None:
        self.name = name


class _User:
    def __init__(self, role: str | None, region: Any = None, unit: Any = None) -> None:
        self.roles = [_Role(role)] if role else []
        self.region = region
        self.unit = unit


class _Unruly:
    """A model whose rule names neither a region nor a unit."""

    __reach__ = ReachRule()


def test_users_without_an_anchor_reach_nothing(world, ctx):
    from app.core import roles

    xiuying = db.session.get(Region, world.region("460105"))
    assert Reach.for_user(_User(roles.COUNTY_COORDINATOR)) == Reach.nothing()
    assert Reach.for_user(_User(roles.UNIT_OPERATOR, region=xiuying)) == Reach.nothing()
    assert Reach.for_user(_User(None)) == Reach.nothing()
    assert Reach.for_user(_User(roles.SYS_ADMIN)).is_unrestricted
    unit = db.session.get(Unit, world.unit("xiuying_market"))
    # A unit user's region comes from the unit when the user has none.
    assert Reach.for_user(_User(roles.COUNTY_COORDINATOR, unit=unit)).region_path == xiuying.path


def test_nothing_reach_reads_and_writes_nothing(world, ctx):
    nothing = Reach.nothing()
    assert db.session.query(Unit).filter(nothing.criterion(Unit)).count() == 0
    assert not nothing.allows(db.session.get(Unit, world.unit("xiuying_market")), db.session)
    with unit_of_work(db.session, Actor(user_id=None, username="nobody", reach=Reach.nothing())):
        assert current_reach() == Reach.nothing()
        unit = db.session.get(Unit, world.unit("xiuying_market"))
        unit.liaison_name = "x"
        with pytest.raises(OutOfReach):
            db.session.flush()
        db.session.rollback()


def test_a_rule_without_region_or_unit_denies(world, ctx):
    reach = Reach(ReachKind.REGION, region_path="/460000/")
    assert str(reach.criterion(_Unruly)) == str(~true())
    assert not reach.allows(_Unruly(), db.session)
    unit_reach = Reach(ReachKind.UNIT, region_path="/460000/", unit_id=1)
    assert not unit_reach.allows(_Unruly(), db.session)


def test_a_row_without_a_region_is_out_of_a_region_reach(world, ctx):
    reach = Reach(ReachKind.REGION, region_path=db.session.get(Region, world.region("460105")).path)
    assert not reach.allows(Unit(name="无区划", credit_code="x"), db.session)
    assert not reach.allows(Unit(name="无区划", credit_code="x", region_id=-1), db.session)


def test_a_related_filter_value_that_is_no_key_matches_nothing(world, ctx):
    from app.licences.models import LicenceFaceField

    interface = ReachInterface(LicenceFaceField)
    with unit_of_work(db.session, Actor(user_id=None, username="all", reach=Reach.unrestricted())):
        assert interface.get_related_obj("entry", "not-a-number") is None
        assert interface.get_related_obj("entry", ["1", "2"]) is None


# -- owned rows, unit reach, parents and regions -----------------------------------------------


def test_deadlines_are_in_reach_where_the_row_pointing_at_them_is(world, ctx):
    from sqlalchemy import select

    from app.core.models import Deadline
    from app.licences.models import LicenceObjection
    from tests.licences.factories import make_entry, make_objection

    with unit_of_work(db.session, system_actor()):
        own = make_objection(make_entry(world.unit("xiuying_market"), state="approved"))
        province = make_objection(make_entry(world.unit("province"), number=2, state="approved"))
    own_deadlines = {
        db.session.get(LicenceObjection, own).mark_deadline_id,
        db.session.get(LicenceObjection, own).verify_deadline_id,
    }
    province_deadline = db.session.get(LicenceObjection, province).mark_deadline
    xiuying = db.session.get(Region, world.region("460105"))
    reach = Reach(ReachKind.REGION, region_path=xiuying.path)
    visible = set(db.session.scalars(reach.scope(select(Deadline.id), Deadline)).all())
    assert visible == own_deadlines
    assert not reach.allows(province_deadline, db.session)
    assert reach.allows(db.session.get(Deadline, min(own_deadlines)), db.session)
    assert Reach.unrestricted().criterion(Deadline) is None
    # A new deadline is judged with the row that will point at it, in the same flush.
    assert reach.allows(Deadline(purpose="x", working_days=1), db.session)
    with unit_of_work(db.session, _coordinator_of(xiuying)):
        province_deadline = db.session.get(Deadline, province_deadline.id)
        province_deadline.working_days = 9
        with pytest.raises(OutOfReach):
            db.session.flush()
        db.session.rollback()


def test_a_unit_reach_user_writes_only_rows_of_their_own_unit(world, ctx):
    from app.licences.models import LicenceEntry

    with unit_of_work(db.session, system_actor()):
        mine = _entry("xiuying_market", world, "甲证")
        theirs = _entry("xiuying_edu", world, "乙证", "002")
        db.session.commit()
    mine_id, theirs_id = mine.id, theirs.id
    own_unit = db.session.get(Unit, world.unit("xiuying_market"))
    with unit_of_work(db.session, _unit_reach_of(own_unit)):
        theirs = db.session.get(LicenceEntry, theirs_id)
        theirs.name = "改名"
        with pytest.raises(OutOfReach):
            db.session.flush()
        db.session.rollback()
        # Handing one's own entry to the other unit through the relationship …
        mine = db.session.get(LicenceEntry, mine_id)
        mine.issuing_unit = db.session.get(Unit, world.unit("xiuying_edu"))
        with pytest.raises(OutOfReach):
            db.session.flush()
        db.session.rollback()
        # … or taking the other unit's entry over: its stored unit counts.
        theirs = db.session.get(LicenceEntry, theirs_id)
        theirs.issuing_unit = db.session.get(Unit, world.unit("xiuying_market"))
        with pytest.raises(OutOfReach):
            db.session.flush()
        db.session.rollback()


def test_a_child_row_cannot_be_taken_from_an_out_of_reach_parent(world, ctx):
    from app.licences.models import LicenceFaceField

    with unit_of_work(db.session, system_actor()):
        mine = _entry("xiuying_market", world, "甲证")
        theirs = _entry("haitang_market", world, "乙证", "002")
        field = LicenceFaceField(entry=theirs, position=1, name="姓名", data_type="text")
        db.session.add(field)
        db.session.commit()
    field_id, mine_id = field.id, mine.id
    with unit_of_work(db.session, _coordinator_of(db.session.get(Region, world.region("460105")))):
        from app.licences.models import LicenceEntry

        field = db.session.get(LicenceFaceField, field_id)
        field.entry = db.session.get(LicenceEntry, mine_id)
        with pytest.raises(OutOfReach):
            db.session.flush()
        db.session.rollback()


def test_regions_are_written_within_the_subtree_only(world, ctx):
    xiuying = db.session.get(Region, world.region("460105"))
    with unit_of_work(db.session, _coordinator_of(xiuying)):
        db.session.get(Region, world.region("460105001")).name = "秀英街道办"
        db.session.commit()
        db.session.get(Region, world.region("460202")).name = "改名"
        with pytest.raises(OutOfReach):
            db.session.flush()
        db.session.rollback()


def test_a_related_filter_value_is_found_only_within_the_related_list(world, ctx):
    from app.licences.models import LicenceUsageApplication

    with unit_of_work(db.session, system_actor()):
        draft = _entry("haitang_market", world, "草稿证").id
        published = _entry("haitang_market", world, "公开证", "002")
        published.state = "approved"
        db.session.commit()
        published = published.id
    interface = ReachInterface(LicenceUsageApplication)
    with unit_of_work(
        db.session, _unit_reach_of(db.session.get(Unit, world.unit("xiuying_market")))
    ):
        assert (
            interface.get_related_obj("applicant_unit", str(world.unit("haitang_market"))) is None
        )
        assert interface.get_related_obj("applicant_unit", str(world.unit("xiuying_market")))
        assert interface.get_related_obj("entry", str(draft)) is None
        assert interface.get_related_obj("entry", [str(published)]).id == published
