"""Views of the accounts domain: requests, window users, liaisons, the coordinator's overview,
and the security administrator's account-security and online-users views."""

from __future__ import annotations

import re
from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import BaseView
from flask_appbuilder.actions import action
from flask_appbuilder.baseviews import expose
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.models.sqla.filters import FilterEqual
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.accounts import policy, services, sessions
from app.accounts.forms import DecisionForm, request_fields
from app.accounts.models import AccountRequest, UserSession, WindowUser
from app.accounts.states import REQUEST, SessionEnd
from app.core.actor import current_actor
from app.core.audit import AuditAction, record
from app.core.base_views import ZwModelView
from app.core.calendar import format_datetime
from app.core.errors import DomainError, render_domain_error
from app.core.models import AppUser, Unit
from app.core.reach import ReachInterface
from app.core.roles import METHOD_PERMISSIONS
from app.core.unit_of_work import unit_of_work
from app.extensions import appbuilder, db


def _yes_no(value: Any) -> str:
    return _("Yes") if value else _("No")


def _text(value: Any) -> str:
    return "" if value is None else str(value)


class AccountRequestView(ZwModelView):
    """Requests for window accounts: the unit files, the region's coordinator decides."""

    datamodel = ReachInterface(AccountRequest)
    class_permission_name = "AccountRequests"
    method_permission_name = {**METHOD_PERMISSIONS, "decide": "approve"}
    list_title = show_title = add_title = _l("Window account requests")
    include_route_methods = {"list", "show", "add", "decide", "api_read"}
    show_template = "accounts/request_show.html"
    list_columns = [
        "requested_at",
        "kind_label",
        "unit",
        "subject",
        "username",
        "state_label",
        "decided_at",
    ]
    show_columns = [
        "kind_label",
        "state_label",
        "unit",
        "window_user",
        "person_name",
        "mobile",
        "hall",
        "window_no",
        "role_name",
        "username",
        "target_unit",
        "note",
        "requested_by",
        "requested_at",
        "decided_by",
        "decided_at",
        "decision_reason",
    ]
    add_columns = [
        "kind",
        "window_user",
        "person_name",
        "mobile",
        "hall",
        "window_no",
        "role_name",
        "username",
        "target_unit",
        "note",
    ]
    search_columns = ["kind", "state", "unit", "person_name", "username"]
    search_filters = {"kind": [FilterEqual], "state": [FilterEqual]}
    base_order = ("requested_at", "desc")
    label_columns = {
        "kind": _l("Request"),
        "kind_label": _l("Request"),
        "state": _l("State"),
        "state_label": _l("State"),
        "unit": _l("Implementing unit"),
        "window_user": _l("Window user"),
        "subject": _l("Person"),
        "person_name": _l("Person's name"),
        "mobile": _l("Mobile"),
        "hall": _l("Service hall"),
        "window_no": _l("Window number"),
        "role_name": _l("Role"),
        "username": _l("User name"),
        "target_unit": _l("Move to unit"),
        "note": _l("Note"),
        "requested_by": _l("Requested by"),
        "requested_at": _l("Filed at"),
        "decided_by": _l("Decided by"),
        "decided_at": _l("Decided at"),
        "decision_reason": _l("Reason of the decision"),
    }
    description_columns = {
        "window_user": _l("For a transfer or a cancellation: the window user concerned."),
        "username": _l("For a new account: the user name to create."),
        "target_unit": _l("For a transfer: the unit the person moves to (empty: same unit)."),
        "note": _l("Required for a cancellation: the reason."),
    }
    formatters_columns = {
        "requested_at": format_datetime,
        "decided_at": format_datetime,
        "window_user": _text,
        "target_unit": _text,
        "requested_by": _text,
        "decided_by": _text,
    }

    def __init__(self, **kwargs: Any) -> None:
        self.add_form_extra_fields = request_fields()
        super().__init__(**kwargs)

    def validate(self, item: AccountRequest) -> None:
        if item.target_unit is not None:
            item.target_unit_id = item.target_unit.id
        services.prepare_request(db.session, item, actor=current_actor())

    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk: Any) -> Any:
        item = self.datamodel.get(pk)
        if item is None:
            abort(404)
        widgets = self._show(pk)
        can_decide = appbuilder.sm.has_access("can_approve", self.class_permission_name) and bool(
            REQUEST.allowed(current_actor(), item, db.session)
        )
        return self.render_template(
            self.show_template,
            pk=pk,
            title=self.show_title,
            widgets=widgets,
            related_views=self._related_views,
            item=item,
            can_decide=can_decide,
            username_unavailable=can_decide and services.username_unavailable(db.session, item),
            form=DecisionForm(),
        )

    @expose("/decide/<int:pk>", methods=["POST"])
    @has_access
    def decide(self, pk: int) -> Any:
        form = DecisionForm()
        if not form.validate_on_submit():
            abort(400)
        version = int(form.version.data) if (form.version.data or "").isdigit() else None
        back = url_for("AccountRequestView.show", pk=pk)
        actor = current_actor()
        try:
            with unit_of_work(db.session, actor):
                item = actor.reach.one(db.session, AccountRequest, pk)
                if request.form.get("decision") == "approve":
                    decision = services.approve(
                        db.session,
                        item,
                        actor=actor,
                        security_manager=appbuilder.sm,
                        version=version,
                    )
                else:
                    decision = None
                    services.reject(
                        db.session,
                        item,
                        actor=actor,
                        reason=form.reason.data or "",
                        version=version,
                    )
        except DomainError as error:
            if error.status == 404:  # the unit of work has rolled back
                abort(404)
            return render_domain_error(error, redirect_to=back)
        if decision is None:
            flash(_("Request rejected."), "info")
        elif decision.initial_password:
            return self.render_template(
                "accounts/initial_password.html",
                username=decision.user.username,
                password=decision.initial_password,
                back=url_for("AccountRequestView.list"),
            )
        else:
            flash(_("Request approved."), "success")
        return redirect(back)


