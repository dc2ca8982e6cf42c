"""REST APIs of the licence domain: the same services as the views, under the same reach."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import request, send_file
from flask_appbuilder.api import BaseApi, expose, protect, safe
from flask_babel import gettext as _
from werkzeug.exceptions import RequestEntityTooLarge

from app.core.actor import current_actor
from app.core.base_views import ZwModelRestApi
from app.core.errors import DomainError, OutOfReach, render_domain_error
from app.core.reach import ReachInterface
from app.core.roles import METHOD_PERMISSIONS
from app.core.unit_of_work import unit_of_work
from app.extensions import db
from app.licences import services
from app.licences.models import (
    LicenceEntry,
    LicenceFaceField,
    LicenceItemLink,
    LicenceObjection,
    LicenceStatusEvent,
    LicenceUsageApplication,
)
from app.licences.views import (
    ENTRY_CHOICE_ORDER,
    PUBLISHED_ENTRY_CHOICES,
    CatalogueInterface,
    sample_settings,
)


def _date(value: Any) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except (TypeError, ValueError):
        return None


class _TransitionMixin:
    """Runs a service on one in-reach row and answers with its new state and version (or the
    domain error). Every body carries the record's "version" (optimistic lock; 409 without)."""

    def _transition(self, pk: int, operation: Any) -> Any:
        item = self.datamodel.get(pk)  # type: ignore[attr-defined]
        if item is None:
            return self.response_404()  # type: ignore[attr-defined]
        try:
            with unit_of_work(db.session, current_actor()):
                operation(item, request.get_json(silent=True) or {})
        except DomainError as error:
            return render_domain_error(error)
        return self.response(  # type: ignore[attr-defined]
            200, id=item.id, state=item.state, version=item.version
        )


class LicenceEntryApi(_TransitionMixin, ZwModelRestApi):
    resource_name = "licence_entry"
    class_permission_name = "Licences"
    datamodel = ReachInterface(LicenceEntry)
    method_permission_name = {
        **METHOD_PERMISSIONS,
        "submit": "write",
        "deprecate": "write",
        "upload_sample": "write",
        "download_sample": "read",
    }
    list_columns = [
        "id",
        "name",
        "type_code",
        "issuing_unit_id",
        "issuing_unit.name",
        "holder_category",
        "trust_level",
        "state",
        "submitted_at",
    ]
    show_columns = [
        "id",
        "name",
        "type_code",
        "issuing_unit_id",
        "holder_category",
        "validity_rule",
        "validity_years",
        "trust_level",
        "description",
        "state",
        "submitted_at",
        "reviewed_at",
        "rejection_reason",
        "sample_filename",
        "sample_mimetype",
        "sample_size",
        "deprecated_at",
        "deprecation_reason",
        "face_fields.id",
        "face_fields.position",
        "face_fields.name",
        "face_fields.data_type",
        "face_fields.required",
        "version",
    ]
    add_columns = [
        "name",
        "type_code",
        "issuing_unit",
        "holder_category",
        "validity_rule",
        "validity_years",
        "trust_level",
        "description",
    ]
    edit_columns = add_columns + ["version"]
    order_columns = ["name", "type_code", "submitted_at"]
    search_columns = ["name", "type_code", "issuing_unit", "state", "holder_category"]
    base_order = ("name", "asc")

    def validate(self, item: LicenceEntry) -> None:
        services.prepare_entry(db.session, item, actor=current_actor())

    def pre_delete(self, item: LicenceEntry) -> None:
        services.ensure_entry_deletable(item)

    @expose("/<int:pk>/submit", methods=["POST"])
    @protect()
    @safe
    def submit(self, pk: int) -> Any:
        """Submit the entry for review (draft → submitted, revised → resubmitted); body:
        {"version": n}."""
        return self._transition(
            pk,
            lambda item, body: services.submit(
                db.session, item, actor=current_actor(), version=body.get("version")
            ),
        )

    @expose("/<int:pk>/deprecate", methods=["POST"])
    @protect()
    @safe
    def deprecate(self, pk: int) -> Any:
        """Deprecate a published entry; body: {"reason": "...", "version": n}."""
        return self._transition(
            pk,
            lambda item, body: services.deprecate(
                db.session,
                item,
                actor=current_actor(),
                reason=body.get("reason"),
                version=body.get("version"),
            ),
        )

    @expose("/<int:pk>/sample", methods=["POST"])
    @protect()
    @safe
    def upload_sample(self, pk: int) -> Any:
        """Upload the sample file (multipart fields ``file``: PDF, PNG or JPEG, and the entry's
        ``version``)."""
        try:
            upload = request.files.get("file")
        except RequestEntityTooLarge:  # @safe would make it a 500
            from app.core.guards import upload_limit_mb

            return self.response(
                413,
                message=_(
                    "The upload is larger than the limit of %(limit)s MB.", limit=upload_limit_mb()
                ),
            )

        def attach(item: LicenceEntry, _body: Any) -> None:
            directory, max_bytes = sample_settings()
            services.attach_sample(
                db.session,
                item,
                actor=current_actor(),
                version=request.form.get("version"),
                filename=upload.filename if upload else None,
                data=upload.read() if upload else b"",
                directory=directory,
                max_bytes=max_bytes,
            )

        return self._transition(pk, attach)

    @expose("/<int:pk>/sample", methods=["GET"])
    @protect()
    @safe
    def download_sample(self, pk: int) -> Any:
        """Download the sample file."""
        item = self.datamodel.get(pk)
        path = services.sample_path(item, sample_settings()[0]) if item is not None else None
        if path is None:
            return self.response_404()
        response = send_file(
            path,
            mimetype=item.sample_mimetype,
            as_attachment=True,
            download_name=item.sample_filename or path.name,
        )
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response


