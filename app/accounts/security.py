"""The security manager (config ``FAB_SECURITY_MANAGER_CLASS``): our user model, audited logins,
one shared rate limiter, and the JWT API sign-in (a session row per sign-in, the same idle timeout
as the browser, 401 answers)."""

from __future__ import annotations

from typing import Any

from flask import (
    Flask,
    Response,
    current_app,
    flash,
    g,
    has_request_context,
    jsonify,
    redirect,
    request,
)
from flask_appbuilder.api import safe
from flask_appbuilder.const import (
    API_SECURITY_ACCESS_TOKEN_KEY,
    API_SECURITY_PROVIDER_DB,
    API_SECURITY_REFRESH_TOKEN_KEY,
)
from flask_appbuilder.fieldwidgets import BS3TextFieldWidget
from flask_appbuilder.forms import DynamicForm
from flask_appbuilder.models.sqla.filters import FilterNotEqual
from flask_appbuilder.security import api as fab_api
from flask_appbuilder.security import views as fab_views
from flask_appbuilder.security.forms import ResetPasswordForm
from flask_appbuilder.security.schemas import login_post
from flask_appbuilder.security.sqla.manager import SecurityManager
from flask_appbuilder.views import expose
from flask_appbuilder.widgets import ListWidget, ShowWidget
from flask_babel import lazy_gettext as _l
from flask_jwt_extended import (
    JWTManager,
    create_access_token,
    create_refresh_token,
    get_jwt,
    get_jwt_identity,
    jwt_required,
)
from flask_limiter import Limiter
from flask_login import current_user
from marshmallow import ValidationError
from werkzeug.security import check_password_hash
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo
from wtforms.validators import ValidationError as FormValidationError

from app.accounts import policy, sessions
from app.accounts.states import SessionEnd
from app.core import permission_labels
from app.core.actor import Actor
from app.core.audit import AuditAction, record
from app.core.calendar import format_datetime
from app.core.errors import DomainError
from app.core.models import AppUser, utcnow
from app.core.reach import Reach
from app.core.unit_of_work import unit_of_work


def _user_for_password_form() -> Any:
    """The user whose password a reset form sets: the signed-in user, or ``?pk=`` for admins."""
    from app.extensions import db

    if request.blueprint == "ResetPasswordView":
        pk = request.args.get("pk")
        return db.session.get(AppUser, int(pk)) if pk and pk.isdigit() else None
    return db.session.get(AppUser, g.user.id) if getattr(g, "user", None) else None


def new_password_validator(form: Any, field: Any) -> None:
    """Form validator: complexity (with the user name) and no reuse of recent passwords."""
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

    chosen = field.data or []
    # A role the form does not offer (Admin, Public) is left out of ``data`` by FAB's field and
    # only flagged: refuse it rather than save the others (FAB checks the flag too early).
    if getattr(field, "_invalid_formdata", False):
        raise FormValidationError(_l("A person may not be given this role."))
    if not chosen:
        raise FormValidationError(_l("Choose at least one role."))
    problem = policy.role_assignment_problem(chosen)
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
    # Declared again after ``password``: a form lists its fields in the order they were made,
    # and the parent's confirmation would otherwise come first.
    conf_password = PasswordField(
        _l("Confirm password"),
        description=_l("Please rewrite the user's password to confirm"),
        validators=[DataRequired(), EqualTo("password", message=_l("Passwords must match"))],
    )


class ZwUserInfoEdit(DynamicForm):
    """The profile form: one 姓名 (FAB asks for a first and a required last name)."""

    first_name = StringField(
        _l("Full name"),
        validators=[DataRequired()],
        widget=BS3TextFieldWidget(),
        description=_l("The person's full name, as it appears on their ID card"),
    )


# Our subclasses keep FAB's class names: they are the view-menu names of the permissions (grants
# name "UserDBModelView", "ResetMyPasswordView", ...) and the endpoints ("AuthDBView.login").


