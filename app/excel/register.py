"""Menu entries and APIs of the spreadsheet engine: one page set and one API per list."""

from __future__ import annotations

from flask import current_app
from flask_appbuilder import AppBuilder
from flask_babel import lazy_gettext as _l

from app.catalogue.models import ImplementationItem
from app.core.base_views import register_list_writer
from app.core.models import Unit
from app.core.reach import ReachInterface
from app.excel import services, writer
from app.excel.api import list_api_for
from app.excel.lists.implementation import ImplementationListSpec
from app.excel.lists.units import UnitListSpec
from app.excel.views import import_view_for

UNIT_SEARCH = ("name", "credit_code", "region", "kind", "active")
# The filters of the implementation list page (app.catalogue.views.ImplementationItemView).
ITEM_SEARCH = ("implementation_code", "basic_entry", "unit", "region", "status")


def register(appbuilder: AppBuilder) -> None:
    register_list_writer(current_app._get_current_object(), writer.list_download)
    units = services.register_spec(UnitListSpec())
    menu = {
        "category": "Spreadsheets",
        "category_label": _l("Import and export"),
        "category_icon": "fa-file-excel",
    }
    appbuilder.add_view(
        import_view_for(units, list_datamodel=ReachInterface(Unit), search_columns=UNIT_SEARCH),
        "Unit spreadsheets",
        label=_l("Implementing units (Excel)"),
        icon="fa-building",
        **menu,
    )
    appbuilder.add_api(
        list_api_for(
            units, "unit_list", list_datamodel=ReachInterface(Unit), search_columns=UNIT_SEARCH
        )
    )
    items = services.register_spec(ImplementationListSpec())
    item_model = ReachInterface(ImplementationItem)
    appbuilder.add_view(
        import_view_for(items, list_datamodel=item_model, search_columns=ITEM_SEARCH),
        "Implementation list spreadsheets",
        label=_l("Implementation list (Excel)"),
        icon="fa-list-alt",
        **menu,
    )
    appbuilder.add_api(
        list_api_for(
            items, "implementation_list", list_datamodel=item_model, search_columns=ITEM_SEARCH
        )
    )
