"""Logins, roles and menus, the JWT API and OpenAPI, rate limits, languages, configuration."""

from __future__ import annotations

import re

import pytest

from tests.factories import PASSWORD


def _menu(client) -> str:
    page = client.get("/").get_data(as_text=True)
    navbar = re.search(
        r'(?s)<ul class="nav navbar-nav">(.*?)</ul>\s*<ul class="nav navbar-nav navbar-right">',
        page,
    )
    return navbar.group(1) if navbar else page


@pytest.mark.parametrize(
    ("username", "visible", "hidden"),
    [
        (
            "province_admin",
            ["行政区划", "实施单位", "节假日与调休", "日历年度"],
            ["审计日志", "用户列表", "角色列表"],
        ),
        ("county_coordinator", ["行政区划", "实施单位"], ["审计日志", "用户列表", "角色列表"]),
        ("window_staff", ["实施单位"], ["行政区划", "节假日与调休", "审计日志"]),
        ("sys_admin", ["实施单位", "用户列表"], ["角色列表", "审计日志"]),
        ("security_admin", ["角色列表"], ["用户列表", "实施单位", "审计日志"]),
        ("audit_admin", ["审计日志"], ["实施单位", "行政区划", "用户列表", "角色列表"]),
    ],
)
def test_menu_shows_only_what_the_role_may_use(world, login, username, visible, hidden):
    menu = _menu(login(username))
    for label in visible:
        assert label in menu, f"{username} should see {label}"
    for label in hidden:
        assert label not in menu, f"{username} should not see {label}"


@pytest.mark.parametrize(
    ("username", "url"),
    [
        ("audit_admin", "/unitview/list/"),
        ("security_admin", "/users/list/"),
        ("sys_admin", "/roles/list/"),
        ("county_coordinator", "/users/list/"),
        ("window_staff", "/regionview/list/"),
    ],
)
def test_pages_outside_the_role_are_refused_on_the_server(world, login, username, url):
    assert login(username).get(url).status_code == 403


