"""Menu entries, APIs and the public publication pages of the catalogue domain."""

from __future__ import annotations

from flask import current_app
from flask_appbuilder import AppBuilder
from flask_babel import lazy_gettext as _l

from app.catalogue.api import AdjustmentApi, BasicCatalogueApi, FilingApi, ImplementationItemApi
from app.catalogue.public import blueprint
from app.catalogue.views import (
    AdjustmentView,
    BasicCatalogueView,
    FilingView,
    ImplementationItemView,
    ItemTypeView,
)


def register(appbuilder: AppBuilder) -> None:
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
    for api in (BasicCatalogueApi, ImplementationItemApi, AdjustmentApi, FilingApi):
        appbuilder.add_api(api)
    current_app.register_blueprint(blueprint)
