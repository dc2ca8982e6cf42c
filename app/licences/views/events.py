"""The status-event log of every licence (art. 8)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from flask import Response
from flask_appbuilder.baseviews import expose
from flask_appbuilder.models.sqla.filters import FilterEqual, FilterStartsWith
from flask_appbuilder.security.decorators import has_access
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from app.core.actor import current_actor
from app.core.base_views import ZwModelView
from app.core.reach import ReachInterface
from app.extensions import db
from app.licences import services
from app.licences.forms import status_event_fields
from app.licences.models import LicenceStatusEvent
from app.licences.views.common import BLANK_FORMATTERS


class LicenceStatusEventView(ZwModelView):
    """The status-event log (art. 8) of every licence, filterable and exportable."""

    datamodel = ReachInterface(LicenceStatusEvent)
    class_permission_name = "LicenceEvents"
    include_route_methods = {"list", "show", "add", "export", "api_read"}
    list_title = _l("Licence status events")
    show_title = _l("Licence status event")
    add_title = _l("Record a licence status event")
    list_columns = ["licence_number", "entry", "event_type_label", "event_date", "reason"]
    search_columns = ["licence_number", "entry", "event_type", "event_date"]
    search_filters = {"licence_number": [FilterEqual, FilterStartsWith]}
    add_columns = ["entry", "licence_number", "event_type", "event_date", "reason"]
    show_columns = [
        "entry",
        "licence_number",
        "event_type_label",
        "event_date",
        "reason",
        "recorded_at",
    ]
    base_order = ("event_date", "desc")
    formatters_columns = {
        **BLANK_FORMATTERS,
        # Each number opens that licence's own log (the list filtered on it).
        "licence_number": lambda value: (
            Markup('<a href="?_flt_0_licence_number=%s">%s</a>') % (quote(value, safe=""), value)
        ),
    }
    list_template = "licences/event_list.html"
    label_columns = {
        "entry": _l("Licence type"),
        "licence_number": _l("Licence number"),
        "event_type": _l("Event"),
        "event_type_label": _l("Event"),
        "event_date": _l("Date"),
        "reason": _l("Reason"),
        "recorded_at": _l("Recorded at"),
    }

    def __init__(self, **kwargs: Any) -> None:
        self.add_form_extra_fields = status_event_fields()
        super().__init__(**kwargs)

    def validate(self, item: LicenceStatusEvent) -> None:
        services.prepare_status_event(db.session, item, actor=current_actor())

    @expose("/export/")
    @has_access
    def export(self) -> Response:
        """The filtered list as .xlsx."""
        columns = ["licence_number", "entry", "event_type_label", "event_date", "reason"]
        return self.export_filtered_list(
            columns=columns,
            title=_l("Licence status events"),
            filename_stem=str(_l("Licence status events")),
            default_order=("event_date", "desc"),
            row=lambda item: [
                item.licence_number,
                item.entry.name,
                item.event_type_label,
                item.event_date,
                item.reason,
            ],
        )
