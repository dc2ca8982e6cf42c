"""Views of the catalogue: item types, basic catalogue, implementation lists, adjustments (with
the reviewers' queue), version history and filings. Every rule is a call into services."""

from __future__ import annotations

import json
from typing import Any

from flask import abort, flash, g, redirect, request, url_for
from flask_appbuilder.baseviews import expose
from flask_appbuilder.models.sqla.filters import FilterEqual, FilterNotEqual, FilterStartsWith
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from wtforms import BooleanField, DateField, SelectField, TextAreaField
from wtforms.validators import Optional

from app.catalogue import exports, forms, services
from app.catalogue.models import (
    GUIDE_ELEMENTS,
    AdjustmentRequest,
    BasicCatalogueEntry,
    ImplementationItem,
    ItemType,
)
from app.catalogue.states import (
    AdjustmentGround,
    AdjustmentKind,
    AdjustmentState,
    CatalogueSource,
    EntryStatus,
    HandlingType,
    ItemStatus,
    OnlineDepth,
    Transition,
)
from app.core import roles
from app.core.actor import current_actor
from app.core.base_views import ZwModelView
from app.core.calendar import format_datetime
from app.core.errors import DomainError, ValidationError, render_domain_error
from app.core.reach import ReachInterface
from app.core.roles import METHOD_PERMISSIONS
from app.core.states import ExerciseLevel
from app.core.unit_of_work import unit_of_work
from app.extensions import db

STANDARDIZED_LABELS = {
    "item_name": _l("Item name"),
    "basic_code": _l("Basic code"),
    "item_type_name": _l("Item type"),
    "legal_basis": _l("Legal basis"),
    "acceptance_conditions": _l("Acceptance conditions"),
    "application_materials": _l("Application materials"),
    "legal_time_limit_days": _l("Legal time limit (working days)"),
    "handling_process": _l("Handling process"),
    "fee_standard": _l("Fee standard"),
    "complaint_phone": _l("Complaint phone"),
    "form_content": _l("Form content"),
}
PERSONALIZED_LABELS = {
    "service_hours": _l("Service hours"),
    "service_location": _l("Service location"),
    "consult_phone": _l("Consultation phone"),
    "approver": _l("Approver"),
    "promised_time_limit_days": _l("Promised time limit (working days)"),
    "handling_type": _l("Handling type"),
    "onsite_visits": _l("On-site visits"),
    "online_depth": _l("Online depth"),
    "fully_online": _l("Fully online"),
    "faq": _l("FAQ"),
    "result_sample": _l("Result sample"),
}
FIELD_LABELS = {
    **STANDARDIZED_LABELS,
    **PERSONALIZED_LABELS,
    "status": _l("Status"),
    "implementation_code": _l("Implementation code"),
    "unit_name": _l("Implementing unit"),
    "suspension_from": _l("Suspended from"),
    "resume_by": _l("Planned resume date"),
}


def field_label(name: str) -> str:
    return str(FIELD_LABELS.get(name, name))