class ResetMyPasswordView(fab_views.ResetMyPasswordView):
    form = ZwResetPasswordForm

    message = _l("Your password was changed.")

    def form_post(self, form: Any) -> None:

        self.appbuilder.sm.reset_password(g.user.id, form.password.data)
        # The change ended every session of the user; this one carries on under the new epoch
        # (a fresh session: the message is flashed into it, not into the one it replaces).
        sessions.restart_session(g.user)
        flash(str(self.message), "success")


class ResetPasswordView(fab_views.ResetPasswordView):
    form = ZwResetPasswordForm
    message = _l("The password was changed.")


class UserInfoEditView(fab_views.UserInfoEditView):
    form = ZwUserInfoEdit
    form_title = _l("Edit my details")
    message = _l("Your details were saved.")


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


def _yes_no(value: Any) -> str:
    return str(_l("Yes") if value else _l("No"))


def _blank_if_none(value: Any) -> Any:
    return "" if value is None else value


def _role_names(roles: Any) -> str:
    return "、".join(str(role) for role in roles or [])


# Roles no person is given: FAB's Admin (every permission, against 三员分立) and Public (the
# anonymous visitor's). The form offers only the others.
NOT_FOR_PEOPLE = ("Admin", "Public")
ROLE_CHOICES_FILTER = [["name", FilterNotEqual, name] for name in NOT_FOR_PEOPLE]


class UserDBModelView(fab_views.UserDBModelView):
    """FAB's user admin with the reach fields (region, unit) every user needs, in Chinese: one
    姓名 (``first_name``; ``last_name`` stays empty), only the roles a person may be given."""

    show_fieldsets = [
        (_l("User info"), {"fields": ["username", "active", "roles", "login_count"]}),
        (_l("Reach"), {"fields": ["region", "unit"]}),
        (_l("Personal info"), {"fields": ["first_name", "email"], "expanded": True}),
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
        (_l("Personal info"), {"fields": ["first_name", "email"], "expanded": True}),
    ]
    list_columns = ["first_name", "username", "region", "unit", "roles", "active"]
    search_columns = ["first_name", "username", "email", "active", "roles", "region", "unit"]
    add_columns = [
        "first_name",
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
        "username",
        "active",
        "email",
        "roles",
        "region",
        "unit",
    ]
    label_columns = {
        "first_name": _l("Full name"),
        "username": _l("User name"),
        "password": _l("Password"),
        "conf_password": _l("Confirm password"),
        "active": _l("Active"),
        "email": _l("Email"),
        "roles": _l("Roles"),
        "last_login": _l("Last login"),
        "login_count": _l("Login count"),
        "fail_login_count": _l("Failed logins"),
        "created_on": _l("Created at"),
        "created_by": _l("Created by"),
        "changed_on": _l("Changed at"),
        "changed_by": _l("Changed by"),
        "region": _l("Region"),
        "unit": _l("Implementing unit"),
    }
    description_columns = {
        "first_name": _l("The person's full name, as it appears on their ID card"),
        "username": _l("The name the person signs in with (letters, digits, underscores)"),
        "active": _l("Disable an account instead of deleting it: its records keep its name."),
        "email": _l("A work email address"),
        "roles": _l("What the person may do; the region and unit below limit where."),
    }
    # FAB stamps created_on/changed_on with the server's clock: right when it runs in UTC.
    formatters_columns = {
        "last_login": format_datetime,
        "created_on": format_datetime,
        "changed_on": format_datetime,
        "active": _yes_no,
        "roles": _role_names,
        "region": _blank_if_none,
        "unit": _blank_if_none,
        "email": _blank_if_none,
        "created_by": _blank_if_none,
        "changed_by": _blank_if_none,
        "fail_login_count": _blank_if_none,
        "login_count": _blank_if_none,
    }
    add_form_query_rel_fields = edit_form_query_rel_fields = {"roles": ROLE_CHOICES_FILTER}
    base_order = ("username", "asc")
    validators_columns = {"roles": [separated_roles_validator]}
    add_form_extra_fields = {
        "password": PasswordField(
            _l("Password"),
            description=ZwResetPasswordForm.password.kwargs["description"],
            validators=[DataRequired(), new_password_validator],
        ),
        "conf_password": PasswordField(
            _l("Confirm password"),
            description=_l("Please rewrite the user's password to confirm"),
            validators=[EqualTo("password", message=_l("Passwords must match"))],
        ),
    }

    def pre_add(self, item: Any) -> None:
        from app.extensions import db

        policy.check_new_password(db.session, item, item.password)
        policy.check_role_assignment(item.roles)
        item.last_name = item.last_name or ""  # one 姓名: first_name holds it
        super().pre_add(item)
        # An account made by an administrator starts with a temporary password.
        item.must_change_password = True

    def pre_update(self, item: Any) -> None:

        policy.check_may_manage(item)
        policy.check_role_assignment(item.roles)
        item.last_name = item.last_name or ""
        super().pre_update(item)