class WindowUserView(ZwModelView):
    """Window users of the units in reach (changed only through approved requests)."""

    datamodel = ReachInterface(WindowUser)
    class_permission_name = "WindowUsers"
    list_title = show_title = _l("Window users")
    include_route_methods = {"list", "show", "api_read", "export"}
    list_template = "zwfw/list_export.html"
    extra_args = {"export_endpoint": "WindowUserView.export"}
    list_columns = [
        "person_name",
        "unit",
        "hall",
        "window_no",
        "mobile",
        "role_name",
        "username",
        "status_label",
        "last_login",
    ]
    show_columns = list_columns
    search_columns = ["person_name", "unit", "hall", "status"]
    search_filters = {"status": [FilterEqual]}
    base_order = ("person_name", "asc")
    label_columns = {
        "person_name": _l("Person's name"),
        "unit": _l("Implementing unit"),
        "hall": _l("Service hall"),
        "window_no": _l("Window number"),
        "mobile": _l("Mobile"),
        "role_name": _l("Role"),
        "username": _l("User name"),
        "status": _l("Status"),
        "status_label": _l("Status"),
        "last_login": _l("Last sign-in"),
    }
    formatters_columns = {"last_login": format_datetime}

    @expose("/export/")
    @has_access
    def export(self) -> Any:
        """The filtered list of window users as .xlsx."""
        return self.export_filtered_list(
            columns=self.list_columns,
            title=_l("Window users"),
            filename_stem="window-users",
            default_order=("person_name", "asc"),
        )


class LiaisonView(ZwModelView):
    """Each unit names one liaison (协调联络员, seed 003 art. 9 (二))."""

    datamodel = ReachInterface(Unit)
    class_permission_name = "Liaisons"
    list_title = show_title = edit_title = _l("Unit liaisons")
    include_route_methods = {"list", "show", "edit"}
    list_columns = ["name", "region", "liaison_name", "liaison_phone"]
    show_columns = list_columns
    # "lock_version": the hidden optimistic-locking field of ZwModelView must be listed.
    edit_columns = ["liaison_name", "liaison_phone", "lock_version"]
    search_columns = ["name", "region", "liaison_name"]
    base_order = ("name", "asc")
    base_filters = [["active", FilterEqual, True]]
    label_columns = {
        "name": _l("Unit name"),
        "region": _l("Region"),
        "liaison_name": _l("Liaison"),
        "liaison_phone": _l("Liaison phone"),
    }

    def validate(self, item: Unit) -> None:
        services.validate_liaison(item)


