"""The security manager: our user model, audited logins, one shared rate limiter."""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app, g, has_request_context, redirect, request
from flask_appbuilder import expose
from flask_appbuilder.security import views as fab_views
from flask_appbuilder.security.forms import ResetPasswordForm
from flask_appbuilder.security.sqla.manager import SecurityManager
from flask_babel import lazy_gettext as _l
from flask_jwt_extended import JWTManager
from flask_limiter import Limiter
from flask_login import current_user
from werkzeug.security import check_password_hash
from wtforms import PasswordField
from wtforms.validators import DataRequired, EqualTo
from wtforms.validators import ValidationError as FormValidationError

from app.core.actor import Actor, acting_as
from app.core.audit import AuditAction, record
from app.core.errors import DomainError
from app.core.models import AppUser
from app.core.reach import Reach


def _user_for_password_form() -> Any:
    """The user whose password a reset form sets: the signed-in user, or ``?pk=`` for admins."""
    from app.extensions import db

    if request.blueprint == "ResetPasswordView":
        pk = request.args.get("pk")
        return db.session.get(AppUser, int(pk)) if pk and pk.isdigit() else None
    return db.session.get(AppUser, g.user.id) if getattr(g, "user", None) else None


def new_password_validator(form: Any, field: Any) -> None:
    """Form validator: complexity (with the user name) and no reuse of recent passwords."""
    from app.accounts import policy
    from app.extensions import db

    if "username" in form:  # the user add form: no history yet
        user: Any = AppUser(username=form.username.data or "")
    else:
        user = _user_for_password_form()
    try:
        policy.check_new_password(db.session, user, field.data or "")
    except DomainError as error:
        raise FormValidationError(str(error)) from None


def separated_roles_validator(form: Any, field: Any) -> None:
    """Form validator: 三员分立 and no FAB Admin role for people."""
    from app.accounts import policy

    problem = policy.role_assignment_problem(field.data or [])
    if problem:
        raise FormValidationError(problem)


class ZwResetPasswordForm(ResetPasswordForm):
    password = PasswordField(
        _l("Password"),
        description=_l(
            "At least 8 characters with three of: lower-case letters, upper-case letters, "
            "digits, other characters; not containing the user name; not one of the last 5."
        ),
        validators=[DataRequired(), new_password_validator],
    )


# Our subclasses keep FAB's class names: they are the view-menu names of the permissions (grants
# name "UserDBModelView", "ResetMyPasswordView", ...) and the endpoints ("AuthDBView.login").


class ResetMyPasswordView(fab_views.ResetMyPasswordView):
    form = ZwResetPasswordForm

    def form_post(self, form: Any) -> None:
        from app.accounts import sessions

        super().form_post(form)
        # The change ended every session of the user; this one carries on under the new epoch.
        sessions.restart_session(g.user)


class ResetPasswordView(fab_views.ResetPasswordView):
    form = ZwResetPasswordForm


class AuthDBView(fab_views.AuthDBView):
    # The same message for a wrong password, an unknown user, a disabled or a locked account.
    invalid_login_message = _l(
        "Invalid login, or the account is temporarily locked after repeated failures. "
        "Please try again later or contact your administrator."
    )

    @expose("/logout/", methods=["GET", "POST"])
    def logout(self) -> Any:
        """Sign out by POST only, with the CSRF token that ``CSRFProtect`` checks.

        A GET (a link or an image on another site) only asks: FAB's GET logout let any page
        sign the user out.
        """
        if request.method == "POST":
            return super().logout()
        if not current_user.is_authenticated:
            return redirect(self.appbuilder.get_url_for_index)
        return self.render_template("zwfw/logout.html")


class UserDBModelView(fab_views.UserDBModelView):
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
    validators_columns = {"roles": [separated_roles_validator]}
    add_form_extra_fields = {
        "password": PasswordField(
            _l("Password"),
            description=ZwResetPasswordForm.password.kwargs["description"],
            validators=[DataRequired(), new_password_validator],
        ),
        "conf_password": PasswordField(
            _l("Confirm Password"),
            description=_l("Please rewrite the user's password to confirm"),
            validators=[EqualTo("password", message=_l("Passwords must match"))],
        ),
    }

    def pre_add(self, item: Any) -> None:
        from app.accounts import policy
        from app.extensions import db

        policy.check_new_password(db.session, item, item.password)
        policy.check_role_assignment(item.roles)
        super().pre_add(item)
        # An account made by an administrator starts with a temporary password.
        item.must_change_password = True

    def pre_update(self, item: Any) -> None:
        from app.accounts import policy

        policy.check_may_manage(item)
        policy.check_role_assignment(item.roles)
        super().pre_update(item)