def _permission_views(permission_views: Any) -> str:
    """A role's permissions, one a line, in Chinese (the show page keeps line breaks)."""
    return "\n".join(sorted(str(pv) for pv in permission_views or []))


class RoleModelView(fab_views.RoleModelView):
    """FAB's role admin (the security administrator's) with the permissions in Chinese: the
    generic list and show widgets, which apply ``formatters_columns`` (no FAB_ROLES here)."""

    list_widget = ListWidget
    show_widget = ShowWidget
    formatters_columns = {"name": permission_labels.role_label, "permissions": _permission_views}
    # FAB's default adds its user and group relations, labelled in English; no role has groups.
    search_columns = ["name", "permissions"]


class PermissionModelView(fab_views.PermissionModelView):
    formatters_columns = {"name": permission_labels.permission_label}


class ViewMenuModelView(fab_views.ViewMenuModelView):
    formatters_columns = {"name": permission_labels.view_menu_label}


class PermissionViewModelView(fab_views.PermissionViewModelView):
    """Its columns are the permission and view objects, shown by ``str`` (Chinese)."""

    # FAB's default adds the role relation, labelled in English.
    search_columns = ["permission", "view_menu"]


# The one answer to a missing, malformed, badly signed, expired, revoked or no longer valid token
# (ended session, unknown or disabled user): 401, no detail and no internal ids.
TOKEN_INVALID_MESSAGE = _l("Your sign-in is no longer valid. Please sign in again.")
TOKEN_MISSING_MESSAGE = _l("Please sign in.")


def token_refused(message: Any = None) -> tuple[Response, int]:
    """The JSON 401 of every refused token (``g.zw_auth_message`` may say why, e.g. idle)."""
    text = message or g.pop("zw_auth_message", None) or TOKEN_INVALID_MESSAGE
    return jsonify(message=str(text)), 401


def install_token_errors(jwt_manager: JWTManager) -> None:
    """Flask-JWT-Extended's error answers, all in one place (its defaults answer 422 with the
    library's reason, and "Error loading the user <id>" when the user loader refuses)."""
    jwt_manager.unauthorized_loader(lambda _reason: token_refused(TOKEN_MISSING_MESSAGE))
    jwt_manager.invalid_token_loader(lambda _reason: token_refused())
    jwt_manager.expired_token_loader(lambda _header, _data: token_refused())
    jwt_manager.revoked_token_loader(lambda _header, _data: token_refused())
    jwt_manager.needs_fresh_token_loader(lambda _header, _data: token_refused())
    jwt_manager.token_verification_failed_loader(lambda _header, _data: token_refused())
    jwt_manager.user_lookup_error_loader(lambda _header, _data: token_refused())


