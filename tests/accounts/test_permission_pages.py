"""FAB's role and permission pages read in Chinese for the security administrator: permission
and view/menu names by their labels, never FAB's identifiers; the stored names are unchanged and
saving a role through its form stores exactly the permissions chosen."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select

from app.core import roles

IDENTIFIER = re.compile(r"can_[a-z_]+|menu_access|[A-Za-z]+ModelView|ImplementationList")


def _text(html: str) -> str:
    html = re.sub(r"(?s)<script.*?</script>", "", html)
    return re.sub(r"<[^>]+>", " ", html)


def _options(html: str, name: str) -> list[str]:
    select_html = re.search(rf'(?s)<select[^>]*name="{name}".*?</select>', html)
    assert select_html, name
    return re.findall(r"<option[^>]*>([^<]*)</option>", select_html.group(0))


def _role(app: Any, name: str) -> tuple[int, set[str]]:
    from flask_appbuilder.security.sqla.models import Role

    with app.app_context():
        from app.extensions import db

        role = db.session.execute(select(Role).where(Role.name == name)).scalar_one()
        names = {f"{pv.permission.name} on {pv.view_menu.name}" for pv in role.permissions}
        return role.id, names


def test_role_edit_form_offers_permissions_by_chinese_labels(app, world, login):
    role_id, _ = _role(app, roles.WINDOW_STAFF)
    page = login("security_admin").get(f"/roles/edit/{role_id}").get_data(as_text=True)
    offered = _options(page, "permissions")
    assert "实施清单：编辑" in offered
    assert "用户列表：菜单访问" in offered
    assert not [o for o in offered if IDENTIFIER.search(o)]


def test_role_list_and_show_name_permissions_in_chinese(app, world, login):
    role_id, _ = _role(app, roles.SECURITY_ADMIN)
    client = login("security_admin")
    for url in ("/roles/list/", f"/roles/show/{role_id}"):
        text = _text(client.get(url).get_data(as_text=True))
        assert "角色：修改" in text, url
        assert not IDENTIFIER.search(text), (url, IDENTIFIER.findall(text)[:5])
    roles_list = _text(client.get("/roles/list/").get_data(as_text=True))
    assert "内置超级管理员" in roles_list and "匿名访客" in roles_list
    assert not re.search(r"\b(Admin|Public)\b", roles_list)


@pytest.mark.parametrize(
    ("url", "view", "expected"),
    [
        ("/permissions/list/", "PermissionModelView", "菜单访问"),
        ("/viewmenus/list/", "ViewMenuModelView", "实施清单"),
        ("/permissionviews/list/", "PermissionViewModelView", "实施清单 编辑"),
    ],
)
def test_permission_lists_show_labels_not_identifiers(app, world, login, url, view, expected):
    client = login("security_admin")
    text = ""
    for page_number in range(20):  # every page of the list
        page = client.get(f"{url}?psize_{view}=100&page_{view}={page_number}")
        assert page.status_code == 200
        rows = _text(page.get_data(as_text=True))
        text += rows
        count = re.search(r"记录数:\s*(\d+)", rows)
        assert count, url
        if (page_number + 1) * 100 >= int(count.group(1)):
            break
    assert expected in re.sub(r"\s+", " ", text)
    assert not IDENTIFIER.search(text), IDENTIFIER.findall(text)[:5]


def test_permission_names_are_stored_unchanged(app, world):
    from flask_appbuilder.security.sqla.models import Permission, PermissionView

    with app.app_context():
        from app.extensions import db

        names = set(db.session.execute(select(Permission.name)).scalars())
        assert {"can_edit", "can_read", "menu_access"} <= names
        pv = db.session.execute(select(PermissionView)).scalars().first()
        assert pv is not None
        assert repr(pv) == f"{pv.permission.name.replace('_', ' ')} on {pv.view_menu.name}"


def test_saving_a_role_through_the_edit_form_stores_the_chosen_permissions(app, world, login):
    from flask_appbuilder.security.sqla.models import Role

    role_id, before = _role(app, roles.WINDOW_STAFF)
    with app.app_context():
        from app.extensions import db

        role = db.session.get(Role, role_id)
        dropped = sorted(role.permissions, key=lambda pv: pv.id)[-1]
        dropped_name = f"{dropped.permission.name} on {dropped.view_menu.name}"
        kept = [str(pv.id) for pv in role.permissions if pv.id != dropped.id]
    response = login("security_admin").post(
        f"/roles/edit/{role_id}", data={"name": roles.WINDOW_STAFF, "permissions": kept}
    )
    assert response.status_code == 302
    _, after = _role(app, roles.WINDOW_STAFF)
    assert after == before - {dropped_name}


@pytest.mark.parametrize("username", ["sys_admin", "audit_admin", "window_staff"])
def test_other_roles_cannot_open_or_save_the_role_pages(app, world, login, username):
    role_id, before = _role(app, roles.WINDOW_STAFF)
    client = login(username)
    for url in (
        f"/roles/edit/{role_id}",
        "/roles/list/",
        "/permissions/list/",
        "/viewmenus/list/",
        "/permissionviews/list/",
    ):
        assert client.get(url).status_code in (302, 403), url
    client.post(f"/roles/edit/{role_id}", data={"name": roles.WINDOW_STAFF, "permissions": []})
    assert _role(app, roles.WINDOW_STAFF)[1] == before