class LicenceFaceFieldApi(ZwModelRestApi):
    resource_name = "licence_face_field"
    class_permission_name = "Licences"
    datamodel = ReachInterface(LicenceFaceField)
    list_columns = ["id", "entry_id", "position", "name", "data_type", "required"]
    show_columns = list_columns
    add_columns = ["entry", "position", "name", "data_type", "required"]
    edit_columns = ["position", "name", "data_type", "required"]
    order_columns = ["position"]
    search_columns = ["entry", "name"]
    base_order = ("position", "asc")

    def validate(self, item: LicenceFaceField) -> None:
        # The new field already sits in entry.face_fields (back-populated) but not in the
        # session: an autoflush now (loading the actor's roles) would warn and skip it.
        with db.session.no_autoflush:
            services.prepare_face_field(db.session, item, actor=current_actor())

    def pre_delete(self, item: LicenceFaceField) -> None:
        services.ensure_face_field_deletable(db.session, item, actor=current_actor())


class LicenceCatalogueApi(ZwModelRestApi):
    """The published catalogue, read only, province-wide."""

    resource_name = "licence_catalogue"
    class_permission_name = "LicenceCatalogue"
    datamodel = CatalogueInterface(LicenceEntry)
    include_route_methods = {"get", "get_list", "info"}
    list_columns = [
        "id",
        "name",
        "type_code",
        "issuing_unit.name",
        "holder_category",
        "validity_rule",
        "validity_years",
        "trust_level",
        "state",
    ]
    show_columns = list_columns + [
        "face_fields.position",
        "face_fields.name",
        "face_fields.data_type",
        "face_fields.required",
    ]
    order_columns = ["name", "type_code"]
    search_columns = ["name", "type_code", "issuing_unit", "holder_category", "trust_level"]
    base_order = ("name", "asc")


