"""Menu entries and APIs of the accounts domain, and the session and account guards."""

from __future__ import annotations

from flask import current_app
from flask_appbuilder import AppBuilder
from flask_babel import lazy_gettext as _l
from sqlalchemy import event
from sqlalchemy.orm import Session

from app.accounts import sessions
from app.accounts.api import AccountRequestApi, WindowUserApi
from app.accounts.models import AccountRequest
from app.accounts.policy import guard_user_flush
from app.accounts.spreadsheet import WindowAccountRequestSpec
from app.accounts.views import (
    AccountOverviewView,
    AccountRequestView,
    AccountSecurityView,
    LiaisonView,
    OnlineUserView,
    SecurityPolicyView,
    WindowUserView,
)

SPREADSHEET_MENU = "Window account spreadsheets"
REQUEST_SEARCH = ("kind", "state", "unit", "username")


def _before_flush(session: Session, _context: object, _instances: object) -> None:
    guard_user_flush(session)


def register(appbuilder: AppBuilder) -> None:
    from app.accounts import workbench

    workbench.register()  # the accounts tiles of the landing page
    if not event.contains(Session, "before_flush", _before_flush):
        event.listen(Session, "before_flush", _before_flush)
    sessions.install(current_app._get_current_object())
    accounts = {
        "category": "Window accounts",
        "category_label": _l("Window accounts"),
        "category_icon": "fa-id-badge",
    }
    appbuilder.add_view(
        AccountOverviewView,
        "Accounts overview",
        label=_l("Overview by unit"),
        icon="fa-table",
        **accounts,
    )
    appbuilder.add_view(
        AccountRequestView,
        "Account requests",
        label=_l("Account requests"),
        icon="fa-inbox",
        **accounts,
    )
    appbuilder.add_view(
        WindowUserView, "Window users", label=_l("Window users"), icon="fa-users", **accounts
    )
    appbuilder.add_view(
        LiaisonView, "Unit liaisons", label=_l("Unit liaisons"), icon="fa-phone", **accounts
    )
    security = {
        "category": "Security",
        "category_label": _l("Security"),
        "category_icon": "fa-cogs",
    }
    appbuilder.add_view(
        AccountSecurityView,
        "Account security",
        label=_l("Account security"),
        icon="fa-user-lock",
        **security,
    )
    appbuilder.add_view(
        OnlineUserView, "Online users", label=_l("Online users"), icon="fa-signal", **security
    )
    appbuilder.add_view(
        SecurityPolicyView,
        "Security policy",
        label=_l("Password and lock policy"),
        icon="fa-key",
        **security,
    )
    for api in (AccountRequestApi, WindowUserApi):
        appbuilder.add_api(api)
    _register_spreadsheets(appbuilder)


def _register_spreadsheets(appbuilder: AppBuilder) -> None:
    """Bulk requests by Excel through the shared engine (app.excel)."""
    from app.core.reach import ReachInterface
    from app.excel import services as excel
    from app.excel.api import list_api_for
    from app.excel.views import import_view_for

    spec = excel.register_spec(WindowAccountRequestSpec())
    datamodel = ReachInterface(AccountRequest)
    appbuilder.add_view(
        import_view_for(spec, list_datamodel=datamodel, search_columns=REQUEST_SEARCH),
        SPREADSHEET_MENU,
        label=_l("Window account requests (Excel)"),
        icon="fa-id-badge",
        category="Spreadsheets",
        category_label=_l("Import and export"),
        category_icon="fa-file-excel",
    )
    appbuilder.add_api(
        list_api_for(
            spec, "account_request_list", list_datamodel=datamodel, search_columns=REQUEST_SEARCH
        )
    )