def show_value(name: str, value: Any) -> str:
    """A stored element value as users read it (closed-list labels, 是/否)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    labels = {
        "handling_type": HandlingType,
        "online_depth": OnlineDepth,
        "status": ItemStatus,
    }
    if name in labels:
        return labels[name].label_of(str(value))
    return str(value)


class ItemTypeView(ZwModelView):
    datamodel = ReachInterface(ItemType)
    class_permission_name = "ItemTypes"
    list_title = show_title = add_title = edit_title = _l("Item types")
    list_columns = ["code", "name", "application_driven", "active", "sort_order"]
    add_columns = edit_columns = show_columns = list_columns
    base_order = ("sort_order", "asc")
    include_route_methods = {"list", "show", "add", "edit", "api_read"}
    add_form_extra_fields = edit_form_extra_fields = {
        "application_driven": BooleanField(_l("Application-driven (may enter the catalogue)")),
        "active": BooleanField(_l("Active")),
    }
    label_columns = {
        "code": _l("Type code"),
        "name": _l("Name"),
        "application_driven": _l("Application-driven (may enter the catalogue)"),
        "active": _l("Active"),
        "sort_order": _l("Order"),
    }


class BasicCatalogueView(ZwModelView):
    datamodel = ReachInterface(BasicCatalogueEntry)
    class_permission_name = "BasicCatalogue"
    list_title = show_title = add_title = edit_title = _l("Basic catalogue")
    list_columns = [
        "basic_code",
        "name",
        "item_type",
        "source_label",
        "status_label",
        "legal_time_limit_days",
    ]
    search_columns = ["basic_code", "name", "item_type", "source", "status"]
    search_filters = {"basic_code": [FilterEqual, FilterStartsWith]}
    # Only the types that may enter the catalogue are offered (the rule is still checked).
    add_form_query_rel_fields = edit_form_query_rel_fields = {
        "item_type": [["application_driven", FilterEqual, True], ["active", FilterEqual, True]]
    }
    standardized = list(GUIDE_ELEMENTS)
    add_columns = [
        "basic_code",
        "name",
        "item_type",
        "source",
        "status",
        "competent_department",
        *standardized,
    ]
    # lock_version: the hidden optimistic-locking field of ZwModelView must be listed.
    edit_columns = [*add_columns, "lock_version"]
    show_columns = [
        "basic_code",
        "name",
        "item_type",
        "source_label",
        "status_label",
        "competent_department",
        *standardized,
        "version",
        "updated_at",
    ]
    base_order = ("basic_code", "asc")
    include_route_methods = {"list", "show", "add", "edit", "api_read"}
    label_columns = {
        **STANDARDIZED_LABELS,
        "name": _l("Item name"),
        "item_type": _l("Item type"),
        "source": _l("Catalogue"),
        "source_label": _l("Catalogue"),
        "status": _l("Status"),
        "status_label": _l("Status"),
        "competent_department": _l("Competent department"),
        "version": _l("Version"),
        "updated_at": _l("Updated"),
    }
    description_columns = {
        "basic_code": _l(
            "12 characters: 2 digits, then 7 digits or capital letters, then 3 digits "
            "(e.g. 511Z07001006)."
        ),
    }

    def __init__(self, **kwargs: Any) -> None:
        fields = {
            "source": SelectField(
                _l("Catalogue"), choices=forms.select_choices(CatalogueSource.choices())
            ),
            "status": SelectField(
                _l("Status"), choices=forms.select_choices(EntryStatus.choices())
            ),
        }
        self.add_form_extra_fields = dict(fields)
        self.edit_form_extra_fields = dict(fields)
        super().__init__(**kwargs)

    def validate(self, item: BasicCatalogueEntry) -> None:
        services.validate_basic_entry(db.session, item)

    def pre_update(self, item: BasicCatalogueEntry) -> None:
        """The edit and the republication of its published items in FAB's one commit."""
        try:
            count = services.update_basic_entry(
                db.session,
                item,
                actor=current_actor(),
                version=getattr(item, "lock_version", None),
            )
        except Exception:
            db.session.rollback()  # FAB shows the message; nothing of the edit stays
            raise
        item._zw_republished = count  # type: ignore[attr-defined]

    def post_update(self, item: BasicCatalogueEntry) -> None:
        count = getattr(item, "_zw_republished", 0)
        if count:  # said only once the commit succeeded
            flash(_("%(n)d published item(s) updated.", n=count), "info")


