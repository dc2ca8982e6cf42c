"""Service items that accept a licence type (免证办): the editable and the read-only list."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.core.actor import current_actor
from app.core.base_views import ZwModelView
from app.core.reach import ReachInterface
from app.extensions import db
from app.licences import services
from app.licences.models import LicenceItemLink
from app.licences.views.common import ENTRY_CHOICE_ORDER, PUBLISHED_ENTRY_CHOICES, _blank


class _ItemLinkColumns:
    """Columns shared by the two views of item links (FAB finds related views by class, so the
    catalogue's read-only variant must not be a subclass of the editable one)."""

    class_permission_name = "LicenceItemLinks"
    list_title = show_title = _l("Licences accepted by service items")
    list_columns = ["item", "item_unit", "entry", "entry_trust_label"]
    show_columns = ["item", "item_unit", "entry", "entry_trust_label", "created_at"]
    search_columns = ["item", "entry"]
    base_order = ("item_id", "asc")
    label_columns = {
        "item": _l("Service item"),
        "item_unit": _l("Implementing unit"),
        "entry": _l("Accepted licence"),
        "entry_trust_label": _l("Trust level"),
        "created_at": _l("Linked at"),
    }
    formatters_columns = {"created_at": lambda value: _blank(value)}


class LicenceItemLinkView(_ItemLinkColumns, ZwModelView):
    """Service items that accept a licence type, so the applicant need not bring it (免证办).

    The link belongs to the item's unit (reach via the item); window staff read the links of
    their hall's items: "which licences does this item accept".
    """

    datamodel = ReachInterface(LicenceItemLink)
    include_route_methods = {"list", "show", "add", "delete", "api_read"}
    add_title = _l("Let a service item accept a licence")
    add_columns = ["item", "entry"]
    add_query_rel_fields = PUBLISHED_ENTRY_CHOICES
    order_rel_fields = ENTRY_CHOICE_ORDER

    def validate(self, item: LicenceItemLink) -> None:
        services.prepare_item_link(db.session, item, actor=current_actor())


class CatalogueItemLinkView(_ItemLinkColumns, ZwModelView):
    """Read-only: which of my reach's service items accept this published licence."""

    datamodel = ReachInterface(LicenceItemLink)
    include_route_methods = {"list", "show"}
