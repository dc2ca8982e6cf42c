"""HTML views of the licence domain. Rules live in services; views pass the actor along."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import quote

from flask import Response, abort, current_app, flash, g, redirect, request, send_file, url_for
from flask_appbuilder import BaseView
from flask_appbuilder.baseviews import expose
from flask_appbuilder.models.sqla.filters import FilterEqual, FilterStartsWith
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from app.core import calendar
from app.core.actor import current_actor
from app.core.base_views import ZwModelView
from app.core.errors import DomainError, OutOfReach, render_domain_error
from app.core.reach import ReachInterface
from app.core.roles import METHOD_PERMISSIONS
from app.core.unit_of_work import unit_of_work
from app.core.workflow import Workflow
from app.extensions import db
from app.licences import services
from app.licences.forms import (
    entry_fields,
    face_field_fields,
    objection_fields,
    status_event_fields,
    usage_application_fields,
)
from app.licences.models import (
    LicenceEntry,
    LicenceFaceField,
    LicenceItemLink,
    LicenceObjection,
    LicenceStatusEvent,
    LicenceUsageApplication,
)
from app.licences.states import OBJECTION, REVIEW, ObjectionOutcome, ReviewState


def _uploaded_sample() -> tuple[str, bytes] | None:
    """The uploaded sample (read once per request), under the raw name the browser sent:
    werkzeug's ``secure_filename`` would silently hide path tricks that we want to refuse."""
    if "licence_sample" not in g:
        upload = request.files.get("sample_upload") if request.method == "POST" else None
        g.licence_sample = (
            (upload.filename, upload.read()) if upload is not None and upload.filename else None
        )
    return g.licence_sample


def sample_settings() -> tuple[str, int]:
    return (
        current_app.config["LICENCE_SAMPLES_DIR"],
        int(current_app.config["LICENCE_SAMPLE_MAX_BYTES"]),
    )