class SecurityApi(fab_api.SecurityApi):
    """FAB's JWT login and refresh, with an API session: the sign-in opens a session row (shown
    in 在线用户, ended by a forced logout or by ``/logout``) whose sid both tokens carry; refresh
    keeps it. The class keeps FAB's name (endpoints ``SecurityApi.login`` ...)."""

    @expose("/login", methods=["POST"])
    @safe
    def login(self) -> Response:
        """Sign in and get a JWT access token and, optionally, a refresh token.
        ---
        post:
          description: >-
            Authenticate with user name and password (provider db); opens an API session
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  type: object
                  properties:
                    username: {type: string}
                    password: {type: string}
                    provider: {type: string, enum: [db]}
                    refresh: {type: boolean}
          responses:
            200:
              description: signed in
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      access_token: {type: string}
                      refresh_token: {type: string}
            400:
              $ref: '#/components/responses/400'
            401:
              $ref: '#/components/responses/401'
        """
        if not request.is_json:
            return self.response_400(message=str(_l("The request body must be JSON.")))
        try:
            payload = login_post.load(request.json)
        except ValidationError as error:
            return self.response_400(message=error.messages)
        user = None
        if payload["provider"] == API_SECURITY_PROVIDER_DB:
            user = self.appbuilder.sm.auth_user_db(payload["username"], payload["password"])
        if not user:
            # The login form's message: the same for every reason, and translated.
            return self.response(401, message=str(AuthDBView.invalid_login_message))

        claims = {sessions.API_SID_CLAIM: sessions.open_api_session(user)}
        result = {
            API_SECURITY_ACCESS_TOKEN_KEY: create_access_token(
                identity=str(user.id), fresh=True, additional_claims=claims
            )
        }
        if payload.get("refresh"):
            result[API_SECURITY_REFRESH_TOKEN_KEY] = create_refresh_token(
                identity=str(user.id), additional_claims=claims
            )
        return self.response(200, **result)

    @expose("/refresh", methods=["POST"])
    @jwt_required(refresh=True)
    @safe
    def refresh(self) -> Response:
        """A new access token for a refresh token whose session is still alive.
        ---
        post:
          description: >-
            Use the refresh token to get a new access token of the same API session
          responses:
            200:
              description: refreshed
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      access_token: {type: string}
            401:
              $ref: '#/components/responses/401'
          security:
            - jwt_refresh: []
        """

        claims = {sessions.API_SID_CLAIM: get_jwt()[sessions.API_SID_CLAIM]}
        token = create_access_token(
            identity=get_jwt_identity(), fresh=False, additional_claims=claims
        )
        return self.response(200, **{API_SECURITY_ACCESS_TOKEN_KEY: token})

    @expose("/logout", methods=["POST"])
    @jwt_required(verify_type=False)
    @safe
    def logout(self) -> Response:
        """End the API session of this token (its access and refresh tokens stop working).
        ---
        post:
          description: >-
            Sign out with the access or the refresh token
          responses:
            200:
              description: signed out
            401:
              $ref: '#/components/responses/401'
          security:
            - jwt: []
        """

        sessions.end_api_session(get_jwt()[sessions.API_SID_CLAIM], SessionEnd.LOGOUT)
        self.appbuilder.sm.audit_logout(g.user)
        return self.response(200, message=str(_l("Signed out")))


ZwUserDBModelView = UserDBModelView
ZwResetMyPasswordView = ResetMyPasswordView
ZwResetPasswordView = ResetPasswordView
ZwAuthDBView = AuthDBView
ZwUserInfoEditView = UserInfoEditView


