"""A refused save stays where the user was: the form again with the message (and what was
typed), a stale one reopened with what the other person saved; never FAB's page history."""

from __future__ import annotations

from app.core.models import Unit
from app.extensions import db


def test_a_refused_add_shows_the_form_again_with_the_message_and_the_input(world, login):
    client = login("province_admin")
    response = client.post(
        "/regionview/add",
        data={
            "code": "4601059",
            "name": "试验区",
            "level": "county",
            "parent": world.region("460100"),
        },
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "alert-danger" in page
    assert 'value="试验区"' in page and 'value="4601059"' in page


def test_a_stale_edit_reopens_the_form_with_the_others_save_and_the_message(world, login, app):
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
    first.post(f"/unitview/edit/{unit_id}", data={**base, "name": "第一次修改"})
    stale = second.post(f"/unitview/edit/{unit_id}", data={**base, "name": "第二次修改"})
    assert stale.status_code == 302
    assert stale.headers["Location"].endswith(f"/unitview/edit/{unit_id}")
    page = second.get(stale.headers["Location"]).get_data(as_text=True)
    assert "该记录在您打开后已被他人修改" in page and "第一次修改" in page
