"""Forms of the accounts domain (Flask-WTF: every one carries a CSRF token)."""

from __future__ import annotations

from typing import Any

from flask_appbuilder.fields import QuerySelectField
from flask_appbuilder.fieldwidgets import (
    BS3TextAreaFieldWidget,
    BS3TextFieldWidget,
    Select2Widget,
)
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Field, HiddenField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional

from app.accounts import services
from app.accounts.models import WindowUser
from app.accounts.states import RequestKind, WindowUserStatus
from app.core.actor import current_actor
from app.core.models import Unit
from app.extensions import db


class DecisionForm(FlaskForm):
    """The coordinator's approve / reject form on a pending request."""

    version = HiddenField()
    reason = TextAreaField(_l("Reason (required to reject)"), validators=[Length(max=1000)])


class ConfirmForm(FlaskForm):
    """A bare form for POST buttons (forced logout, unlock): only the CSRF token."""


def _my_window_users() -> Any:
    """Window users a transfer or cancellation may name: the active ones in reach."""
    query = db.session.query(WindowUser).filter(WindowUser.status == WindowUserStatus.ACTIVE.value)
    return (
        current_actor()
        .reach.scope(query, WindowUser)
        .order_by(WindowUser.person_name, WindowUser.id)
    )


def _units_of_my_region() -> Any:
    """Target units of a transfer: the active units of the requester's region."""
    actor = current_actor()
    user = actor.user
    region_id = None
    if user is not None:
        region_id = user.unit.region_id if user.unit is not None else user.region_id
    query = db.session.query(Unit).filter(Unit.active.is_(True))
    if region_id is not None:
        query = query.filter(Unit.region_id == region_id)
    else:
        query = actor.reach.scope(query, Unit)
    return query.order_by(Unit.name, Unit.id)


def request_fields() -> dict[str, Field]:
    """The fields of the account-request form (the add form of AccountRequestView)."""
    return {
        "kind": SelectField(
            _l("Request"),
            choices=RequestKind.choices(),
        ),
        "role_name": SelectField(
            _l("Role"),
            choices=[SelectChoice(name, name) for name in services.WINDOW_ROLES],
            default=services.WINDOW_ROLES[0],
        ),
        # Which of these are needed depends on the request kind (checked by the service).
        "person_name": StringField(
            _l("Person's name"), [Optional(), Length(max=64)], widget=BS3TextFieldWidget()
        ),
        "mobile": StringField(
            _l("Mobile"), [Optional(), Length(max=20)], widget=BS3TextFieldWidget()
        ),
        "hall": StringField(
            _l("Service hall"), [Optional(), Length(max=128)], widget=BS3TextFieldWidget()
        ),
        "window_no": StringField(
            _l("Window number"), [Optional(), Length(max=32)], widget=BS3TextFieldWidget()
        ),
        "username": StringField(
            _l("User name"),
            [Optional(), Length(max=64)],
            widget=BS3TextFieldWidget(),
            description=_l("For a new account: the user name to create."),
        ),
        "note": TextAreaField(
            _l("Note"),
            [Optional(), Length(max=2000)],
            widget=BS3TextAreaFieldWidget(),
            description=_l("Required for a cancellation: the reason."),
        ),
        "window_user": QuerySelectField(
            _l("Window user"),
            query_func=_my_window_users,
            get_pk_func=lambda window_user: window_user.id,
            allow_blank=True,
            blank_text=_l("(none: new account)"),
            widget=Select2Widget(),
            description=_l("For a transfer or a cancellation: the window user concerned."),
        ),
        "target_unit": QuerySelectField(
            _l("Move to unit"),
            query_func=_units_of_my_region,
            get_pk_func=lambda unit: unit.id,
            allow_blank=True,
            blank_text=_l("(same unit)"),
            widget=Select2Widget(),
        ),
    }
