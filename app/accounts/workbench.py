"""The accounts domain's tile on the workbench (app.core.workbench): window-account requests
waiting for the region coordinator's decision."""

from __future__ import annotations

from flask import url_for
from flask_babel import gettext as _

from app.accounts.models import AccountRequest
from app.accounts.states import RequestState
from app.core import roles
from app.core.workbench import Desk, Todo, count_todo, register_todo


def requests_to_decide(desk: Desk) -> Todo:
    return count_todo(
        desk,
        AccountRequest,
        AccountRequest.state == RequestState.PENDING.value,
        key="account-requests",
        label=_("Window-account requests to approve"),
        url=f"{url_for('AccountRequestView.list')}?_flt_0_state={RequestState.PENDING.value}",
    )


def register() -> None:
    register_todo(requests_to_decide, for_roles={roles.COUNTY_COORDINATOR})