class AccountOverviewView(BaseView):
    """The coordinator's per-unit overview of window accounts."""

    route_base = "/accounts/overview"
    class_permission_name = "AccountOverview"
    method_permission_name = {"index": "read"}
    default_view = "index"

    @expose("/")
    @has_access
    def index(self) -> Any:
        rows = services.overview(db.session, actor=current_actor())
        return self.render_template(
            "accounts/overview.html", rows=rows, unused_days=services.UNUSED_DAYS
        )


_PERIODS = {
    "second": _l("second"),
    "minute": _l("minute"),
    "hour": _l("hour"),
    "day": _l("day"),
}


def rate_limit_label(limit: str | None) -> str:
    """Flask-Limiter's 「10 per minute」 as users read it: 「每分钟 10 次」."""
    match = re.fullmatch(r"\s*(\d+)\s*(?:per|/)\s*(second|minute|hour|day)s?\s*", limit or "")
    if match is None:
        return limit or ""
    return _("%(n)s times per %(period)s", n=match.group(1), period=_PERIODS[match.group(2)])


class SecurityPolicyView(BaseView):
    """The password, lockout and session policy in force (read-only, for the security admin)."""

    route_base = "/security/policy"
    class_permission_name = "AccountSecurity"
    method_permission_name = {"index": "read"}
    default_view = "index"

    @expose("/")
    @has_access
    def index(self) -> Any:
        from flask import current_app

        config = current_app.config
        settings = [
            (
                _("Minimum password length"),
                "PASSWORD_MIN_LENGTH",
                policy.setting("PASSWORD_MIN_LENGTH"),
            ),
            (_("Character classes required"), "—", "3 / 4"),
            (
                _("Password history (no reuse)"),
                "PASSWORD_HISTORY",
                policy.setting("PASSWORD_HISTORY"),
            ),
            (
                _("Maximum password age (days)"),
                "PASSWORD_MAX_AGE_DAYS",
                policy.setting("PASSWORD_MAX_AGE_DAYS"),
            ),
            (
                _("Failures before the lock"),
                "LOCKOUT_THRESHOLD",
                policy.setting("LOCKOUT_THRESHOLD"),
            ),
            (_("Lock duration (minutes)"), "LOCKOUT_MINUTES", policy.setting("LOCKOUT_MINUTES")),
            (
                _("Session idle timeout (minutes)"),
                "SESSION_IDLE_MINUTES",
                policy.setting("SESSION_IDLE_MINUTES"),
            ),
            (
                _("Login rate limit per IP"),
                "LOGIN_RATE_LIMIT",
                rate_limit_label(config.get("LOGIN_RATE_LIMIT")),
            ),
            (_("Password hash"), "PASSWORD_HASH_METHOD", config.get("FAB_PASSWORD_HASH_METHOD")),
            (
                _("Secure cookies"),
                "SESSION_COOKIE_SECURE",
                _yes_no(config.get("SESSION_COOKIE_SECURE")),
            ),
            (
                _("Audit log kept at least (days)"),
                "AUDIT_RETENTION_DAYS",
                config.get("AUDIT_RETENTION_DAYS"),
            ),
        ]
        return self.render_template("accounts/policy.html", settings=settings)


class AccountSecurityView(ZwModelView):
    """The security administrator's view of accounts: locks, password state; unlock."""

    datamodel = ReachInterface(AppUser)
    class_permission_name = "AccountSecurity"
    list_title = show_title = _l("Account security")
    include_route_methods = {"list", "show", "action", "action_post"}
    list_columns = [
        "username",
        "first_name",
        "active",
        "last_login",
        "fail_login_count",
        "locked_until",
        "password_changed_at",
        "must_change_password",
    ]
    show_columns = list_columns
    search_columns = ["username", "active", "must_change_password"]
    base_order = ("username", "asc")
    label_columns = {
        "username": _l("User name"),
        "first_name": _l("Name"),
        "active": _l("Active"),
        "last_login": _l("Last sign-in"),
        "fail_login_count": _l("Consecutive failures"),
        "locked_until": _l("Locked until"),
        "password_changed_at": _l("Password changed"),
        "must_change_password": _l("Must change password"),
    }
    formatters_columns = {
        "active": _yes_no,
        "must_change_password": _yes_no,
        "last_login": format_datetime,
        "locked_until": format_datetime,
        "password_changed_at": format_datetime,
        "fail_login_count": lambda value: value or 0,
    }

    @action("unlock", _l("Unlock"), _l("Unlock the selected accounts?"), "fa-unlock")
    def unlock(self, items: Any) -> Any:
        items = items if isinstance(items, list) else [items]
        count = 0
        with unit_of_work(db.session, current_actor()):
            for user in items:
                if user.locked_until is not None or user.fail_login_count:
                    policy.unlock(db.session, user, expired=False)
                    count += 1
        flash(_("%(n)d account(s) unlocked.", n=count), "success")
        return redirect(self.get_redirect())

    @action(
        "force_logout",
        _l("Force logout"),
        _l("End every session of the selected accounts?"),
        "fa-sign-out",
    )
    def force_logout(self, items: Any) -> Any:
        items = items if isinstance(items, list) else [items]
        with unit_of_work(db.session, current_actor()):
            for user in items:
                force_logout_user(user)
        flash(_("%(n)d account(s) signed out.", n=len(items)), "success")
        return redirect(self.get_redirect())