def _date(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _steps(flow: Workflow, item: Any) -> set[str]:
    """The names of the steps the current user may take on ``item``: the buttons to show."""
    return {t.name for t in flow.allowed(current_actor(), item, db.session)}


def _blank(value: Any) -> Any:
    """Show nothing rather than "None" for an empty optional value."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return calendar.format_datetime(value)
    return value


BLANK_FORMATTERS = {
    name: _blank
    for name in (
        "description",
        "sample_filename",
        "submitted_at",
        "reviewed_at",
        "rejection_reason",
        "deprecated_at",
        "deprecation_reason",
        "approved_scope",
        "approved_end_date",
        "marked_at",
        "resolved_at",
        "outcome_note",
        "applicant_told_on",
        "applicant_told_how",
        "recorded_at",
        "validity_years",
    )
}

# A licence type another unit may use or a service item may accept: a published entry (the
# related list itself is scoped by the licence rule: entries in reach plus published ones).
PUBLISHED_ENTRY_CHOICES = {"entry": [["state", FilterEqual, ReviewState.APPROVED.value]]}
ENTRY_CHOICE_ORDER = {"entry": ("name", "asc")}

ENTRY_LABELS = {
    "name": _l("Licence name"),
    "type_code": _l("Licence type code"),
    "issuing_unit": _l("Issuing unit"),
    "region": _l("Region"),
    "holder_category": _l("Holder category"),
    "holder_category_label": _l("Holder category"),
    "validity_rule": _l("Validity rule"),
    "validity_years": _l("Validity (years)"),
    "validity_label": _l("Validity"),
    "trust_level": _l("Trust level"),
    "trust_level_label": _l("Trust level"),
    "description": _l("Description"),
    "state": _l("State"),
    "state_label": _l("State"),
    "submitted_at": _l("Submitted at"),
    "reviewed_at": _l("Reviewed at"),
    "rejection_reason": _l("Reason for rejection"),
    "sample_filename": _l("Sample file"),
    "deprecation_reason": _l("Reason for deprecation"),
    "deprecated_at": _l("Deprecated at"),
    "face_fields": _l("Face fields"),
}


class LicenceFaceFieldView(ZwModelView):
    """The ordered face fields (照面信息项) of an entry, edited as a sub-list of the entry."""

    datamodel = ReachInterface(LicenceFaceField)
    class_permission_name = "Licences"
    list_title = show_title = add_title = edit_title = _l("Face fields")
    list_columns = ["position", "name", "data_type_label", "required"]
    add_columns = edit_columns = ["entry", "position", "name", "data_type", "required"]
    show_columns = ["entry", "position", "name", "data_type_label", "required"]
    base_order = ("position", "asc")
    label_columns = {
        "entry": _l("Licence catalogue entry"),
        "position": _l("Order"),
        "name": _l("Field name"),
        "data_type": _l("Data type"),
        "data_type_label": _l("Data type"),
        "required": _l("Required"),
    }
    formatters_columns = {"required": lambda value: _("Yes") if value else _("No")}

    def __init__(self, **kwargs: Any) -> None:
        self.add_form_extra_fields = face_field_fields()
        self.edit_form_extra_fields = face_field_fields()
        super().__init__(**kwargs)

    def validate(self, item: LicenceFaceField) -> None:
        # The new field already sits in entry.face_fields (back-populated) but not in the
        # session: an autoflush now (loading the actor's roles) would warn and skip it.
        with db.session.no_autoflush:
            services.prepare_face_field(db.session, item, actor=current_actor())

    def pre_delete(self, item: LicenceFaceField) -> None:
        services.ensure_face_field_deletable(db.session, item, actor=current_actor())


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


class LicenceEntryView(ZwModelView):
    """The issuing unit's catalogue entries: register, edit, upload a sample, submit, deprecate."""

    datamodel = ReachInterface(LicenceEntry)
    class_permission_name = "Licences"
    method_permission_name = {
        **METHOD_PERMISSIONS,
        "sample": "read",
        "submit": "write",
        "deprecate": "write",
    }
    list_title = _l("Licence catalogue entries")
    show_title = _l("Licence catalogue entry")
    add_title = _l("Register a licence catalogue entry")
    edit_title = _l("Edit a licence catalogue entry")
    list_columns = ["name", "type_code", "issuing_unit", "trust_level_label", "state_label"]
    search_columns = ["name", "type_code", "issuing_unit", "state", "holder_category"]
    search_filters = {"type_code": [FilterEqual, FilterStartsWith]}
    add_columns = edit_columns = [
        "name",
        "type_code",
        "issuing_unit",
        "holder_category",
        "validity_rule",
        "validity_years",
        "trust_level",
        "description",
        "sample_upload",
    ]
    show_columns = [
        "name",
        "type_code",
        "issuing_unit",
        "holder_category_label",
        "validity_label",
        "trust_level_label",
        "description",
        "sample_filename",
        "state_label",
        "submitted_at",
        "reviewed_at",
        "rejection_reason",
        "deprecated_at",
        "deprecation_reason",
    ]
    base_order = ("name", "asc")
    label_columns = {**ENTRY_LABELS, "sample_upload": _l("Sample file")}
    description_columns = {
        "type_code": _l(
            "The defining body's 18-character unified social credit code followed by a "
            "3-digit number, e.g. 11100000000013338W032."
        ),
        "validity_years": _l("Only for a fixed number of years."),
    }
    formatters_columns = BLANK_FORMATTERS
    related_views = [LicenceFaceFieldView, LicenceItemLinkView]
    show_template = "licences/entry_show.html"

    def __init__(self, **kwargs: Any) -> None:
        self.add_form_extra_fields = entry_fields()
        self.edit_form_extra_fields = entry_fields()
        super().__init__(**kwargs)

    def validate(self, item: LicenceEntry) -> None:
        """The entry's rules, then its uploaded sample, in FAB's one commit of the form."""
        actor = current_actor()
        services.prepare_entry(db.session, item, actor=actor)
        upload = _uploaded_sample()
        if upload is not None:
            directory, max_bytes = sample_settings()
            services.attach_sample(
                db.session,
                item,
                actor=actor,
                version=getattr(item, "lock_version", None),
                filename=upload[0],
                data=upload[1],
                directory=directory,
                max_bytes=max_bytes,
            )

    def pre_delete(self, item: LicenceEntry) -> None:
        services.ensure_entry_deletable(item)

    def _item(self, pk: Any) -> LicenceEntry:
        item = self.datamodel.get(pk)
        if item is None:
            abort(404)
        return item

    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk: Any) -> Any:
        item = self._item(pk)
        widgets = self._show(pk)
        return self.render_template(
            self.show_template,
            pk=pk,
            title=self.show_title,
            widgets=widgets,
            related_views=self._related_views,
            item=item,
            diff=services.diff_against_rejection(item),
            editable=ReviewState(item.state) in services.EDITABLE_STATES,
            steps=_steps(REVIEW, item),
        )

    @expose("/sample/<pk>", methods=["GET"])
    @has_access
    def sample(self, pk: Any) -> Any:
        """The sample file, only for users whose reach includes the entry."""
        item = self._item(pk)
        path = services.sample_path(item, sample_settings()[0])
        if path is None:
            abort(404)
        response = send_file(
            path,
            mimetype=item.sample_mimetype,
            as_attachment=True,
            download_name=item.sample_filename or path.name,
        )
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response

    @expose("/submit/<pk>", methods=["POST"])
    @has_access
    def submit(self, pk: Any) -> Any:
        item = self._item(pk)
        with unit_of_work(db.session, current_actor()):
            services.submit(
                db.session, item, actor=current_actor(), version=request.form.get("version")
            )
        flash(_("Submitted to the licence reviewer."), "success")
        return redirect(url_for(".show", pk=item.id))

    @expose("/deprecate/<pk>", methods=["POST"])
    @has_access
    def deprecate(self, pk: Any) -> Any:
        item = self._item(pk)
        with unit_of_work(db.session, current_actor()):
            services.deprecate(
                db.session,
                item,
                actor=current_actor(),
                reason=request.form.get("reason"),
                version=request.form.get("version"),
            )
        flash(_("The entry is deprecated; it stays readable."), "success")
        return redirect(url_for(".show", pk=item.id))


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


