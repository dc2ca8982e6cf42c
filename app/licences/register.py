"""Menu entries and APIs of the licence domain."""

from __future__ import annotations

from flask_appbuilder import AppBuilder
from flask_babel import lazy_gettext as _l

from app.licences.api import (
    LicenceCatalogueApi,
    LicenceEntryApi,
    LicenceFaceFieldApi,
    LicenceItemLinkApi,
    LicenceObjectionApi,
    LicenceReviewApi,
    LicenceStatusEventApi,
    LicenceUsageApplicationApi,
)
from app.licences.views import (
    CatalogueItemLinkView,
    LicenceCatalogueView,
    LicenceEntryView,
    LicenceFaceFieldView,
    LicenceItemLinkView,
    LicenceObjectionView,
    LicenceReviewView,
    LicenceStatusEventView,
    LicenceUsageApplicationView,
)


def register(appbuilder: AppBuilder) -> None:
    from app.licences import workbench

    workbench.register()  # the licences tiles of the landing page
    menu = {
        "category": "Electronic licences",
        "category_label": _l("Electronic licences"),
        "category_icon": "fa-id-card",
    }
    appbuilder.add_view(
        LicenceEntryView,
        "Licence catalogue entries",
        label=_l("Licence catalogue entries"),
        icon="fa-id-card",
        **menu,
    )
    appbuilder.add_view_no_menu(LicenceFaceFieldView)
    appbuilder.add_view_no_menu(CatalogueItemLinkView)
    appbuilder.add_view(
        LicenceReviewView,
        "Licence review queue",
        label=_l("Licence review queue"),
        icon="fa-gavel",
        **menu,
    )
    appbuilder.add_view(
        LicenceCatalogueView,
        "Published licence catalogue",
        label=_l("Published licence catalogue"),
        icon="fa-book",
        **menu,
    )
    appbuilder.add_view(
        LicenceItemLinkView,
        "Licences accepted by service items",
        label=_l("Licences accepted by service items"),
        icon="fa-link",
        **menu,
    )
    appbuilder.add_view(
        LicenceUsageApplicationView,
        "Licence usage applications",
        label=_l("Licence usage applications"),
        icon="fa-share-alt",
        **menu,
    )
    appbuilder.add_view(
        LicenceObjectionView,
        "Licence objections",
        label=_l("Licence objections"),
        icon="fa-exclamation-triangle",
        **menu,
    )
    appbuilder.add_view(
        LicenceStatusEventView,
        "Licence status events",
        label=_l("Licence status events"),
        icon="fa-history",
        **menu,
    )
    for api in (
        LicenceEntryApi,
        LicenceFaceFieldApi,
        LicenceItemLinkApi,
        LicenceCatalogueApi,
        LicenceUsageApplicationApi,
        LicenceObjectionApi,
        LicenceStatusEventApi,
        LicenceReviewApi,
    ):
        appbuilder.add_api(api)