def force_logout_user(user: AppUser) -> None:
    ended = policy.revoke_sessions(db.session, user, SessionEnd.FORCED)
    record(
        db.session,
        AuditAction.SECURITY,
        object_type="User",
        object_id=user.id,
        summary=_("Forced logout by the security administrator: %(u)s", u=user.username),
        after={"event": "forced_logout", "sessions": ended},
    )


class FilterOnline(BaseFilter):
    """Sessions active within the idle timeout, evaluated at query time."""

    name = _l("Online")
    arg_name = "online"

    def apply(self, query: Any, value: Any) -> Any:
        return query.filter(UserSession.last_seen_at > sessions.online_cutoff())


class OnlineUserView(ZwModelView):
    """Users signed in right now (active within the idle timeout), in a browser or through the
    API (JWT), with forced logout."""

    datamodel = ReachInterface(UserSession)
    class_permission_name = "AccountSecurity"
    list_title = show_title = _l("Online users")
    include_route_methods = {"list", "action", "action_post"}
    list_columns = [
        "username",
        "user",
        "kind_label",
        "ip",
        "user_agent",
        "created_at",
        "last_seen_at",
    ]
    search_columns = ["ip"]
    base_order = ("last_seen_at", "desc")
    base_filters = [
        ["active", FilterEqual, True],
        ["last_seen_at", FilterOnline, None],
    ]
    label_columns = {
        "username": _l("User name"),
        "user": _l("Name"),
        "kind_label": _l("Signed in through"),
        "ip": _l("IP address"),
        "user_agent": _l("Client"),
        "created_at": _l("Signed in"),
        "last_seen_at": _l("Last activity"),
    }
    formatters_columns = {"created_at": format_datetime, "last_seen_at": format_datetime}

    @action(
        "force_logout",
        _l("Force logout"),
        _l("Sign the selected users out everywhere?"),
        "fa-sign-out",
    )
    def force_logout(self, items: Any) -> Any:
        items = items if isinstance(items, list) else [items]
        users = {row.user_id: row.user for row in items}
        with unit_of_work(db.session, current_actor()):
            for user in users.values():
                force_logout_user(user)
        flash(_("%(n)d account(s) signed out.", n=len(users)), "success")
        return redirect(self.get_redirect())

    @action(
        "end_session",
        _l("End selected sessions"),
        _l("End only the selected sessions (the users stay signed in elsewhere)?"),
        "fa-times-circle",
    )
    def end_session(self, items: Any) -> Any:
        """End single sessions (one browser, one API sign-in) without touching the others."""
        items = items if isinstance(items, list) else [items]
        ended = 0
        with unit_of_work(db.session, current_actor()):
            for row in items:
                if sessions.end_session(row, SessionEnd.FORCED):
                    ended += 1
                    record(
                        db.session,
                        AuditAction.SECURITY,
                        object_type="User",
                        object_id=row.user_id,
                        summary=_(
                            "Session ended by the security administrator: %(u)s (%(kind)s, %(ip)s)",
                            u=row.username,
                            kind=row.kind_label,
                            ip=row.ip,
                        ),
                        after={"event": "session_ended", "session": row.id, "kind": row.kind},
                    )
        flash(_("%(n)d session(s) ended.", n=ended), "success")
        return redirect(self.get_redirect())