class ImplementationItemView(ZwModelView):
    datamodel = ReachInterface(ImplementationItem)
    class_permission_name = "ImplementationList"
    method_permission_name = {**METHOD_PERMISSIONS, "versions": "read"}
    list_title = show_title = add_title = edit_title = _l("Implementation list")
    show_template = "catalogue/item_show.html"
    # Export (same filters) and import through the spreadsheet engine (app.excel).
    list_template = "catalogue/item_list.html"
    list_columns = [
        "implementation_code",
        "basic_entry",
        "unit",
        "region",
        "status_label",
        "promised_time_limit_days",
        "published_label",
    ]
    search_columns = ["implementation_code", "basic_entry", "unit", "region", "status"]
    search_filters = {"implementation_code": [FilterEqual, FilterStartsWith]}
    personalized = list(PERSONALIZED_LABELS)
    add_columns = ["basic_entry", "unit", *personalized]
    edit_columns = [*(f"std_{n}" for n in STANDARDIZED_LABELS), *personalized, "lock_version"]
    show_columns = [
        "implementation_code",
        "unit",
        "region",
        "exercise_level",
        "status_label",
        "suspension_label",
        "published_label",
        *STANDARDIZED_LABELS,
        *personalized,
        "version",
    ]
    base_order = ("implementation_code", "asc")
    label_columns = {
        **FIELD_LABELS,
        **{f"std_{k}": v for k, v in STANDARDIZED_LABELS.items()},
        "basic_entry": _l("Basic-catalogue entry"),
        "unit": _l("Implementing unit"),
        "region": _l("Region"),
        "exercise_level": _l("Exercise level"),
        "status_label": _l("Status"),
        "published_label": _l("Published version"),
        "suspension_label": _l("Suspension"),
        "version": _l("Version"),
    }
    description_columns = {
        "promised_time_limit_days": _l("Must not exceed the legal time limit."),
    }
    # Closed lists read as the public page reads them, not as stored ("promised", "4").
    formatters_columns = {
        "handling_type": lambda value: show_value("handling_type", value),
        "online_depth": lambda value: show_value("online_depth", value),
        "exercise_level": ExerciseLevel.label_of,
    }

    def __init__(self, **kwargs: Any) -> None:
        self.add_form_extra_fields = forms.personalized_select_fields()
        self.edit_form_extra_fields = {
            **forms.standardized_fields(),
            **forms.personalized_select_fields(),
        }
        super().__init__(**kwargs)

    def prefill_form(self, form: Any, pk: Any) -> None:
        super().prefill_form(form, pk)
        item = self.datamodel.get(pk)
        if item is not None:
            for name in STANDARDIZED_LABELS:
                getattr(form, f"std_{name}").data = getattr(item, name)

    def validate(self, item: ImplementationItem) -> None:
        services.prepare_item_edit(db.session, item, actor=current_actor())

    def pre_delete(self, item: ImplementationItem) -> None:
        services.ensure_item_deletable(item)

    def row_permissions(self, pks: list[Any]) -> dict[Any, tuple[bool, bool]]:
        """A published row is neither edited nor deleted here (an adjustment changes it)."""
        rows = db.session.execute(
            select(ImplementationItem).where(ImplementationItem.id.in_(pks))
        ).scalars()
        return {r.id: (services.item_editable(r), services.item_deletable(r)) for r in rows}

    @expose("/versions/<int:pk>")
    @has_access
    def versions(self, pk: int) -> Any:
        item = self.datamodel.get(pk)
        if item is None:
            abort(404)
        history = services.version_history(db.session, item)
        return self.render_template(
            "catalogue/item_versions.html",
            item=item,
            history=[(v, json.loads(v.snapshot), changes) for v, changes in history],
            field_label=field_label,
            show_value=show_value,
            title=_("Version history"),
        )


def _proposal_from(item: AdjustmentRequest) -> dict[str, Any]:
    values = {}
    for name in services.PERSONALIZED_FIELDS:
        value = getattr(item, f"p_{name}", None)
        if value not in (None, ""):
            values[name] = value
    return values


def may_propose(item_pk: Any) -> bool:
    """Whether the current user may start an adjustment of this item: a proposer's role, the
    item within reach, and a kind its state allows (a cancelled item takes none)."""
    actor = current_actor()
    if not roles.names_of(actor) & services.PROPOSERS:
        return False
    try:
        item = actor.reach.one(db.session, ImplementationItem, item_pk)
    except DomainError:
        return False
    return bool(services.kinds_for(item))


#: The form fields only some kinds need (the others are hidden while another kind is chosen).
KIND_FIELDS = {
    "planned_start": [AdjustmentKind.SUSPEND.value],
    "urgent": [AdjustmentKind.SUSPEND.value],
    **{name: [AdjustmentKind.CHANGE.value] for name in forms.proposal_fields()},
}


