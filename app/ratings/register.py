"""Menu entries and APIs of the ratings domain, and its list for the spreadsheet engine."""

from __future__ import annotations

from flask_appbuilder import AppBuilder
from flask_babel import lazy_gettext as _l

from app.ratings.api import RatingApi, RectificationTicketApi
from app.ratings.models import Rating
from app.ratings.spreadsheet import RatingSpec
from app.ratings.views import (
    RatingFiguresView,
    RatingImportsView,
    RatingView,
    RectificationTicketView,
)

SEARCH = ("rating_no", "unit", "channel", "level", "poor", "rated_on")


def register(appbuilder: AppBuilder) -> None:
    from app.ratings import workbench

    workbench.register()  # the ratings tiles of the landing page
    menu = {
        "category": "Good and poor ratings",
        "category_label": _l("Ratings"),
        "category_icon": "fa-star",
    }
    appbuilder.add_view(RatingView, "Ratings list", label=_l("Ratings"), icon="fa-comments", **menu)
    appbuilder.add_view(
        RectificationTicketView,
        "Poor-rating tickets",
        label=_l("Poor-rating tickets"),
        icon="fa-wrench",
        **menu,
    )
    appbuilder.add_link(
        "Poor-rating queue",
        href="/rectificationticketview/queue/",
        label=_l("Poor-rating queue"),
        icon="fa-clock",
        **menu,
    )
    appbuilder.add_view(
        RatingImportsView,
        "Rating imports",
        label=_l("Rating imports"),
        icon="fa-undo",
        **menu,
    )
    appbuilder.add_view(
        RatingFiguresView,
        "Rating figures",
        label=_l("Rating figures"),
        icon="fa-chart-bar",
        **menu,
    )
    for api in (RatingApi, RectificationTicketApi):
        appbuilder.add_api(api)
    _register_spreadsheets(appbuilder)


def _register_spreadsheets(appbuilder: AppBuilder) -> None:
    """Ratings from the national platform's export, through the shared engine (app.excel)."""
    from app.core.reach import ReachInterface
    from app.excel import services as excel
    from app.excel.api import list_api_for
    from app.excel.views import import_view_for

    spec = excel.register_spec(RatingSpec())
    datamodel = ReachInterface(Rating)
    appbuilder.add_view(
        import_view_for(spec, list_datamodel=datamodel, search_columns=SEARCH),
        "Ratings spreadsheets",
        label=_l("Ratings (Excel)"),
        icon="fa-star",
        category="Spreadsheets",
        category_label=_l("Import and export"),
        category_icon="fa-file-excel",
    )
    appbuilder.add_api(
        list_api_for(spec, "rating_list", list_datamodel=datamodel, search_columns=SEARCH)
    )