class LicenceUsageApplicationApi(_TransitionMixin, ZwModelRestApi):
    resource_name = "licence_usage_application"
    class_permission_name = "LicenceUsage"
    datamodel = ReachInterface(LicenceUsageApplication)
    method_permission_name = {**METHOD_PERMISSIONS, "submit": "write"}
    list_columns = [
        "id",
        "entry_id",
        "entry.name",
        "applicant_unit_id",
        "applicant_unit.name",
        "mode",
        "state",
        "requested_end_date",
        "approved_end_date",
        "submitted_at",
    ]
    show_columns = [
        "id",
        "entry_id",
        "applicant_unit_id",
        "can_call",
        "can_view",
        "can_verify",
        "can_authorize",
        "mode",
        "service_items",
        "items.id",
        "items.implementation_code",
        "reason",
        "requested_end_date",
        "state",
        "submitted_at",
        "reviewed_at",
        "rejection_reason",
        "approved_scope",
        "approved_end_date",
        "version",
    ]
    add_columns = [
        "entry",
        "applicant_unit",
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
    edit_columns = add_columns + ["version"]
    add_query_rel_fields = edit_query_rel_fields = PUBLISHED_ENTRY_CHOICES
    order_rel_fields = ENTRY_CHOICE_ORDER
    order_columns = ["submitted_at", "requested_end_date", "id"]
    search_columns = ["applicant_unit", "entry", "state", "mode"]
    base_order = ("id", "desc")

    def validate(self, item: LicenceUsageApplication) -> None:
        services.prepare_usage_application(db.session, item, actor=current_actor())

    def pre_delete(self, item: LicenceUsageApplication) -> None:
        services.ensure_application_deletable(item)

    @expose("/<int:pk>/submit", methods=["POST"])
    @protect()
    @safe
    def submit(self, pk: int) -> Any:
        """Submit the application for review; body: {"version": n}."""
        return self._transition(
            pk,
            lambda item, body: services.submit(
                db.session, item, actor=current_actor(), version=body.get("version")
            ),
        )


class LicenceObjectionApi(_TransitionMixin, ZwModelRestApi):
    resource_name = "licence_objection"
    class_permission_name = "LicenceObjections"
    datamodel = ReachInterface(LicenceObjection)
    include_route_methods = {"get", "get_list", "info", "post", "mark", "resolve"}
    method_permission_name = {**METHOD_PERMISSIONS, "mark": "write", "resolve": "write"}
    list_columns = [
        "id",
        "entry_id",
        "licence_number",
        "holder_name",
        "disputed_field",
        "received_on",
        "state",
        "mark_due_date",
        "verify_due_date",
        "deadlines_provisional",
        "overdue_flag",
    ]
    show_columns = list_columns + [
        "claim",
        "raised_by",
        "source",
        "marked_at",
        "resolved_at",
        "outcome",
        "outcome_note",
        "applicant_told_on",
        "applicant_told_how",
    ]
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
    order_columns = ["received_on", "id"]
    search_columns = ["licence_number", "state", "received_on", "entry"]
    base_order = ("received_on", "desc")

    def validate(self, item: LicenceObjection) -> None:
        services.record_objection(db.session, item, actor=current_actor())

    @expose("/<int:pk>/mark", methods=["POST"])
    @protect()
    @safe
    def mark(self, pk: int) -> Any:
        """Mark the licence as disputed (within 1 working day); body: {"version": n}."""
        return self._transition(
            pk,
            lambda item, body: services.mark_objection(
                db.session, item, actor=current_actor(), version=body.get("version")
            ),
        )

    @expose("/<int:pk>/resolve", methods=["POST"])
    @protect()
    @safe
    def resolve(self, pk: int) -> Any:
        """Record the outcome and that the applicant was told; body: outcome, outcome_note,
        applicant_told_on (YYYY-MM-DD), applicant_told_how, version."""
        return self._transition(
            pk,
            lambda item, body: services.resolve_objection(
                db.session,
                item,
                actor=current_actor(),
                outcome=body.get("outcome"),
                note=body.get("outcome_note"),
                told_on=_date(body.get("applicant_told_on")),
                told_how=body.get("applicant_told_how"),
                version=body.get("version"),
            ),
        )


class LicenceStatusEventApi(ZwModelRestApi):
    resource_name = "licence_status_event"
    class_permission_name = "LicenceEvents"
    datamodel = ReachInterface(LicenceStatusEvent)
    include_route_methods = {"get", "get_list", "info", "post"}
    list_columns = [
        "id",
        "entry_id",
        "licence_number",
        "event_type",
        "event_date",
        "reason",
        "recorded_at",
    ]
    show_columns = list_columns
    add_columns = ["entry", "licence_number", "event_type", "event_date", "reason"]
    order_columns = ["event_date", "licence_number", "id"]
    search_columns = ["licence_number", "event_type", "event_date", "entry"]
    base_order = ("event_date", "desc")

    def validate(self, item: LicenceStatusEvent) -> None:
        services.prepare_status_event(db.session, item, actor=current_actor())


class LicenceReviewApi(BaseApi):
    """The licence reviewer's decisions: queue, approve, reject (entries and applications)."""

    resource_name = "licence_review"
    class_permission_name = "LicenceReview"
    method_permission_name = {**METHOD_PERMISSIONS, "queue": "read", "decide": "write"}
    allow_browser_login = True
    openapi_spec_tag = "Licence review"
    KINDS = {"entry": LicenceEntry, "application": LicenceUsageApplication}

    @expose("/queue", methods=["GET"])
    @protect()
    @safe
    def queue(self) -> Any:
        """Pending registrations and applications, oldest first, with working days waiting."""
        actor = current_actor()
        result = {}
        for kind, model in self.KINDS.items():
            result[kind] = [
                {
                    "id": row.obj.id,
                    "state": row.obj.state,
                    "submitted_at": row.obj.submitted_at.isoformat(),
                    "waiting_working_days": row.waiting_days,
                    "provisional": row.provisional,
                }
                for row in services.review_queue(db.session, model, actor=actor)
            ]
        return self.response(200, result=result)

    @expose("/<string:kind>/<int:pk>/<string:decision>", methods=["POST"])
    @protect()
    @safe
    def decide(self, kind: str, pk: int, decision: str) -> Any:
        """Approve or reject; body: version, reason (reject), scope and end_date (applications)."""
        model = self.KINDS.get(kind)
        if model is None or decision not in ("approve", "reject"):
            return self.response_404()
        actor = current_actor()
        try:
            item = actor.reach.one(db.session, model, pk)
        except OutOfReach:
            return self.response_404()
        body = request.get_json(silent=True) or {}
        try:
            with unit_of_work(db.session, actor):
                if decision == "approve":
                    services.approve(
                        db.session,
                        item,
                        actor=actor,
                        scope=body.get("scope"),
                        end_date=_date(body.get("end_date")),
                        version=body.get("version"),
                    )
                else:
                    services.reject(
                        db.session,
                        item,
                        actor=actor,
                        reason=body.get("reason"),
                        version=body.get("version"),
                    )
        except DomainError as error:
            return render_domain_error(error)
        return self.response(200, id=item.id, state=item.state, version=item.version)


class LicenceItemLinkApi(ZwModelRestApi):
    """Service items that accept a licence type; ``/item/<id>`` answers "which licences does
    this item accept" for an item in reach."""

    resource_name = "licence_item_link"
    class_permission_name = "LicenceItemLinks"
    datamodel = ReachInterface(LicenceItemLink)
    include_route_methods = {"get", "get_list", "info", "post", "delete", "accepted_by_item"}
    method_permission_name = {**METHOD_PERMISSIONS, "accepted_by_item": "read"}
    list_columns = ["id", "item_id", "entry_id", "entry.name", "entry.type_code", "created_at"]
    show_columns = list_columns
    add_columns = ["item", "entry"]
    add_query_rel_fields = PUBLISHED_ENTRY_CHOICES
    order_rel_fields = ENTRY_CHOICE_ORDER
    order_columns = ["id"]
    search_columns = ["item", "entry"]
    base_order = ("id", "desc")

    def validate(self, item: LicenceItemLink) -> None:
        services.prepare_item_link(db.session, item, actor=current_actor())

    @expose("/item/<int:item_id>", methods=["GET"])
    @protect()
    @safe
    def accepted_by_item(self, item_id: int) -> Any:
        """The published licence types this service item accepts."""
        try:
            entries = services.licences_accepted_by(db.session, item_id, actor=current_actor())
        except DomainError as error:
            return render_domain_error(error)
        return self.response(
            200,
            result=[
                {
                    "id": entry.id,
                    "name": entry.name,
                    "type_code": entry.type_code,
                    "issuing_unit": entry.issuing_unit.name,
                    "trust_level": entry.trust_level,
                }
                for entry in entries
            ],
        )