class CatalogueItemLinkView(_ItemLinkColumns, ZwModelView):
    """Read-only: which of my reach's service items accept this published licence."""

    datamodel = ReachInterface(LicenceItemLink)
    include_route_methods = {"list", "show"}


class LicenceCatalogueView(ZwModelView):
    """Read-only lookup of the published licence catalogue (window staff, every unit)."""

    datamodel = CatalogueInterface(LicenceEntry)
    class_permission_name = "LicenceCatalogue"
    include_route_methods = {"list", "show"}
    list_title = show_title = _l("Published licence catalogue")
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


class LicenceUsageApplicationView(ZwModelView):
    """A unit's applications to call/view/verify/authorize another unit's licence type."""

    datamodel = ReachInterface(LicenceUsageApplication)
    class_permission_name = "LicenceUsage"
    method_permission_name = {**METHOD_PERMISSIONS, "submit": "write"}
    list_title = _l("Licence usage applications")
    show_title = _l("Licence usage application")
    add_title = _l("Apply to use a licence type")
    edit_title = _l("Edit a licence usage application")
    list_columns = [
        "entry",
        "applicant_unit",
        "actions_label",
        "mode_label",
        "requested_end_date",
        "approved_end_date",
        "state_label",
    ]
    search_columns = ["applicant_unit", "state", "mode", "requested_end_date", "approved_end_date"]
    add_columns = edit_columns = [
        "applicant_unit",
        "entry",
        "can_call",
        "can_view",
        "can_verify",
        "can_authorize",
        "mode",
        "service_items",
        "items",
        "reason",
        "requested_end_date",
    ]
    show_columns = [
        "entry",
        "applicant_unit",
        "actions_label",
        "mode_label",
        "service_items",
        "items",
        "reason",
        "requested_end_date",
        "state_label",
        "submitted_at",
        "reviewed_at",
        "rejection_reason",
        "approved_scope",
        "approved_end_date",
    ]
    base_order = ("id", "desc")
    formatters_columns = BLANK_FORMATTERS
    show_template = "licences/application_show.html"
    label_columns = {
        "entry": _l("Licence type"),
        "applicant_unit": _l("Applicant unit"),
        "can_call": _l("Call"),
        "can_view": _l("View"),
        "can_verify": _l("Verify"),
        "can_authorize": _l("Authorize"),
        "actions_label": _l("Use"),
        "mode": _l("Usage mode"),
        "mode_label": _l("Usage mode"),
        "service_items": _l("Service items"),
        "items": _l("Implementation-list items"),
        "reason": _l("Reason"),
        "requested_end_date": _l("Requested end date"),
        "state": _l("State"),
        "state_label": _l("State"),
        "submitted_at": _l("Submitted at"),
        "reviewed_at": _l("Reviewed at"),
        "rejection_reason": _l("Reason for rejection"),
        "approved_scope": _l("Approved scope"),
        "approved_end_date": _l("Approved until"),
    }
    description_columns = {
        "service_items": _l("The service items the licence is needed for, one per line."),
        "items": _l("Optional: the applicant unit's own implementation-list rows."),
    }

    add_query_rel_fields = edit_query_rel_fields = PUBLISHED_ENTRY_CHOICES
    order_rel_fields = ENTRY_CHOICE_ORDER

    def __init__(self, **kwargs: Any) -> None:
        self.add_form_extra_fields = usage_application_fields()
        self.edit_form_extra_fields = usage_application_fields()
        super().__init__(**kwargs)

    def validate(self, item: LicenceUsageApplication) -> None:
        services.prepare_usage_application(db.session, item, actor=current_actor())

    def pre_delete(self, item: LicenceUsageApplication) -> None:
        services.ensure_application_deletable(item)

    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk: Any) -> Any:
        item = self.datamodel.get(pk)
        if item is None:
            abort(404)
        return self.render_template(
            self.show_template,
            pk=pk,
            title=self.show_title,
            widgets=self._show(pk),
            related_views=self._related_views,
            item=item,
            diff=services.diff_against_rejection(item),
            steps=_steps(REVIEW, item),
        )

    @expose("/submit/<pk>", methods=["POST"])
    @has_access
    def submit(self, pk: Any) -> Any:
        item = self.datamodel.get(pk)
        if item is None:
            abort(404)
        with unit_of_work(db.session, current_actor()):
            services.submit(
                db.session, item, actor=current_actor(), version=request.form.get("version")
            )
        flash(_("Submitted to the licence reviewer."), "success")
        return redirect(url_for(".show", pk=item.id))


