"""三员分立 as an assessor tries it, and the audit of permission changes and retention."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from click.testing import Result
from sqlalchemy import insert, select

from app.core import roles
from app.core.models import AppUser, AuditLog, utcnow
from tests.accounts.factories import STRONG


def _role_id(app: Any, name: str) -> int:
    with app.app_context():
        from app.extensions import appbuilder

        return appbuilder.sm.find_role(name).id


def _user_roles(app: Any, user_id: int) -> set[str]:
    with app.app_context():
        from app.extensions import db

        return {role.name for role in db.session.get(AppUser, user_id).roles}


def test_system_administrator_cannot_read_the_audit_log(app, world, login):
    client = login("sys_admin")
    for url in ("/auditlogview/list/", "/auditlogview/export/", "/auditlogview/show/1"):
        response = client.get(url)
        assert response.status_code in (302, 403), url
        assert "hash" not in response.get_data(as_text=True).lower()


def test_security_administrator_cannot_read_the_audit_log_nor_manage_users(app, world, login):
    client = login("security_admin")
    assert client.get("/auditlogview/list/").status_code in (302, 403)
    assert client.get("/users/list/").status_code in (302, 403)
    assert client.get("/roles/list/").status_code == 200


# The foundation's audit list searches on a datetime column, whose WTForms field warns.
@pytest.mark.filterwarnings("ignore:'DateTimeField' renders:DeprecationWarning")
def test_audit_administrator_reads_the_audit_log_and_nothing_else(app, world, login):
    client = login("audit_admin")
    assert client.get("/auditlogview/list/").status_code == 200
    for url in ("/users/list/", "/roles/list/", "/unitview/list/", "/accountsecurityview/list/"):
        assert client.get(url).status_code in (302, 403), url


def test_one_account_cannot_hold_two_separated_roles_in_the_user_form(app, world, login):
    client = login("sys_admin")
    target = world.user("security_admin")
    client.post(
        f"/users/edit/{target}",
        data={
            "first_name": "security_admin",
            "last_name": "x",
            "username": "security_admin",
            "email": "security_admin@test.example",
            "active": "y",
            "roles": [
                str(_role_id(app, roles.SECURITY_ADMIN)),
                str(_role_id(app, roles.AUDIT_ADMIN)),
            ],
        },
    )
    assert _user_roles(app, target) == {roles.SECURITY_ADMIN}


def test_new_account_with_two_separated_roles_is_refused(app, world, login):
    client = login("sys_admin")
    client.post(
        "/users/add",
        data={
            "first_name": "双",
            "last_name": "职",
            "username": "double_duty",
            "email": "double@test.example",
            "active": "y",
            "roles": [str(_role_id(app, roles.SYS_ADMIN)), str(_role_id(app, roles.AUDIT_ADMIN))],
            "password": STRONG,
            "conf_password": STRONG,
        },
    )
    with app.app_context():
        from app.extensions import db

        assert (
            db.session.execute(
                select(AppUser).where(AppUser.username == "double_duty")
            ).scalar_one_or_none()
            is None
        )


def test_the_builtin_admin_role_is_not_given_to_people(app, world, login):
    client = login("sys_admin")
    target = world.user("window_staff")
    client.post(
        f"/users/edit/{target}",
        data={
            "first_name": "window_staff",
            "last_name": "x",
            "username": "window_staff",
            "email": "window_staff@test.example",
            "active": "y",
            "roles": [str(_role_id(app, roles.FAB_ADMIN))],
        },
    )
    assert _user_roles(app, target) == {roles.WINDOW_STAFF}


def test_separation_is_enforced_on_every_write_path(app, world):
    from app.core.errors import ValidationError

    with app.app_context():
        from app.extensions import appbuilder, db

        user = db.session.get(AppUser, world.user("sys_admin"))
        user.roles = [*user.roles, appbuilder.sm.find_role(roles.SECURITY_ADMIN)]
        with pytest.raises(ValidationError):
            db.session.commit()
        db.session.rollback()


def test_permission_changes_of_a_role_are_audited(app, world, login):
    from flask_appbuilder.security.sqla.models import Role

    with app.app_context():
        from app.extensions import db

        role = db.session.execute(select(Role).where(Role.name == roles.WINDOW_STAFF)).scalar_one()
        role_id = role.id
        kept = [str(pv.id) for pv in role.permissions][:-1]
    client = login("security_admin")
    response = client.post(
        f"/roles/edit/{role_id}", data={"name": roles.WINDOW_STAFF, "permissions": kept}
    )
    assert response.status_code == 302
    with app.app_context():
        from app.extensions import db

        row = (
            db.session.execute(
                select(AuditLog)
                .where(AuditLog.object_type == "Role", AuditLog.action == "update")
                .order_by(AuditLog.id.desc())
            )
            .scalars()
            .first()
        )
        assert row is not None and "permissions" in row.after
        assert row.actor_name == "security_admin"


def test_audit_retention_never_drops_rows_younger_than_180_days(app, world):
    from app.core.audit import GENESIS, row_hash

    with app.app_context():
        from app.extensions import db

        prev = (
            db.session.execute(
                select(AuditLog.hash).order_by(AuditLog.id.desc()).limit(1)
            ).scalar_one_or_none()
            or GENESIS
        )
        row = {
            "occurred_at": utcnow() - dt.timedelta(days=179),
            "actor_id": None,
            "actor_name": "retention-test",
            "ip": "",
            "action": "security",
            "object_type": "Test",
            "object_id": "179",
            "summary": "a row 179 days old",
            "before": None,
            "after": None,
            "prev_hash": prev,
        }
        row["hash"] = row_hash(prev, row)
        db.session.execute(insert(AuditLog), [row])
        db.session.commit()
    runner = app.test_cli_runner()
    result: Result = runner.invoke(args=["audit-retention", "--days", "1"])
    assert result.exit_code == 0, result.output
    assert "dropped 0" in result.output
    with app.app_context():
        from app.extensions import db

        assert db.session.execute(
            select(AuditLog).where(AuditLog.actor_name == "retention-test")
        ).first()
        assert app.config["AUDIT_RETENTION_DAYS"] >= 180


def test_security_administrator_cannot_grant_itself_the_audit_log(app, world, login):
    from flask_appbuilder.security.sqla.models import PermissionView, Role, ViewMenu

    with app.app_context():
        from app.extensions import db

        role = db.session.execute(
            select(Role).where(Role.name == roles.SECURITY_ADMIN)
        ).scalar_one()
        audit_read = (
            db.session.execute(
                select(PermissionView).join(ViewMenu).where(ViewMenu.name == "AuditLog")
            )
            .scalars()
            .first()
        )
        role_id = role.id
        wanted = [str(pv.id) for pv in role.permissions] + [str(audit_read.id)]
        before = len(role.permissions)
    client = login("security_admin")
    client.post(
        f"/roles/edit/{role_id}", data={"name": roles.SECURITY_ADMIN, "permissions": wanted}
    )
    with app.app_context():
        from app.extensions import db

        assert len(db.session.get(Role, role_id).permissions) == before
    assert client.get("/auditlogview/list/").status_code in (302, 403)


def test_a_role_cannot_take_user_management_from_the_system_administrator(app, world):
    from flask_appbuilder.security.sqla.models import PermissionView, Role, ViewMenu

    from app.core.errors import ValidationError

    with app.app_context():
        from app.extensions import db

        role = db.session.execute(
            select(Role).where(Role.name == roles.COUNTY_COORDINATOR)
        ).scalar_one()
        user_admin = (
            db.session.execute(
                select(PermissionView).join(ViewMenu).where(ViewMenu.name == "UserDBModelView")
            )
            .scalars()
            .all()
        )
        role.permissions = [*role.permissions, *user_admin]
        with pytest.raises(ValidationError):
            db.session.commit()
        db.session.rollback()


def test_command_line_refuses_the_admin_role_and_weak_passwords(app, world):
    from flask_appbuilder.cli import fab

    runner = app.test_cli_runner()
    common = ["--firstname", "a", "--lastname", "b"]
    result = runner.invoke(
        cli=fab,
        args=["create-admin", "--username", "root0", "--email", "r0@x.cn", *common]
        + ["--password", "Root#2026pass"],
    )
    assert result.exit_code != 0
    result = runner.invoke(
        cli=fab,
        args=["create-user", "--role", roles.SYS_ADMIN, "--username", "root1"]
        + ["--email", "r1@x.cn", *common, "--password", "weak"],
    )
    assert result.exit_code != 0
    result = runner.invoke(
        cli=fab,
        args=["create-user", "--role", roles.SYS_ADMIN, "--username", "root2"]
        + ["--email", "r2@x.cn", *common, "--password", "Root#2026pass"],
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        from app.extensions import db

        names = set(db.session.execute(select(AppUser.username)).scalars())
        assert "root2" in names and not {"root0", "root1"} & names


def test_system_administrator_cannot_take_over_the_audit_administrator(app, world, login):
    target = world.user("audit_admin")
    admin = login("sys_admin")
    admin.post(
        f"/resetpassword/form?pk={target}", data={"password": STRONG, "conf_password": STRONG}
    )
    # The old password still works, the new one does not.
    login("audit_admin")  # asserts that the sign-in works
    response = app.test_client().post(
        "/login/", data={"username": "audit_admin", "password": STRONG}
    )
    assert "/login" in response.headers["Location"]
    # Nor strip the role in the form, nor disable the account.
    admin.post(
        f"/users/edit/{target}",
        data={
            "first_name": "audit_admin",
            "last_name": "x",
            "username": "audit_admin",
            "email": "audit_admin@test.example",
            "roles": [str(_role_id(app, roles.WINDOW_STAFF))],
        },
    )
    assert _user_roles(app, target) == {roles.AUDIT_ADMIN}
    with app.app_context():
        from app.extensions import db

        assert db.session.get(AppUser, target).active is True
