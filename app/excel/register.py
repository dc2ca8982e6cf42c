"""Menu entries and APIs of the spreadsheet engine: one page set and one API per list.

The engine knows no list: a domain registers its spec at start-up with :func:`add_list` (from
its own ``register``, before this package's turn in ``app.DOMAINS``), and :func:`register` adds
the pages and API of every list so registered, in that order, under one menu. A domain that
registers after the engine (accounts) adds its own pages with ``import_view_for`` /
``list_api_for``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import current_app
from flask_appbuilder import AppBuilder
from flask_babel import lazy_gettext as _l

from app.core.base_views import register_list_writer
from app.core.reach import ReachInterface
from app.excel import services, writer
from app.excel.api import list_api_for
from app.excel.spec import ListSpec
from app.excel.views import import_view_for

MENU = {
    "category": "Spreadsheets",
    "category_label": _l("Import and export"),
    "category_icon": "fa-file-excel",
}


@dataclass(frozen=True)
class ListPages:
    """What a domain tells the engine about one of its lists."""

    spec: ListSpec
    model: type  # the list page's model: exports start from its filters
    search_columns: tuple[str, ...]
    menu_name: str  # the FAB view name (and its permission's view menu)
    label: Any
    icon: str
    resource: str  # the API's resource name, /api/v1/<resource>/…


_LISTS: dict[str, ListPages] = {}


def add_list(pages: ListPages) -> ListSpec:
    """Register a domain's list with the engine (idempotent: a new app registers again)."""
    _LISTS[pages.spec.name] = pages
    return services.register_spec(pages.spec)


def register(appbuilder: AppBuilder) -> None:
    from app.excel import workbench

    workbench.register()  # the excel tiles of the landing page
    # current_app is a werkzeug LocalProxy, which Flask's stubs declare as the Flask app itself.
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    register_list_writer(app, writer.list_download)
    for pages in _LISTS.values():
        datamodel = ReachInterface(pages.model)
        appbuilder.add_view(
            import_view_for(
                pages.spec, list_datamodel=datamodel, search_columns=pages.search_columns
            ),
            pages.menu_name,
            label=pages.label,
            icon=pages.icon,
            **MENU,
        )
        appbuilder.add_api(
            list_api_for(
                pages.spec,
                pages.resource,
                list_datamodel=datamodel,
                search_columns=pages.search_columns,
            )
        )
