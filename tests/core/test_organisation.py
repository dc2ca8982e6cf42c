"""Regions and implementing units: validation, optimistic locking, reach on writes, UI and API."""

from __future__ import annotations

import pytest

from app.core.codes import credit_check_character, is_valid_credit_code
from app.core.models import Region, Unit
from app.extensions import db


@pytest.mark.parametrize(
    "code",
    [
        "12441500196720244T",
        "11511301008778183N",
        "11100000000013338W",
        "11220000013544541J",
    ],
)
def test_real_credit_codes_pass_the_gb32100_check(code):
    assert is_valid_credit_code(code)


@pytest.mark.parametrize(
    "code",
    [
        "12441500196720244X",  # wrong check character
        "12441500196720244",  # 17 characters
        "1244150019672024IT",  # I is not in the alphabet
        "",
    ],
)
def test_malformed_credit_codes_are_refused(code):
    assert not is_valid_credit_code(code)


def _unit_form(world, **overrides):
    code17 = "11460105MB0001234"
    data = {
        "name": "海口市秀英区医疗保障局",
        "credit_code": code17 + credit_check_character(code17),
        "region": str(world.region("460105")),
        "kind": "department",
        "exercise_level": "",
        "liaison_name": "",
        "liaison_phone": "",
        "active": "y",
    }
    data.update(overrides)
    return data


def test_province_admin_adds_a_unit_and_level_comes_from_the_region(world, login, app):
    response = login("province_admin").post("/unitview/add", data=_unit_form(world))
    assert response.status_code == 302
    with app.app_context():
        unit = db.session.query(Unit).filter_by(name="海口市秀英区医疗保障局").one()
        assert unit.exercise_level == "4"  # 县级


def test_bad_credit_code_is_refused_with_a_clear_message(world, login, app):
    page = (
        login("province_admin")
        .post(
            "/unitview/add",
            data=_unit_form(world, credit_code="11460105MB00012340"),
            follow_redirects=True,
        )
        .get_data(as_text=True)
    )
    assert "校验码（第 18 位）不正确" in page
    with app.app_context():
        assert db.session.query(Unit).filter_by(name="海口市秀英区医疗保障局").count() == 0


