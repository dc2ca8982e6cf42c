"""FAB's user pages as a Chinese administrator uses them: one 姓名, only the roles a person may
be given, 是/否 instead of True/None, the password page in order and saying it worked."""

from __future__ import annotations

import json
import re
from typing import Any

from sqlalchemy import select

from app.core import roles
from app.core.models import AppUser
from tests.accounts.factories import STRONG


def _role_id(app: Any, name: str) -> int:
    with app.app_context():
        from app.extensions import appbuilder

        return appbuilder.sm.find_role(name).id


def _user(app: Any, username: str) -> AppUser | None:
    with app.app_context():
        from app.extensions import db

        return db.session.execute(
            select(AppUser).where(AppUser.username == username)
        ).scalar_one_or_none()


def _text(html: str) -> str:
    html = re.sub(r"(?s)<script.*?</script>", "", html)
    return re.sub(r"<[^>]+>", " ", html)


def _options(html: str, name: str) -> list[str]:
    select_html = re.search(rf'(?s)<select[^>]*name="{name}".*?</select>', html)
    assert select_html, name
    return re.findall(r"<option[^>]*>([^<]*)</option>", select_html.group(0))


def test_user_form_offers_no_admin_or_public_role(app, world, login):
    page = login("sys_admin").get(f"/users/edit/{world.user('window_staff')}").get_data(True)
    offered = _options(page, "roles")
    assert roles.WINDOW_STAFF in offered
    assert "Admin" not in offered and "Public" not in offered


def test_user_form_has_one_full_name_field_and_no_last_name(app, world, login):
    page = login("sys_admin").get("/users/add").get_data(as_text=True)
    assert 'name="first_name"' in page
    assert 'name="last_name"' not in page
    assert "姓名" in page
    assert "Last Name" not in page and "First Name" not in page


def test_new_user_is_saved_with_a_full_name_only(app, world, login):
    login("sys_admin").post(
        "/users/add",
        data={
            "first_name": "王小明",
            "username": "wang_xiaoming",
            "email": "wang@test.example",
            "active": "y",
            "roles": [str(_role_id(app, roles.WINDOW_STAFF))],
            "region": str(world.region("460105")),
            "password": STRONG,
            "conf_password": STRONG,
        },
    )
    user = _user(app, "wang_xiaoming")
    assert user is not None
    assert user.first_name == "王小明" and user.last_name == ""


def test_posting_the_public_role_changes_nothing(app, world, login):
    target = world.user("window_staff")
    before = _user(app, "window_staff")
    login("sys_admin").post(
        f"/users/edit/{target}",
        data={
            "first_name": "改名",
            "username": "window_staff",
            "email": "window_staff@test.example",
            "active": "y",
            "roles": [str(_role_id(app, "Public")), str(_role_id(app, roles.WINDOW_STAFF))],
        },
    )
    after = _user(app, "window_staff")
    assert after.first_name == before.first_name
    with app.app_context():
        from app.extensions import db

        assert {r.name for r in db.session.get(AppUser, target).roles} == {roles.WINDOW_STAFF}


def test_a_user_without_roles_is_refused(app, world, login):
    target = world.user("window_staff")
    page = (
        login("sys_admin")
        .post(
            f"/users/edit/{target}",
            data={
                "first_name": "改名",
                "username": "window_staff",
                "email": "window_staff@test.example",
                "active": "y",
            },
        )
        .get_data(as_text=True)
    )
    assert "至少选择一个角色" in page
    assert _user(app, "window_staff").first_name != "改名"


def test_user_list_and_profile_read_chinese_values(app, world, login):
    client = login("sys_admin")
    for url in ("/users/list/", f"/users/show/{world.user('sys_admin')}", "/users/userinfo/"):
        text = _text(client.get(url).get_data(as_text=True))
        assert "是" in text, url
        for word in ("True", "False", "None", "First Name", "Last Name", "Active", "Roles"):
            assert word not in text, (url, word)


def test_profile_form_asks_only_for_the_full_name(app, world, login):
    page = login("window_staff").get("/userinfoeditview/form").get_data(as_text=True)
    assert 'name="first_name"' in page and 'name="last_name"' not in page
    assert "姓名" in page


def test_optional_drop_down_has_a_readable_empty_choice(app, world, login):
    page = login("sys_admin").get(f"/users/edit/{world.user('sys_admin')}").get_data(True)
    assert ">__None<" not in page
    assert "（无）" in _options(page, "unit")


def test_password_page_asks_the_password_before_its_confirmation(app, world, login):
    page = login("window_staff").get("/resetmypassword/form").get_data(as_text=True)
    assert page.index('name="password"') < page.index('name="conf_password"')


def test_own_password_change_says_it_worked(app, world, login):
    client = login("window_staff")
    page = client.post(
        "/resetmypassword/form",
        data={"password": STRONG, "conf_password": STRONG},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "密码修改成功" in page


def test_every_page_loads_select2_in_chinese(app, world, login):
    page = login("sys_admin").get("/users/list/").get_data(as_text=True)
    assert json.dumps("清除全部")[1:-1] in page  # in the page's script, JSON-escaped
    assert "Remove all items" not in page


def test_delete_confirmation_is_in_chinese(app, world, login):
    page = login("province_admin").get("/calendardayview/list/").get_data(as_text=True)
    assert "确定删除这条记录吗" in page
    assert "Are you sure you want to delete this item?" not in page


def test_policy_page_reads_the_rate_limit_in_chinese(app, world, login):
    text = _text(login("security_admin").get("/security/policy/").get_data(as_text=True))
    assert "每分钟 10 次" in text
    assert "per minute" not in text
