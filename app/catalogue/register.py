"""Menu entries, APIs and the public publication pages of the catalogue domain."""

from __future__ import annotations

from flask import current_app
from flask_appbuilder import AppBuilder
from flask_babel import lazy_gettext as _l

from app.catalogue.api import (
    AdjustmentApi,
    BasicCatalogueApi,
    FilingApi,
    ImplementationItemApi,
    ItemTypeApi,
    ItemVersionApi,
)
from app.catalogue.filing_views import FilingView
from app.catalogue.public import blueprint
from app.catalogue.views import (
    AdjustmentView,
    BasicCatalogueView,
    ImplementationItemView,
    ItemTypeView,
    may_propose,
)

# The filters of the implementation list page (ImplementationItemView), also of its exports.
ITEM_SEARCH = ("implementation_code", "basic_entry", "unit", "region", "status")
# The filters of the basic catalogue page (BasicCatalogueView), also of its exports.
ENTRY_SEARCH = ("basic_code", "name", "item_type", "source", "status")


def register(appbuilder: AppBuilder) -> None:
    from app.catalogue import workbench

    workbench.register()  # the catalogue tiles of the landing page
    # {% if may_propose(pk) %}: the item page offers 「提出调整」 only to who may.
    current_app.jinja_env.globals["may_propose"] = may_propose
    _register_spreadsheet()
    cat = {
        "category": "Catalogue",
        "category_label": _l("Service items"),
        "category_icon": "fa-list-alt",
    }
    appbuilder.add_view(
        BasicCatalogueView, "Basic catalogue", label=_l("Basic catalogue"), icon="fa-book", **cat
    )
    appbuilder.add_view(
        ImplementationItemView,
        "Implementation list",
        label=_l("Implementation list"),
        icon="fa-list",
        **cat,
    )
    appbuilder.add_view(
        AdjustmentView,
        "Adjustments",
        label=_l("Adjustment requests"),
        icon="fa-exchange-alt",
        **cat,
    )
    appbuilder.add_link(
        "My review queue",
        href="/adjustmentview/queue",
        label=_l("My review queue"),
        icon="fa-inbox",
        **cat,
    )
    appbuilder.add_view(FilingView, "Filings", label=_l("Filings"), icon="fa-stamp", **cat)
    appbuilder.add_view(ItemTypeView, "Item types", label=_l("Item types"), icon="fa-tags", **cat)
    appbuilder.add_link(
        "Public service guide",
        href="/public/",
        label=_l("Public service guide"),
        icon="fa-globe",
        **cat,
    )
    for api in (
        BasicCatalogueApi,
        ImplementationItemApi,
        AdjustmentApi,
        FilingApi,
        ItemTypeApi,
        ItemVersionApi,
    ):
        appbuilder.add_api(api)
    current_app.register_blueprint(blueprint)
    from app.catalogue.jobs import register_commands

    register_commands(current_app._get_current_object())  # type: ignore[attr-defined]


def _register_spreadsheet() -> None:
    """The implementation list in the spreadsheet engine (app.excel adds its pages in its turn)."""
    from app.catalogue.models import BasicCatalogueEntry, ImplementationItem
    from app.catalogue.spreadsheet import ImplementationListSpec
    from app.catalogue.spreadsheet_entries import BasicCatalogueSpec
    from app.excel.register import ListPages, add_list

    add_list(
        ListPages(
            spec=ImplementationListSpec(),
            model=ImplementationItem,
            search_columns=ITEM_SEARCH,
            menu_name="Implementation list spreadsheets",
            label=_l("Implementation list (Excel)"),
            icon="fa-list-alt",
            resource="implementation_list",
        )
    )
    add_list(
        ListPages(
            spec=BasicCatalogueSpec(),
            model=BasicCatalogueEntry,
            search_columns=ENTRY_SEARCH,
            menu_name="Basic catalogue spreadsheets",
            label=_l("Basic catalogue (Excel)"),
            icon="fa-book",
            resource="basic_catalogue_list",
        )
    )
