"""The security manager: our user model, audited logins, one shared rate limiter."""

from __future__ import annotations

from typing import Any

from flask import Flask, has_request_context, request
from flask_appbuilder.security.sqla.manager import SecurityManager
from flask_appbuilder.security.views import UserDBModelView
from flask_babel import lazy_gettext as _l
from flask_limiter import Limiter

from app.core.actor import Actor, acting_as
from app.core.audit import AuditAction, record
from app.core.models import AppUser
from app.core.reach import Reach


class ZwUserDBModelView(UserDBModelView):
    """FAB's user admin with the reach fields (region, unit) every user needs."""

    show_fieldsets = [
        (_l("User info"), {"fields": ["username", "active", "roles", "login_count"]}),
        (_l("Reach"), {"fields": ["region", "unit"]}),
        (_l("Personal info"), {"fields": ["first_name", "last_name", "email"], "expanded": True}),
        (
            _l("Audit info"),
            {
                "fields": [
                    "last_login",
                    "fail_login_count",
                    "created_on",
                    "created_by",
                    "changed_on",
                    "changed_by",
                ],
                "expanded": False,
            },
        ),
    ]
    user_show_fieldsets = [
        (_l("User info"), {"fields": ["username", "active", "roles", "login_count"]}),
        (_l("Reach"), {"fields": ["region", "unit"]}),
        (_l("Personal info"), {"fields": ["first_name", "last_name", "email"], "expanded": True}),
    ]
    list_columns = ["first_name", "last_name", "username", "region", "unit", "roles", "active"]
    add_columns = [
        "first_name",
        "last_name",
        "username",
        "active",
        "email",
        "roles",
        "region",
        "unit",
        "password",
        "conf_password",
    ]
    edit_columns = [
        "first_name",
        "last_name",
        "username",
        "active",
        "email",
        "roles",
        "region",
        "unit",
    ]
    label_columns = {"region": _l("Region"), "unit": _l("Implementing unit")}
    base_order = ("username", "asc")


class ZwSecurityManager(SecurityManager):
    user_model = AppUser
    userdbmodelview = ZwUserDBModelView
    # FAB's chart view loads Google's chart library from the internet, which an intranet cannot
    # reach; charts are drawn with matplotlib instead.
    userstatschartview = None

    def create_limiter(self, app: Flask) -> Limiter:
        from app.extensions import limiter

        return limiter

    def auth_user_db(self, username: str, password: str) -> Any:
        """FAB's password check, with every attempt written to the audit log.

        The login bookkeeping (login count, failure count) is written by the system, since the
        person is not logged in yet; the audit row names the user name that was tried.
        """
        ip = request.remote_addr or "" if has_request_context() else ""
        attempt = Actor(
            user_id=None, username=(username or "")[:128], ip=ip, reach=Reach.unrestricted()
        )
        with acting_as(attempt):
            user = super().auth_user_db(username, password)
        outcome = AuditAction.LOGIN if user else AuditAction.LOGIN_FAILED
        who = Actor(
            user_id=user.id if user else None,
            username=(username or "")[:128],
            ip=ip,
            reach=Reach.unrestricted(),
        )
        with acting_as(who):
            record(
                self.session,
                outcome,
                object_type="User",
                object_id=user.id if user else "",
                summary=username or "",
            )
            self.session.commit()
        return user
