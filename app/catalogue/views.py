"""Views of the catalogue: item types, basic catalogue, implementation lists, adjustments (with
the reviewers' queue), version history and filings. Every rule is a call into services."""

from __future__ import annotations

import json
from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_appbuilder.baseviews import expose
from flask_appbuilder.models.sqla.filters import FilterEqual, FilterNotEqual, FilterStartsWith
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from wtforms import BooleanField, DateField, SelectField, TextAreaField
from wtforms.validators import Optional

from app.catalogue import forms, services
from app.catalogue.models import (
    GUIDE_ELEMENTS,
    AdjustmentRequest,
    BasicCatalogueEntry,
    Filing,
    ImplementationItem,
    ItemType,
)
from app.catalogue.states import (
    FILING,
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
from app.core.actor import current_actor
from app.core.base_views import ZwModelView
from app.core.calendar import format_datetime
from app.core.context import person_name
from app.core.errors import DomainError, ValidationError, render_domain_error
from app.core.models import Region
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


class AdjustmentView(ZwModelView):
    datamodel = ReachInterface(AdjustmentRequest)
    class_permission_name = "Adjustments"
    method_permission_name = {**METHOD_PERMISSIONS, "transition": "write", "queue": "read"}
    list_title = show_title = add_title = edit_title = _l("Adjustment requests")
    include_route_methods = {"list", "show", "add", "edit", "transition", "queue", "api_read"}
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
    search_columns = ["kind", "state", "unit", "region", "item", "urgent"]
    add_columns = [
        "item",
        "kind",
        "ground",
        "legal_basis",
        "explanation",
        "planned_start",
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
        "ground": _l("Ground"),
        "legal_basis": _l("Legal basis"),
        "explanation": _l("Explanation"),
        "planned_start": _l("Planned first day (suspension)"),
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
            "explanation": TextAreaField(
                _l("Explanation"), validators=[Optional()], filters=[forms.blank_if_none]
            ),
            "planned_start": DateField(
                _l("Planned first day (suspension)"), validators=[Optional()]
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

    def validate(self, item: AdjustmentRequest) -> None:
        actor = current_actor()
        services.require_role(actor, *services.PROPOSERS)
        if item.id is None:
            item.state = AdjustmentState.DRAFT.value
            item.created_by = actor.username
        elif item.state not in (AdjustmentState.DRAFT.value, AdjustmentState.RETURNED.value):
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

    @expose("/queue")
    @has_access
    def queue(self) -> Any:
        entries = services.my_queue(db.session, actor=current_actor())
        return self.render_template(
            "catalogue/queue.html", entries=entries, title=_("My review queue")
        )


# The item page lists the item's adjustment requests in a tab.
ImplementationItemView.related_views = [AdjustmentView]


class FilingView(ZwModelView):
    datamodel = ReachInterface(Filing)
    class_permission_name = "Filings"
    method_permission_name = {
        **METHOD_PERMISSIONS,
        "file": "write",
        "decide": "write",
        "changes": "read",
    }
    list_title = show_title = _l("Filings")
    include_route_methods = {"list", "show", "file", "decide", "changes", "api_read"}
    list_template = "catalogue/filing_list.html"
    list_columns = ["id", "region", "state_label", "filed_at", "filed_by", "row_count"]
    search_columns = ["region", "state", "filed_by"]
    base_order = ("filed_at", "desc")
    label_columns = {
        "id": _l("No."),
        "region": _l("Region"),
        "state": _l("State"),
        "state_label": _l("State"),
        "filed_at": _l("Filed"),
        "filed_by": _l("Filed by"),
        "row_count": _l("Rows"),
    }
    # Who filed, by name (the column keeps the login name, as the audit log does).
    formatters_columns = {"filed_by": person_name}

    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk: Any) -> Any:
        """The frozen rows, whether they still match their hash, and the decision buttons."""
        filing = self.datamodel.get(pk)
        if filing is None:
            abort(404)
        return self.render_template(
            "catalogue/filing_show.html",
            filing=filing,
            rows=services.filing_rows(filing),
            intact=services.filing_intact(filing),
            decisions=FILING.allowed(current_actor(), filing, db.session),
            show_value=show_value,
            title=_("Filing"),
        )

    @expose("/file", methods=["POST"])
    @has_access
    def file(self) -> Any:
        actor = current_actor()
        region = _own_region(actor)
        try:
            with unit_of_work(db.session, actor):
                filing = services.file_list(
                    db.session, actor=actor, region=region, note=request.form.get("note", "")
                )
        except DomainError as error:
            return render_domain_error(error, redirect_to=url_for("FilingView.list"))
        flash(_("The list was filed (%(n)d rows).", n=filing.row_count), "success")
        return redirect(url_for("FilingView.show", pk=filing.id))

    @expose("/decide/<int:pk>", methods=["POST"])
    @has_access
    def decide(self, pk: int) -> Any:
        filing = self.datamodel.get(pk)
        if filing is None:
            abort(404)
        try:
            with unit_of_work(db.session, current_actor()):
                services.decide_filing(
                    db.session,
                    actor=current_actor(),
                    filing=filing,
                    acknowledge=request.form.get("decision") == "acknowledge",
                    reason=request.form.get("reason", ""),
                    version=request.form.get("version") or None,
                )
        except DomainError as error:
            return render_domain_error(error, redirect_to=url_for("FilingView.show", pk=pk))
        return redirect(url_for("FilingView.show", pk=pk))

    @expose("/changes")
    @has_access
    def changes(self) -> Any:
        actor = current_actor()
        region = _own_region(actor)
        result = services.changes_since_acknowledged(db.session, actor=actor, region=region)
        return self.render_template(
            "catalogue/filing_changes.html",
            region=region,
            result=result,
            field_label=field_label,
            show_value=show_value,
            title=_("Changes since the last acknowledged filing"),
        )


def _own_region(actor: Any) -> Region:
    user = actor.user
    region_id = getattr(user, "region_id", None) if user is not None else None
    if region_id is None:
        abort(404)
    region = db.session.execute(select(Region).where(Region.id == region_id)).scalar_one()
    return region
