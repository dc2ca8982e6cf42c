"""REST APIs of the catalogue (same services and reach rules as the views).

* ``/api/v1/basic_catalogue/`` — basic-catalogue entries (write: provincial administrator)
* ``/api/v1/implementation_item/`` — implementation-list rows; only personalized elements are
  writable (a PUT naming a standardized element is refused with 400), only while a draft
* ``/api/v1/adjustment/`` — adjustment requests; ``POST /<id>/transition`` with
  ``{"name": "submit|pass_legality|reject|approve", "reason": ..., "version": n}``,
  ``GET /<id>/diff``, ``GET /queue``
* ``/api/v1/filing/`` — filings; ``POST /file``, ``POST /<id>/decide``
* ``/api/v1/item_type/`` — the item-type lookup (read-only)
* ``/api/v1/item_version/`` — published versions of the items in reach (read-only; the
  snapshot as JSON text), ``?q=(filters:!((col:item_id,opr:eq,value:N)))`` for one item's
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from flask import request
from flask_appbuilder.api import expose, protect
from flask_babel import gettext as _

from app.catalogue import services
from app.catalogue.models import (
    GUIDE_ELEMENTS,
    AdjustmentRequest,
    BasicCatalogueEntry,
    Filing,
    ImplementationItem,
    ItemType,
    ItemVersion,
)
from app.catalogue.states import AdjustmentState
from app.core import calendar
from app.core.actor import current_actor
from app.core.base_views import ZwModelRestApi
from app.core.errors import DomainError, ValidationError, render_domain_error
from app.core.models import Region
from app.core.reach import ReachInterface
from app.core.roles import METHOD_PERMISSIONS
from app.core.unit_of_work import unit_of_work
from app.extensions import db


class BasicCatalogueApi(ZwModelRestApi):
    resource_name = "basic_catalogue"
    class_permission_name = "BasicCatalogue"
    datamodel = ReachInterface(BasicCatalogueEntry)
    include_route_methods = {"get", "get_list", "info", "post", "put"}
    list_columns = [
        "id",
        "basic_code",
        "name",
        "item_type.code",
        "item_type.name",
        "source",
        "status",
        "legal_time_limit_days",
    ]
    show_columns = [
        "id",
        "basic_code",
        "name",
        "item_type_id",
        "source",
        "status",
        "competent_department",
        *GUIDE_ELEMENTS,
        "version",
    ]
    add_columns = [
        "basic_code",
        "name",
        "item_type",
        "source",
        "status",
        "competent_department",
        *GUIDE_ELEMENTS,
    ]
    edit_columns = add_columns + ["version"]
    order_columns = ["basic_code", "name"]
    search_columns = ["basic_code", "name", "item_type", "source", "status"]
    base_order = ("basic_code", "asc")

    def validate(self, item: BasicCatalogueEntry) -> None:
        services.validate_basic_entry(db.session, item)

    def pre_update(self, item: BasicCatalogueEntry) -> None:
        """The edit and the republication of its published items in FAB's one commit."""
        # The raw body: FAB merges the stored values into request.json before this hook.
        payload = json.loads(request.get_data() or b"{}")
        try:
            services.update_basic_entry(
                db.session, item, actor=current_actor(), version=payload.get("version")
            )
        except Exception:
            db.session.rollback()
            raise


class ImplementationItemApi(ZwModelRestApi):
    resource_name = "implementation_item"
    class_permission_name = "ImplementationList"
    datamodel = ReachInterface(ImplementationItem)
    include_route_methods = {"get", "get_list", "info", "post", "put", "delete"}
    list_columns = [
        "id",
        "implementation_code",
        "basic_entry_id",
        "unit_id",
        "region_id",
        "status",
        "published_version_id",
        "promised_time_limit_days",
    ]
    show_columns = [
        "id",
        "implementation_code",
        "basic_entry_id",
        "unit_id",
        "region_id",
        "exercise_level",
        "status",
        "published_version_id",
        *services.STANDARDIZED_FIELDS,
        *services.PERSONALIZED_FIELDS,
        "version",
    ]
    add_columns = ["basic_entry", "unit", *services.PERSONALIZED_FIELDS]
    edit_columns = [*services.PERSONALIZED_FIELDS, "version"]
    order_columns = ["implementation_code", "status"]
    search_columns = ["implementation_code", "basic_entry", "unit", "region", "status"]
    base_order = ("implementation_code", "asc")

    def validate(self, item: ImplementationItem) -> None:
        services.prepare_item_edit(db.session, item, actor=current_actor())

    def pre_delete(self, item: ImplementationItem) -> None:
        try:
            services.ensure_item_deletable(item)
        except DomainError:
            db.session.rollback()
            raise