class LicenceObjectionView(ZwModelView):
    """Objections to licence data (art. 18), with their two working-day deadlines."""

    datamodel = ReachInterface(LicenceObjection)
    class_permission_name = "LicenceObjections"
    method_permission_name = {**METHOD_PERMISSIONS, "mark": "write", "resolve": "write"}
    include_route_methods = {"list", "show", "add", "mark", "resolve", "api_read"}
    list_title = _l("Licence objections")
    show_title = _l("Licence objection")
    add_title = _l("Record a licence objection")
    list_columns = [
        "licence_number",
        "holder_name",
        "disputed_field",
        "received_on",
        "mark_due",
        "verify_due",
        "state_label",
        "overdue",
    ]
    search_columns = ["licence_number", "holder_name", "state", "received_on", "entry"]
    search_filters = {"licence_number": [FilterEqual, FilterStartsWith]}
    add_columns = [
        "entry",
        "licence_number",
        "holder_name",
        "disputed_field",
        "claim",
        "raised_by",
        "source",
        "received_on",
    ]
    show_columns = [
        "entry",
        "licence_number",
        "holder_name",
        "disputed_field",
        "claim",
        "raised_by",
        "source_label",
        "received_on",
        "mark_due",
        "verify_due",
        "state_label",
        "marked_at",
        "resolved_at",
        "outcome_label",
        "outcome_note",
        "applicant_told_on",
        "applicant_told_how",
    ]
    base_order = ("received_on", "desc")
    show_template = "licences/objection_show.html"
    label_columns = {
        "entry": _l("Licence type"),
        "licence_number": _l("Licence number"),
        "holder_name": _l("Holder"),
        "disputed_field": _l("Disputed field"),
        "claim": _l("Claim"),
        "raised_by": _l("Raised by"),
        "source": _l("Raised by (kind)"),
        "source_label": _l("Raised by (kind)"),
        "received_on": _l("Received on"),
        "mark_due": _l("Mark by"),
        "verify_due": _l("Verify by"),
        "state": _l("State"),
        "state_label": _l("State"),
        "overdue": _l("Overdue"),
        "marked_at": _l("Marked at"),
        "resolved_at": _l("Verified at"),
        "outcome_label": _l("Outcome"),
        "outcome_note": _l("Findings"),
        "applicant_told_on": _l("Applicant told on"),
        "applicant_told_how": _l("Applicant told how"),
    }

    def __init__(self, **kwargs: Any) -> None:
        self.add_form_extra_fields = objection_fields()
        super().__init__(**kwargs)

    formatters_columns = {
        **BLANK_FORMATTERS,
        "overdue": lambda value: (
            Markup('<span class="label label-danger">%s</span>') % value if value else ""
        ),
    }

    def validate(self, item: LicenceObjection) -> None:
        services.record_objection(db.session, item, actor=current_actor())

    def _item(self, pk: Any) -> LicenceObjection:
        item = self.datamodel.get(pk)
        if item is None:
            abort(404)
        return item

    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk: Any) -> Any:
        item = self._item(pk)
        return self.render_template(
            self.show_template,
            pk=pk,
            title=self.show_title,
            widgets=self._show(pk),
            related_views=self._related_views,
            item=item,
            outcomes=list(ObjectionOutcome),
            today=calendar.today().isoformat(),
            steps=_steps(OBJECTION, item),
        )

    @expose("/mark/<pk>", methods=["POST"])
    @has_access
    def mark(self, pk: Any) -> Any:
        item = self._item(pk)
        with unit_of_work(db.session, current_actor()):
            services.mark_objection(
                db.session, item, actor=current_actor(), version=request.form.get("version")
            )
        flash(_("The licence is marked as disputed."), "success")
        return redirect(url_for(".show", pk=item.id))

    @expose("/resolve/<pk>", methods=["POST"])
    @has_access
    def resolve(self, pk: Any) -> Any:
        item = self._item(pk)
        with unit_of_work(db.session, current_actor()):
            services.resolve_objection(
                db.session,
                item,
                actor=current_actor(),
                outcome=request.form.get("outcome"),
                note=request.form.get("outcome_note"),
                told_on=_date(request.form.get("applicant_told_on")),
                told_how=request.form.get("applicant_told_how"),
                version=request.form.get("version"),
            )
        flash(_("The outcome is recorded."), "success")
        return redirect(url_for(".show", pk=item.id))


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
            filename_stem="licence-status-events",
            default_order=("event_date", "desc"),
            row=lambda item: [
                item.licence_number,
                item.entry.name,
                item.event_type_label,
                item.event_date,
                item.reason,
            ],
        )