class AdjustmentView(ZwModelView):
    datamodel = ReachInterface(AdjustmentRequest)
    class_permission_name = "Adjustments"
    method_permission_name = {**METHOD_PERMISSIONS, "transition": "write", "queue": "read"}
    list_title = show_title = add_title = edit_title = _l("Adjustment requests")
    include_route_methods = {
        "list",
        "show",
        "add",
        "edit",
        "transition",
        "queue",
        "api_read",
        "export",
    }
    list_template = "zwfw/list_export.html"
    extra_args = {"export_endpoint": "AdjustmentView.export"}
    list_columns = [
        "id",
        "kind_label",
        "item",
        "unit",
        "state_label",
        "submitted_at",
        "due_label",
        "urgent",
    ]
    search_columns = ["kind", "state", "unit", "region", "item", "urgent", "created_by"]
    add_columns = [
        "item",
        "kind",
        "ground",
        "legal_basis",
        "explanation",
        "planned_start",
        "planned_resume",
        "urgent",
        *forms.proposal_fields(),
    ]
    edit_columns = [c for c in add_columns if c not in ("item", "kind")] + ["lock_version"]
    # Cancelled and terminated items take no further adjustment.
    add_form_query_rel_fields = {
        "item": [
            ["status", FilterNotEqual, ItemStatus.CANCELLED.value],
            ["status", FilterNotEqual, ItemStatus.TERMINATED.value],
        ]
    }
    base_order = ("created_at", "desc")
    label_columns = {
        "id": _l("No."),
        "kind": _l("Kind"),
        "kind_label": _l("Kind"),
        "item": _l("Item"),
        "unit": _l("Implementing unit"),
        "region": _l("Region"),
        "state": _l("State"),
        "state_label": _l("State"),
        "submitted_at": _l("Submitted"),
        "due_label": _l("Step due"),
        "urgent": _l("Urgent"),
        "created_by": _l("Created by"),
        "ground": _l("Ground"),
        "legal_basis": _l("Legal basis"),
        "explanation": _l("Explanation"),
        "planned_start": _l("Planned first day (suspension)"),
        "planned_resume": _l("Planned resume date (suspension)"),
        "implementation_code": _l("Implementation code"),
        "item_name": _l("Item name"),
        "decided_at": _l("Decided"),
        "last_reason": _l("Last reason"),
    }
    description_columns = {
        "urgent": _l(
            "Only for a suspension that cannot be filed 5 working days ahead; it is flagged."
        ),
    }
    formatters_columns = {
        "urgent": lambda value: _("Urgent") if value else "",
        "submitted_at": format_datetime,
    }

    def __init__(self, **kwargs: Any) -> None:
        fields = {
            "kind": SelectField(_l("Kind"), choices=forms.select_choices(AdjustmentKind.choices())),
            "ground": SelectField(
                _l("Ground"), choices=forms.select_choices(AdjustmentGround.choices())
            ),
            "urgent": BooleanField(_l("Urgent")),
            "legal_basis": TextAreaField(
                _l("Legal basis"), filters=[forms.blank_if_none], widget=forms.WideTextArea()
            ),
            "explanation": TextAreaField(
                _l("Explanation"),
                validators=[Optional()],
                filters=[forms.blank_if_none],
                widget=forms.WideTextArea(),
            ),
            "planned_start": DateField(
                _l("Planned first day (suspension)"), validators=[Optional()]
            ),
            "planned_resume": DateField(
                _l("Planned resume date (suspension)"), validators=[Optional()]
            ),
            **forms.proposal_fields(),
        }
        self.add_form_extra_fields = dict(fields)
        self.edit_form_extra_fields = {k: v for k, v in fields.items() if k != "kind"}
        super().__init__(**kwargs)

    def prefill_form(self, form: Any, pk: Any) -> None:
        super().prefill_form(form, pk)
        item = self.datamodel.get(pk)
        if item is not None:
            for name, value in services.proposed(item).items():
                field = getattr(form, f"p_{name}", None)
                if field is not None:
                    field.data = ("1" if value else "0") if name == "fully_online" else value

    add_template = "catalogue/adjustment_add.html"

    def _item_from_filter(self) -> ImplementationItem | None:
        """The item an adjustment is started from (``?_flt_0_item=<id>``, the item page's
        button), within reach; None when the user picks it in the form."""
        pk = request.args.get("_flt_0_item")
        if not pk:
            return None
        try:
            return current_actor().reach.one(db.session, ImplementationItem, pk)
        except DomainError:
            abort(404)

    @expose("/add", methods=["GET", "POST"])
    @has_access
    def add(self) -> Any:
        """The form shows the item it starts from and offers only the kinds its state allows;
        saved, it opens the request, where 「提交审核」 is offered."""
        widget = self._add()
        if not widget:
            return self.post_add_redirect()
        return self.render_template(
            self.add_template, title=self.add_title, widgets=widget, **self.form_context()
        )

    def form_context(self) -> dict[str, Any]:
        return {"item": self._item_from_filter(), "kind_fields": KIND_FIELDS}

    def _get_add_widget(self, form: Any, exclude_cols: Any = None, widgets: Any = None) -> Any:
        item = self._item_from_filter()
        if item is not None and hasattr(form, "kind"):
            allowed = set(services.kinds_for(item))
            form.kind.choices = [c for c in form.kind.choices if not c.value or c.value in allowed]
        return super()._get_add_widget(form, exclude_cols=exclude_cols, widgets=widgets)

    def _get_edit_widget(self, form: Any, exclude_cols: Any = None, widgets: Any = None) -> Any:
        """The edit form of a request shows only the fields its kind needs."""
        adjustment = self.datamodel.get((request.view_args or {}).get("pk"))
        if adjustment is not None:
            exclude_cols = [
                *(exclude_cols or []),
                *(n for n, kinds in KIND_FIELDS.items() if adjustment.kind not in kinds),
            ]
        return super()._get_edit_widget(form, exclude_cols=exclude_cols, widgets=widgets)

    def post_add(self, item: AdjustmentRequest) -> None:
        g.zw_added_adjustment = item.id

    def post_add_redirect(self) -> Any:
        added = g.pop("zw_added_adjustment", None)
        if added is None:
            return super().post_add_redirect()
        flash(_("Saved as a draft. Submit it for review when it is complete."), "info")
        return redirect(url_for("AdjustmentView.show", pk=added))

    def row_permissions(self, pks: list[Any]) -> dict[Any, tuple[bool, bool]]:
        """Only the proposer's draft or returned request is edited."""
        rows = db.session.execute(
            select(AdjustmentRequest).where(AdjustmentRequest.id.in_(pks))
        ).scalars()
        return {r.id: (services.adjustment_editable(r), False) for r in rows}

    def validate(self, item: AdjustmentRequest) -> None:
        actor = current_actor()
        services.require_role(actor, *services.PROPOSERS)
        if item.id is None:
            item.state = AdjustmentState.DRAFT.value
            item.created_by = actor.username
        elif not services.adjustment_editable(item):
            raise ValidationError(message=_("Only a draft or returned request can be edited."))
        item.proposed_values = json.dumps(_proposal_from(item), ensure_ascii=False)
        services.validate_adjustment(db.session, item)

    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk: Any) -> Any:
        """The review page: the diff, the steps so far, and the buttons this user may press."""
        adjustment = self.datamodel.get(pk)
        if adjustment is None:
            abort(404)
        actor = current_actor()
        return self.render_template(
            "catalogue/adjustment_show.html",
            adjustment=adjustment,
            changes=services.adjustment_changes(adjustment),
            transitions=services.available_transitions(actor, adjustment, db.session),
            transition_label=Transition.label_of,
            field_label=field_label,
            show_value=show_value,
            state_label=AdjustmentState.label_of,
            title=_("Adjustment request"),
        )

    @expose("/transition/<int:pk>", methods=["POST"])
    @has_access
    def transition(self, pk: int) -> Any:
        adjustment = self.datamodel.get(pk)
        if adjustment is None:
            abort(404)
        try:
            with unit_of_work(db.session, current_actor()):
                services.transition(
                    db.session,
                    actor=current_actor(),
                    adjustment=adjustment,
                    name=request.form.get("name", ""),
                    reason=request.form.get("reason", ""),
                    version=request.form.get("version") or None,
                )
        except DomainError as error:
            return render_domain_error(error, redirect_to=url_for("AdjustmentView.show", pk=pk))
        else:
            flash(
                _("Done: the request is now “%(state)s”.", state=adjustment.state_label), "success"
            )
        return redirect(url_for("AdjustmentView.show", pk=pk))

    @expose("/export/")
    @has_access
    def export(self) -> Any:
        """The filtered list as .xlsx."""
        return self.export_filtered_list(
            columns=exports.ADJUSTMENT_COLUMNS,
            title=_l("Adjustment requests"),
            filename_stem="adjustments",
            default_order=("created_at", "desc"),
            row=exports.adjustment_row,
        )

    @expose("/queue")
    @has_access
    def queue(self) -> Any:
        entries = services.my_queue(db.session, actor=current_actor())
        return self.render_template(
            "catalogue/queue.html", entries=entries, title=_("My review queue")
        )


# The item page lists the item's adjustment requests in a tab.
ImplementationItemView.related_views = [AdjustmentView]
