"""Menu entries and APIs of the core domain."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_appbuilder import AppBuilder
from flask_babel import lazy_gettext as _l

from app.core import audit_display, calendar, fab_strings, permission_labels, workflow
from app.core.api import CalendarDayApi, CalendarYearApi, RegionApi, UnitApi, WorkingDayApi
from app.core.context import person_name
from app.core.views import AuditLogView, CalendarDayView, CalendarYearView, RegionView, UnitView


def can_in_template(transition: Any, record: Any = None) -> bool:
    """``workflow.can`` for the current user (templates)."""
    from app.core.actor import current_actor
    from app.extensions import db

    return workflow.can(current_actor(), transition, record, db.session)


# The filters of the units page (app.core.views.UnitView), also those of its exports.
UNIT_SEARCH = ("name", "credit_code", "region", "kind", "active")


def register(appbuilder: AppBuilder) -> None:
    from app.core import context

    context.register()  # the calendar's to-do on the landing page
    fab_strings.install()
    permission_labels.install()
    _register_spreadsheet()
    # Every template shows stored instants in the province's zone: {{ value|local_time }}.
    current_app.jinja_env.filters["local_time"] = calendar.format_datetime
    current_app.jinja_env.filters["local_date"] = calendar.local_date
    # Step histories name people, not login names: {{ step.actor_name|person }}.
    current_app.jinja_env.filters["person"] = person_name
    current_app.jinja_env.filters["step_label"] = audit_display.step_label
    current_app.jinja_env.filters["object_type_label"] = audit_display.object_type_label
    # {% if can("workflow.step", record) %}: a button shows exactly when the step is allowed.
    current_app.jinja_env.globals["can"] = can_in_template
    org = {
        "category": "Organisation",
        "category_label": _l("Organisation"),
        "category_icon": "fa-sitemap",
    }
    appbuilder.add_view(RegionView, "Regions", label=_l("Regions"), icon="fa-map", **org)
    appbuilder.add_view(
        UnitView, "Units", label=_l("Implementing units"), icon="fa-building", **org
    )
    cal = {
        "category": "Working calendar",
        "category_label": _l("Working calendar"),
        "category_icon": "fa-calendar",
    }
    appbuilder.add_view(
        CalendarDayView,
        "Calendar days",
        label=_l("Holidays and make-up days"),
        icon="fa-calendar-day",
        **cal,
    )
    appbuilder.add_view(
        CalendarYearView,
        "Calendar years",
        label=_l("Calendar years"),
        icon="fa-calendar-alt",
        **cal,
    )
    appbuilder.add_view(
        AuditLogView,
        "Audit log",
        label=_l("Audit log"),
        icon="fa-list",
        category="Audit",
        category_label=_l("Audit"),
        category_icon="fa-shield-alt",
    )
    for api in (RegionApi, UnitApi, CalendarDayApi, WorkingDayApi, CalendarYearApi):
        appbuilder.add_api(api)


def _register_spreadsheet() -> None:
    """The units list in the spreadsheet engine (app.excel adds its pages in its turn)."""
    from app.core.models import Unit
    from app.core.spreadsheet import UnitListSpec
    from app.excel.register import ListPages, add_list

    add_list(
        ListPages(
            spec=UnitListSpec(),
            model=Unit,
            search_columns=UNIT_SEARCH,
            menu_name="Unit spreadsheets",
            label=_l("Implementing units (Excel)"),
            icon="fa-building",
            resource="unit_list",
        )
    )
