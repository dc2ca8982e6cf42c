"""A unit's applications to use another unit's licence type."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_appbuilder.baseviews import expose
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.core.actor import current_actor
from app.core.base_views import ZwModelView
from app.core.reach import ReachInterface
from app.core.roles import METHOD_PERMISSIONS
from app.core.unit_of_work import unit_of_work
from app.extensions import db
from app.licences import services
from app.licences.forms import usage_application_fields
from app.licences.models import LicenceUsageApplication
from app.licences.states import REVIEW
from app.licences.views.common import (
    BLANK_FORMATTERS,
    ENTRY_CHOICE_ORDER,
    PUBLISHED_ENTRY_CHOICES,
    _steps,
)


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
    list_template = "zwfw/list_export.html"
    extra_args = {"export_endpoint": "LicenceUsageApplicationView.export"}
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

    @expose("/export/")
    @has_access
    def export(self) -> Any:
        """The filtered list of usage applications as .xlsx."""
        return self.export_filtered_list(
            columns=self.show_columns,
            title=_l("Licence usage applications"),
            filename_stem="licence-usage-applications",
            default_order=("id", "desc"),
        )

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