def test_region_code_must_fit_level_and_parent(world, login, app):
    client = login("province_admin")
    wrong_prefix = client.post(
        "/regionview/add",
        data={
            "code": "460205",
            "name": "错误区",
            "level": "county",
            "parent": str(world.region("460100")),
        },
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "区划代码须以上级区划前缀 4601 开头" in wrong_prefix
    wrong_length = client.post(
        "/regionview/add",
        data={
            "code": "4601050010",
            "name": "错误镇",
            "level": "township",
            "parent": str(world.region("460105")),
        },
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "区划代码为 6 位" in wrong_length
    ok = client.post(
        "/regionview/add",
        data={
            "code": "460105002",
            "name": "长流镇",
            "level": "township",
            "parent": str(world.region("460105")),
        },
    )
    assert ok.status_code == 302
    with app.app_context():
        assert db.session.query(Region).filter_by(code="460105002").one().path == (
            "/460000/460100/460105/460105002/"
        )
        assert db.session.query(Region).filter(Region.name.in_(["错误区", "错误镇"])).count() == 0


def test_region_with_units_cannot_be_deleted(world, login, app):
    client = login("province_admin")
    client.post(f"/regionview/delete/{world.region('460106')}")
    with app.app_context():
        assert db.session.get(Region, world.region("460106")) is not None


def test_second_save_of_a_stale_unit_form_is_refused(world, login, app):
    unit_id = world.unit("xiuying_edu")
    first, second = login("province_admin"), login("sys_admin")
    with app.app_context():
        unit = db.session.get(Unit, unit_id)
        base = {
            "credit_code": unit.credit_code,
            "region": str(unit.region_id),
            "kind": "department",
            "exercise_level": "4",
            "active": "y",
            "lock_version": str(unit.version),
        }
    assert (
        first.post(f"/unitview/edit/{unit_id}", data={**base, "name": "第一次修改"}).status_code
        == 302
    )
    page = second.post(
        f"/unitview/edit/{unit_id}", data={**base, "name": "第二次修改"}, follow_redirects=True
    ).get_data(as_text=True)
    assert "该记录在您打开后已被他人修改" in page
    with app.app_context():
        assert db.session.get(Unit, unit_id).name == "第一次修改"


def test_api_update_needs_the_current_version(world, api_token, app):
    client = app.test_client()
    headers = api_token("province_admin")
    unit_id = world.unit("xiuying_edu")
    current = client.get(f"/api/v1/unit/{unit_id}", headers=headers).json["result"]
    missing = client.put(f"/api/v1/unit/{unit_id}", json={"name": "甲"}, headers=headers)
    assert missing.status_code == 409
    ok = client.put(
        f"/api/v1/unit/{unit_id}",
        json={"name": "甲", "version": current["version"]},
        headers=headers,
    )
    assert ok.status_code == 200, ok.json
    stale = client.put(
        f"/api/v1/unit/{unit_id}",
        json={"name": "乙", "version": current["version"]},
        headers=headers,
    )
    assert stale.status_code == 409
    with app.app_context():
        assert db.session.get(Unit, unit_id).name == "甲"


def test_api_refuses_invalid_credit_code_with_422_and_message(world, api_token, app):
    client = app.test_client()
    response = client.post(
        "/api/v1/unit/",
        headers=api_token("province_admin"),
        json={
            "name": "测试单位",
            "credit_code": "11460105MB00012340",
            "region": world.region("460105"),
            "kind": "department",
        },
    )
    assert response.status_code == 422
    assert "credit_code" in response.json["errors"]


def test_api_write_outside_reach_is_refused_even_with_write_permission(world, api_token, app):
    """A sys_admin has province reach; a coordinator has none to write. Try placing a unit in
    another county through a crafted region id: the flush-time reach check refuses it."""
    from app.core.actor import Actor
    from app.core.errors import OutOfReach
    from app.core.reach import Reach
    from app.core.states import ReachKind
    from app.core.unit_of_work import unit_of_work

    with app.app_context():
        region_a = db.session.get(Region, world.region("460105"))
        actor = Actor(
            user_id=None,
            username="coordinator-a",
            reach=Reach(ReachKind.REGION, region_path=region_a.path),
        )
        with unit_of_work(db.session, actor):
            unit = db.session.get(Unit, world.unit("xiuying_edu"))
            unit.region_id = world.region("460202")
            with pytest.raises(OutOfReach):
                db.session.flush()
            db.session.rollback()
            # and a row of county B cannot even be loaded through a scoped query
            query = actor.reach.scope(db.session.query(Unit), Unit)
            assert query.filter(Unit.id == world.unit("haitang_market")).count() == 0


def test_action_on_a_crafted_out_of_reach_row_is_404(world, login, app):
    """FAB's action_post loads rows by id without base filters; ours goes through reach."""
    from app.core import roles
    from app.extensions import appbuilder

    with app.app_context():  # give coordinators write on units just for this test
        role = appbuilder.sm.find_role(roles.COUNTY_COORDINATOR)
        pv = appbuilder.sm.find_permission_view_menu("can_write", "Units")
        role.permissions.append(pv)
        db.session.commit()
    try:
        client = login("county_coordinator")
        other = world.unit("haitang_market")
        response = client.post(
            "/unitview/action_post", data={"action": "deactivate", "rowid": [str(other)]}
        )
        assert response.status_code == 404
        own = world.unit("xiuying_market")
        assert (
            client.post(
                "/unitview/action_post", data={"action": "deactivate", "rowid": [str(own)]}
            ).status_code
            == 302
        )
        with app.app_context():
            assert db.session.get(Unit, other).active is True
            assert db.session.get(Unit, own).active is False
    finally:
        with app.app_context():
            role = appbuilder.sm.find_role(roles.COUNTY_COORDINATOR)
            role.permissions = [
                p
                for p in role.permissions
                if not (p.permission.name == "can_write" and p.view_menu.name == "Units")
            ]
            db.session.commit()


def test_units_are_never_deleted(world, login, app):
    client = login("province_admin")
    assert client.get(f"/unitview/delete/{world.unit('xiuying_edu')}").status_code == 404
    with app.app_context():
        assert db.session.get(Unit, world.unit("xiuying_edu")) is not None


def _another_user_saves_first(unit_id):
    """Another user's save, committed on its own connection between our check and our write."""
    from sqlalchemy import text

    with db.engine.begin() as other:
        other.execute(
            text("UPDATE unit SET name = '别人的修改', version = version + 1 WHERE id = :id"),
            {"id": unit_id},
        )


def test_api_update_losing_a_race_is_409_and_keeps_the_winner(world, api_token, app, monkeypatch):
    from app.core.api import UnitApi

    client = app.test_client()
    headers = api_token("province_admin")
    unit_id = world.unit("xiuying_edu")
    current = client.get(f"/api/v1/unit/{unit_id}", headers=headers).json["result"]
    monkeypatch.setattr(UnitApi, "validate", lambda self, item: _another_user_saves_first(item.id))
    lost = client.put(
        f"/api/v1/unit/{unit_id}",
        json={"name": "我的修改", "version": current["version"]},
        headers=headers,
    )
    assert lost.status_code == 409, lost.get_data(as_text=True)
    assert "该记录在您打开后已被他人修改" in lost.json["message"]
    with app.app_context():
        assert db.session.get(Unit, unit_id).name == "别人的修改"


def test_form_save_losing_a_race_says_the_record_changed(world, login, app, monkeypatch):
    from app.core.views import UnitView

    unit_id = world.unit("xiuying_edu")
    client = login("province_admin")
    with app.app_context():
        unit = db.session.get(Unit, unit_id)
        form = {
            "credit_code": unit.credit_code,
            "region": str(unit.region_id),
            "kind": "department",
            "exercise_level": "4",
            "active": "y",
            "lock_version": str(unit.version),
            "name": "我的修改",
        }
    monkeypatch.setattr(UnitView, "validate", lambda self, item: _another_user_saves_first(item.id))
    page = client.post(f"/unitview/edit/{unit_id}", data=form, follow_redirects=True).get_data(
        as_text=True
    )
    assert "该记录在您打开后已被他人修改" in page
    assert "Database Error" not in page
    with app.app_context():
        assert db.session.get(Unit, unit_id).name == "别人的修改"