ZwUserDBModelView = UserDBModelView
ZwResetMyPasswordView = ResetMyPasswordView
ZwResetPasswordView = ResetPasswordView
ZwAuthDBView = AuthDBView


class ZwSecurityManager(SecurityManager):
    user_model = AppUser
    userdbmodelview = ZwUserDBModelView
    # FAB's chart view loads Google's chart library from the internet, which an intranet cannot
    # reach; charts are drawn with matplotlib instead.
    userstatschartview = None
    resetmypasswordview = ZwResetMyPasswordView
    resetpasswordview = ZwResetPasswordView
    authdbview = ZwAuthDBView

    def create_limiter(self, app: Flask) -> Limiter:
        from app.extensions import limiter

        return limiter

    def create_jwt_manager(self, app: Flask) -> JWTManager:
        """FAB's JWT manager; tokens carry the session epoch, so a password change,
        a disable or a forced logout also ends the JWTs issued before."""
        jwt_manager = super().create_jwt_manager(app)

        @jwt_manager.additional_claims_loader
        def _epoch_claim(identity: Any) -> dict[str, Any]:
            user = self.get_user_by_id(int(identity)) if str(identity).isdigit() else None
            return {"zw_epoch": user.session_epoch or 0} if user is not None else {}

        return jwt_manager

    def load_user_jwt(self, _jwt_header: Any, jwt_data: Any) -> Any:
        from app.accounts import policy

        user = self.load_user(jwt_data["sub"])
        if user is None or not user.is_active:
            return None
        if jwt_data.get("zw_epoch") != (user.session_epoch or 0):
            return None
        if policy.must_change_password(user):
            return None
        g.user = user
        return user

    def add_user(
        self,
        username: str,
        first_name: str,
        last_name: str,
        email: str,
        role: Any = None,
        password: str = "",
        *args: Any,
        **kwargs: Any,
    ) -> Any:
        """FAB's add_user with the password policy and 三员分立 (used by the CLI and services)."""
        from app.accounts import policy

        if password:
            policy.check_complexity(password, username)
        policy.check_role_assignment(role if isinstance(role, list) else [role] if role else [])
        return super().add_user(
            username, first_name, last_name, email, role, password, *args, **kwargs
        )

    def reset_password(self, userid: Any, password: str) -> None:
        """Every password reset (own or by an administrator) goes through the policy."""
        from app.accounts import policy

        user = self.get_user_by_id(int(userid))
        policy.check_may_manage(user)
        by_self = (
            bool(getattr(g, "user", None))
            and g.user.id == user.id
            and (request.blueprint == "ResetMyPasswordView" if has_request_context() else False)
        )
        policy.set_password(self.session, user, password, by_self=by_self)
        self.session.commit()

    def on_user_logout(self, user: Any) -> None:
        from app.accounts import sessions
        from app.accounts.states import SessionEnd

        sessions.end_current_session(SessionEnd.LOGOUT)
        who = Actor(
            user_id=user.id,
            username=user.username,
            ip=request.remote_addr or "" if has_request_context() else "",
            reach=Reach.unrestricted(),
        )
        with acting_as(who):
            record(
                self.session,
                AuditAction.LOGOUT,
                object_type="User",
                object_id=user.id,
                summary=user.username,
            )
            self.session.commit()

    def auth_user_db(self, username: str, password: str) -> Any:
        """FAB's password check, with the account lockout and every attempt audited.

        The login bookkeeping (login count, failure count, lock) is written by the system, since
        the person is not logged in yet; the audit row names the user name that was tried. A
        locked account answers exactly like a wrong password (the message reveals nothing).
        """
        from app.accounts import policy

        ip = request.remote_addr or "" if has_request_context() else ""
        attempt = Actor(
            user_id=None, username=(username or "")[:128], ip=ip, reach=Reach.unrestricted()
        )
        locked = False
        with acting_as(attempt):
            # FAB also accepts the e-mail address as the login name: the lock follows the account.
            known = (
                (self.find_user(username=username) or self.find_user(email=username))
                if username
                else None
            )
            if known is not None and known.locked_until is not None:
                if policy.is_locked(known):
                    locked = True
                else:
                    policy.unlock(self.session, known, expired=True)
                    self.session.commit()
            if locked:
                # Spend the same time as a real check, and change nothing.
                check_password_hash(current_app.config["AUTH_DB_FAKE_PASSWORD_HASH_CHECK"], "x")
                user = None
            else:
                user = super().auth_user_db(username, password)
                if (
                    user is None
                    and known is not None
                    and known.is_active
                    and (known.fail_login_count or 0) >= policy.setting("LOCKOUT_THRESHOLD")
                ):
                    policy.lock(self.session, known)
                    self.session.commit()
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
                summary=(username or "") + (" (locked)" if locked else ""),
            )
            self.session.commit()
        return user