def test_anonymous_user_is_sent_to_login(world, app):
    response = app.test_client().get("/unitview/list/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_wrong_password_does_not_log_in(world, app):
    client = app.test_client()
    response = client.post("/login/", data={"username": "province_admin", "password": "nope"})
    assert "/login" in response.headers["Location"]
    assert client.get("/unitview/list/").status_code == 302


def test_jwt_login_and_security_api_work_with_the_pinned_marshmallow(world, app, api_token):
    """marshmallow 4 breaks FAB 5.3's security API (FAB #2361, #2425); this stays green only on
    a version that works."""
    from importlib.metadata import version

    assert int(version("marshmallow").split(".")[0]) < 4
    client = app.test_client()
    response = client.post(
        "/api/v1/security/login",
        json={
            "username": "province_admin",
            "password": PASSWORD,
            "provider": "db",
            "refresh": True,
        },
    )
    assert response.status_code == 200
    assert {"access_token", "refresh_token"} <= set(response.json)
    refreshed = client.post(
        "/api/v1/security/refresh",
        headers={"Authorization": f"Bearer {response.json['refresh_token']}"},
    )
    assert refreshed.status_code == 200
    bad = client.post(
        "/api/v1/security/login",
        json={"username": "province_admin", "password": "nope", "provider": "db"},
    )
    assert bad.status_code == 401
    units = client.get("/api/v1/unit/", headers=api_token("province_admin"))
    assert units.status_code == 200 and units.json["count"] == 5


def test_openapi_document_lists_our_apis(world, app, api_token):
    response = app.test_client().get("/api/v1/_openapi", headers=api_token("province_admin"))
    assert response.status_code == 200
    paths = response.json["paths"]
    for path in (
        "/api/v1/unit/",
        "/api/v1/region/",
        "/api/v1/calendar_day/",
        "/api/v1/working_days/",
        "/api/v1/security/login",
    ):
        assert path in paths, path


def test_api_without_permission_is_403_and_without_token_401(world, app, api_token):
    client = app.test_client()
    assert client.get("/api/v1/unit/").status_code == 401
    assert client.get("/api/v1/unit/", headers=api_token("audit_admin")).status_code == 403
    assert (
        client.post("/api/v1/unit/", json={}, headers=api_token("county_coordinator")).status_code
        == 403
    )


def test_ui_is_chinese_by_default_and_switches_to_english(world, login):
    client = login("province_admin")
    assert "实施单位" in client.get("/unitview/list/").get_data(as_text=True)
    client.get("/lang/en")
    page = client.get("/unitview/list/").get_data(as_text=True)
    assert "Implementing units" in page
    assert "实施单位" not in page


def test_login_form_and_api_login_are_rate_limited_per_ip(world, app):
    """Flask-Limiter with the configured storage (memory by default, Redis in CI's second run)."""
    from app.extensions import limiter

    limiter.enabled = True
    limiter.reset()
    try:
        client = app.test_client()
        form_codes = [
            client.post(
                "/login/",
                data={"username": "x", "password": "y"},
                environ_base={"REMOTE_ADDR": "10.0.0.77"},
            ).status_code
            for _ in range(12)
        ]
        assert 429 in form_codes and form_codes[0] != 429
        api_codes = [
            client.post(
                "/api/v1/security/login",
                json={"username": "x", "password": "y", "provider": "db"},
                environ_base={"REMOTE_ADDR": "10.0.0.78"},
            ).status_code
            for _ in range(12)
        ]
        assert api_codes[0] == 401 and api_codes[-1] == 429
        other_ip = client.post(
            "/login/",
            data={"username": "x", "password": "y"},
            environ_base={"REMOTE_ADDR": "10.0.0.79"},
        )
        assert other_ip.status_code != 429
    finally:
        limiter.reset()
        limiter.enabled = False


def test_production_refuses_to_start_with_the_default_secret_key():
    from app import create_app

    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app({"ENV": "production"})


def test_seed_demo_is_idempotent(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    assert "regions added: 274, units added: 59, users added: 12" in first.output
    second = runner.invoke(args=["seed-demo"])
    assert second.exit_code == 0, second.output
    assert "regions added: 0, units added: 0, users added: 0" in second.output


@pytest.mark.parametrize(
    "username", ["province_admin", "sys_admin", "security_admin", "audit_admin"]
)
def test_no_page_loads_anything_from_outside_the_intranet(world, login, username):
    client = login(username)
    home = client.get("/").get_data(as_text=True)
    links = set(re.findall(r'href="(/[^"#]*)"', home))
    pages = [home]
    for link in sorted(links):
        if "logout" in link or "/lang/" in link or "/static/" in link:
            continue
        with client.get(link) as response:
            pages.append(response.get_data(as_text=True))
    assert len(pages) > 2
    for page in pages:
        assert "google_charts" not in page
        assert not re.search(r'(src|href)="(https?:)?//', page)


@pytest.mark.parametrize(
    "username", ["unit_operator", "county_coordinator", "window_staff", "audit_admin"]
)
def test_every_role_can_change_its_own_password(world, login, app, username):
    client = login(username)
    response = client.post(
        "/resetmypassword/form",
        data={"password": "New#Pass2026x", "conf_password": "New#Pass2026x"},
    )
    assert response.status_code == 302
    fresh = app.test_client()
    location = fresh.post(
        "/login/", data={"username": username, "password": "New#Pass2026x"}
    ).headers["Location"]
    assert "/login" not in location


def test_list_buttons_and_confirmation_dialog_are_chinese(world, login):
    page = login("province_admin").get("/unitview/list/").get_data(as_text=True)
    assert '<span class="sr-only">查看</span>' in page
    assert ">取消</button>" in page and ">确定</a>" in page
    assert not re.search(r">\s*(Show|Edit|Cancel|OK)\s*<", page)