class AdjustmentApi(ZwModelRestApi):
    resource_name = "adjustment"
    class_permission_name = "Adjustments"
    datamodel = ReachInterface(AdjustmentRequest)
    method_permission_name = {
        **METHOD_PERMISSIONS,
        "transition": "write",
        "diff": "read",
        "queue": "read",
    }
    include_route_methods = {"get", "get_list", "info", "post", "transition", "diff", "queue"}
    list_columns = [
        "id",
        "kind",
        "state",
        "item_id",
        "unit_id",
        "region_id",
        "submitted_at",
        "urgent",
        "deadline.due_date",
        "deadline.provisional",
    ]
    show_columns = [
        "id",
        "kind",
        "state",
        "item_id",
        "unit_id",
        "region_id",
        "ground",
        "legal_basis",
        "explanation",
        "proposed_values",
        "baseline_values",
        "planned_start",
        "planned_resume",
        "effective_at",
        "urgent",
        "created_by",
        "submitted_at",
        "decided_at",
        "last_reason",
        "deadline.due_date",
        "deadline.provisional",
        "applied_version_id",
        "version",
    ]
    add_columns = [
        "item",
        "kind",
        "ground",
        "legal_basis",
        "explanation",
        "proposed_values",
        "planned_start",
        "planned_resume",
        "urgent",
    ]
    order_columns = ["created_at", "submitted_at", "state"]
    search_columns = ["kind", "state", "unit", "region", "item", "urgent"]
    base_order = ("created_at", "desc")

    def validate(self, item: AdjustmentRequest) -> None:
        actor = current_actor()
        services.require_role(actor, *services.PROPOSERS)
        item.state = AdjustmentState.DRAFT.value
        item.created_by = actor.username
        try:
            values = json.loads(item.proposed_values or "{}")
        except ValueError:
            values = None
        if not isinstance(values, dict):
            raise ValidationError(
                errors={"proposed_values": _("Send a JSON object of personalized elements.")},
                message=_("Send a JSON object of personalized elements."),
            )
        services.validate_adjustment(db.session, item)

    @expose("/<int:pk>/transition", methods=["POST"])
    @protect()
    def transition(self, pk: int) -> Any:
        """Run a step of the state machine: ``{"name", "reason", "version"}``."""
        adjustment = self.datamodel.get(pk, self._base_filters)
        if adjustment is None:
            return self.response_404()
        payload = request.get_json(silent=True) or {}
        try:
            with unit_of_work(db.session, current_actor()):
                services.transition(
                    db.session,
                    actor=current_actor(),
                    adjustment=adjustment,
                    name=str(payload.get("name", "")),
                    reason=str(payload.get("reason", "") or ""),
                    version=payload.get("version"),
                )
        except DomainError as error:
            return render_domain_error(error)
        return self.response(
            200, id=adjustment.id, state=adjustment.state, version=adjustment.version
        )

    @expose("/<int:pk>/diff", methods=["GET"])
    @protect()
    def diff(self, pk: int) -> Any:
        """The proposed changes, field by field."""
        adjustment = self.datamodel.get(pk, self._base_filters)
        if adjustment is None:
            return self.response_404()
        changes = services.adjustment_changes(adjustment)
        return self.response(
            200, result=[{"field": c.field, "old": c.old, "new": c.new} for c in changes]
        )

    @expose("/queue", methods=["GET"])
    @protect()
    def queue(self) -> Any:
        """What waits for the caller's review, oldest first."""
        entries = services.my_queue(db.session, actor=current_actor())
        return self.response(
            200,
            result=[
                {
                    "id": e.adjustment.id,
                    "kind": e.adjustment.kind,
                    "state": e.adjustment.state,
                    "implementation_code": e.adjustment.item.implementation_code,
                    "due_date": e.due_date.isoformat() if e.due_date else None,
                    "provisional": e.provisional,
                    "working_days_left": e.working_days_left,
                    "overdue": e.overdue,
                }
                for e in entries
            ],
        )


