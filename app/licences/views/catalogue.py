"""The published licence catalogue, readable province-wide."""

from __future__ import annotations

from typing import Any

from flask_appbuilder.baseviews import expose
from flask_appbuilder.models.sqla.filters import FilterEqual, FilterStartsWith
from flask_appbuilder.security.decorators import has_access
from flask_babel import lazy_gettext as _l

from app.core.base_views import ZwModelView
from app.core.reach import ReachInterface
from app.licences.models import LicenceEntry
from app.licences.views.common import BLANK_FORMATTERS, ENTRY_LABELS
from app.licences.views.links import CatalogueItemLinkView


class CatalogueInterface(ReachInterface):
    """The published licence catalogue: readable province-wide, whatever the user's reach.

    Publication (seed 000 licence art. 6) is what makes an entry visible to every unit and to
    window staff (免证办, seed 003): the records are the entries the licence rule makes public
    (published and deprecated), and nothing can be written through this interface (the views
    and API expose reads only). Related lists (the issuing-unit filter) keep the reach of their
    own model, like every related list.
    """

    def scope(self, query: Any) -> Any:
        if self.choices:
            return super().scope(query)
        return query.filter(LicenceEntry.__reach__.public())


class LicenceCatalogueView(ZwModelView):
    """Read-only lookup of the published licence catalogue (window staff, every unit)."""

    datamodel = CatalogueInterface(LicenceEntry)
    class_permission_name = "LicenceCatalogue"
    include_route_methods = {"list", "show", "export"}
    list_title = show_title = _l("Published licence catalogue")
    list_template = "zwfw/list_export.html"
    extra_args = {"export_endpoint": "LicenceCatalogueView.export"}
    list_columns = [
        "name",
        "type_code",
        "issuing_unit",
        "holder_category_label",
        "trust_level_label",
        "state_label",
    ]
    search_columns = ["name", "type_code", "issuing_unit", "holder_category", "trust_level"]
    search_filters = {"type_code": [FilterEqual, FilterStartsWith]}
    show_columns = [
        "name",
        "type_code",
        "issuing_unit",
        "holder_category_label",
        "validity_label",
        "trust_level_label",
        "description",
        "face_fields_text",
        "state_label",
        "reviewed_at",
        "deprecation_reason",
    ]
    base_order = ("name", "asc")
    formatters_columns = BLANK_FORMATTERS
    related_views = [CatalogueItemLinkView]
    label_columns = {**ENTRY_LABELS, "face_fields_text": _l("Face fields")}

    @expose("/export/")
    @has_access
    def export(self) -> Any:
        """The published licence catalogue as filtered, as .xlsx."""
        return self.export_filtered_list(
            columns=self.show_columns,
            title=_l("Published licence catalogue"),
            filename_stem="licence-catalogue",
            default_order=("name", "asc"),
        )