class ZwSecurityManager(SecurityManager):
    user_model = AppUser
    userdbmodelview = ZwUserDBModelView
    # FAB's chart view loads Google's chart library from the internet, which an intranet cannot
    # reach; charts are drawn with matplotlib instead.
    userstatschartview = None
    resetmypasswordview = ZwResetMyPasswordView
    resetpasswordview = ZwResetPasswordView
    authdbview = ZwAuthDBView
    userinfoeditview = ZwUserInfoEditView
    rolemodelview = RoleModelView
    permissionmodelview = PermissionModelView
    viewmenumodelview = ViewMenuModelView
    permissionviewmodelview = PermissionViewModelView
    security_api = SecurityApi

    def create_limiter(self, app: Flask) -> Limiter:
        from app.extensions import limiter

        return limiter

    def create_jwt_manager(self, app: Flask) -> JWTManager:
        """FAB's JWT manager; tokens carry the session epoch, so a password change,
        a disable or a forced logout also ends the JWTs issued before, and the API session
        (``zw_sid``, see :class:`SecurityApi`). Refused tokens answer 401.
        """
        jwt_manager = super().create_jwt_manager(app)
        install_token_errors(jwt_manager)

        @jwt_manager.additional_claims_loader
        def _epoch_claim(identity: Any) -> dict[str, Any]:
            user = self.get_user_by_id(int(identity)) if str(identity).isdigit() else None
            return {"zw_epoch": user.session_epoch or 0} if user is not None else {}

        return jwt_manager

    def load_user_jwt(self, _jwt_header: Any, jwt_data: Any) -> Any:
        """The user of a token (access or refresh), or None: then the token is refused (401)."""

        subject = str(jwt_data.get("sub", ""))
        user = self.load_user(int(subject)) if subject.isdigit() else None
        if user is None or not user.is_active:
            return None
        if jwt_data.get("zw_epoch") != (user.session_epoch or 0):
            return None
        if not sessions.check_api_session(jwt_data, user):
            return None
        if policy.must_change_password(user):
            g.zw_auth_message = _l("Change your password before going on.")
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

        if password:
            policy.check_complexity(password, username)
        policy.check_role_assignment(role if isinstance(role, list) else [role] if role else [])
        return super().add_user(
            username, first_name, last_name, email, role, password, *args, **kwargs
        )

    def reset_password(self, userid: Any, password: str) -> None:
        """Every password reset (own or by an administrator) goes through the policy."""

        user = self.get_user_by_id(int(userid))
        policy.check_may_manage(user)
        by_self = (
            bool(getattr(g, "user", None))
            and g.user.id == user.id
            and (request.blueprint == "ResetMyPasswordView" if has_request_context() else False)
        )
        policy.set_password(self.session, user, password, by_self=by_self)
        # FAB's security-manager API: its reset-password views call this and expect it saved,
        # so the hook is the boundary of that use case (FAB's own commit, like add/edit).
        self.session.commit()

    def update_user_auth_stat(self, user: Any, success: bool = True) -> None:
        """FAB's login bookkeeping, with ``last_login`` as a stored instant (UTC, the one clock):
        FAB stamps it with the server's local time."""
        super().update_user_auth_stat(user, success)
        if success:
            user.last_login = utcnow()
            self.update_user(user)

    def on_user_logout(self, user: Any) -> None:

        sessions.end_current_session(SessionEnd.LOGOUT)
        self.audit_logout(user)

    def audit_logout(self, user: Any) -> None:
        """The audit row of a sign-out (browser or API)."""
        who = Actor(
            user_id=user.id,
            username=user.username,
            ip=request.remote_addr or "" if has_request_context() else "",
            reach=Reach.unrestricted(),
        )
        with unit_of_work(self.session, who):
            record(
                self.session,
                AuditAction.LOGOUT,
                object_type="User",
                object_id=user.id,
                summary=user.username,
            )

    def auth_user_db(self, username: str, password: str) -> Any:
        """FAB's password check, with the account lockout and every attempt audited.

        The login bookkeeping (login count, failure count, lock) is written by the system, since
        the person is not logged in yet; the audit row names the user name that was tried. A
        locked account answers exactly like a wrong password (the message reveals nothing).
        """

        ip = request.remote_addr or "" if has_request_context() else ""
        attempt = Actor(
            user_id=None, username=(username or "")[:128], ip=ip, reach=Reach.unrestricted()
        )
        locked = False
        with unit_of_work(self.session, attempt):
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
                    self.session.flush()
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
        outcome = AuditAction.LOGIN if user else AuditAction.LOGIN_FAILED
        who = Actor(
            user_id=user.id if user else None,
            username=(username or "")[:128],
            ip=ip,
            reach=Reach.unrestricted(),
        )
        with unit_of_work(self.session, who):
            record(
                self.session,
                outcome,
                object_type="User",
                object_id=user.id if user else "",
                summary=(username or "") + (" (locked)" if locked else ""),
            )
        return user