class FilingApi(ZwModelRestApi):
    resource_name = "filing"
    class_permission_name = "Filings"
    datamodel = ReachInterface(Filing)
    method_permission_name = {**METHOD_PERMISSIONS, "file": "write", "decide": "write"}
    include_route_methods = {"get", "get_list", "info", "file", "decide"}
    list_columns = ["id", "region_id", "state", "filed_at", "filed_by", "row_count", "content_hash"]
    show_columns = list_columns + [
        "snapshot",
        "decided_at",
        "decided_by",
        "decision_reason",
        "version",
    ]
    order_columns = ["filed_at"]
    base_order = ("filed_at", "desc")

    @expose("/file", methods=["POST"])
    @protect()
    def file(self) -> Any:
        """File the caller's region list (``{"note": ...}``)."""
        actor = current_actor()
        payload = request.get_json(silent=True) or {}
        region_id = getattr(actor.user, "region_id", None)
        region = db.session.get(Region, region_id) if region_id else None
        if region is None:
            return self.response_404()
        try:
            with unit_of_work(db.session, actor):
                filing = services.file_list(
                    db.session, actor=actor, region=region, note=str(payload.get("note", ""))
                )
        except DomainError as error:
            return render_domain_error(error)
        return self.response(
            201, id=filing.id, content_hash=filing.content_hash, row_count=filing.row_count
        )

    @expose("/<int:pk>/decide", methods=["POST"])
    @protect()
    def decide(self, pk: int) -> Any:
        """``{"acknowledge": true}`` or ``{"acknowledge": false, "reason": ...}``."""
        filing = self.datamodel.get(pk, self._base_filters)
        if filing is None:
            return self.response_404()
        payload = request.get_json(silent=True) or {}
        try:
            with unit_of_work(db.session, current_actor()):
                services.decide_filing(
                    db.session,
                    actor=current_actor(),
                    filing=filing,
                    acknowledge=bool(payload.get("acknowledge")),
                    reason=str(payload.get("reason", "") or ""),
                    version=payload.get("version"),
                )
        except DomainError as error:
            return render_domain_error(error)
        return self.response(200, id=filing.id, state=filing.state)


class ItemTypeApi(ZwModelRestApi):
    """The item-type lookup (事项类型), read-only: edited on its page by the administrator."""

    resource_name = "item_type"
    class_permission_name = "ItemTypes"
    datamodel = ReachInterface(ItemType)
    include_route_methods = {"get", "get_list", "info"}
    list_columns = ["id", "code", "name", "application_driven", "active", "sort_order"]
    show_columns = list_columns
    order_columns = ["code", "sort_order"]
    search_columns = ["code", "name", "application_driven", "active"]
    base_order = ("sort_order", "asc")


class ItemVersionApi(ZwModelRestApi):
    """Published versions of the implementation items in the caller's reach (read-only)."""

    resource_name = "item_version"
    class_permission_name = "ImplementationList"
    datamodel = ReachInterface(ItemVersion)
    include_route_methods = {"get", "get_list", "info"}
    list_columns = ["id", "item_id", "number", "published_at", "adjustment_id", "note"]
    show_columns = [*list_columns, "snapshot"]
    order_columns = ["published_at", "number", "id"]
    search_columns = ["item_id", "number", "published_at"]
    base_order = ("id", "desc")

    def pre_get(self, data: dict[str, Any]) -> None:
        _version_payload(data["result"])
        data["result"]["snapshot"] = json.loads(data["result"].get("snapshot") or "{}")

    def pre_get_list(self, data: dict[str, Any]) -> None:
        for row in data["result"]:
            _version_payload(row)


def _version_payload(row: dict[str, Any]) -> None:
    """Publication times in the province's time with their offset, as the public JSON has."""
    if row.get("published_at"):
        at = dt.datetime.fromisoformat(row["published_at"])
        row["published_at"] = calendar.to_local(at).isoformat(timespec="seconds")