class LicenceReviewView(BaseView):
    """The licence reviewer's desk: the queues, the review page, approve and reject."""

    route_base = "/licencereview"
    class_permission_name = "LicenceReview"
    method_permission_name = {
        "queue": "read",
        "review_entry": "read",
        "review_application": "read",
        "decide_entry": "write",
        "decide_application": "write",
    }
    default_view = "queue"

    KINDS = {"entry": LicenceEntry, "application": LicenceUsageApplication}

    def _load(self, model: type, pk: int) -> Any:
        try:
            return current_actor().reach.one(db.session, model, pk)
        except OutOfReach:
            abort(404)

    @expose("/queue/")
    @has_access
    def queue(self) -> Any:
        actor = current_actor()
        return self.render_template(
            "licences/review_queue.html",
            entries=services.review_queue(db.session, LicenceEntry, actor=actor),
            applications=services.review_queue(db.session, LicenceUsageApplication, actor=actor),
        )

    def _review(self, kind: str, pk: int) -> Any:
        item = self._load(self.KINDS[kind], pk)
        return self.render_template(
            "licences/review.html",
            kind=kind,
            item=item,
            data=services.snapshot(item),
            diff=services.diff_against_rejection(item),
            steps=_steps(REVIEW, item),
        )

    @expose("/entry/<int:pk>")
    @has_access
    def review_entry(self, pk: int) -> Any:
        return self._review("entry", pk)

    @expose("/application/<int:pk>")
    @has_access
    def review_application(self, pk: int) -> Any:
        return self._review("application", pk)

    def _decide(self, kind: str, pk: int) -> Any:
        item = self._load(self.KINDS[kind], pk)
        actor = current_actor()
        decision = request.form.get("decision")
        if decision not in ("approve", "reject"):
            abort(400)
        try:
            with unit_of_work(db.session, actor):
                if decision == "approve":
                    services.approve(
                        db.session,
                        item,
                        actor=actor,
                        scope=request.form.get("scope"),
                        end_date=_date(request.form.get("end_date")),
                        version=request.form.get("version"),
                    )
                    message = _("Approved.")
                else:
                    services.reject(
                        db.session,
                        item,
                        actor=actor,
                        reason=request.form.get("reason"),
                        version=request.form.get("version"),
                    )
                    message = _("Rejected; the unit is asked to revise.")
        except DomainError as error:
            return render_domain_error(error, redirect_to=url_for(f".review_{kind}", pk=pk))
        flash(message, "success")
        return redirect(url_for(".queue"))

    @expose("/entry/<int:pk>/decide", methods=["POST"])
    @has_access
    def decide_entry(self, pk: int) -> Any:
        return self._decide("entry", pk)

    @expose("/application/<int:pk>/decide", methods=["POST"])
    @has_access
    def decide_application(self, pk: int) -> Any:
        return self._decide("application", pk)
