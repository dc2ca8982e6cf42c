"""Objections to licence data (art. 18)."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_appbuilder.baseviews import expose
from flask_appbuilder.models.sqla.filters import FilterEqual, FilterStartsWith
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from app.core import calendar
from app.core.actor import current_actor
from app.core.base_views import ZwModelView
from app.core.reach import ReachInterface
from app.core.roles import METHOD_PERMISSIONS
from app.core.unit_of_work import unit_of_work
from app.extensions import db
from app.licences import services
from app.licences.forms import objection_fields
from app.licences.models import LicenceObjection
from app.licences.states import OBJECTION, ObjectionOutcome
from app.licences.views.common import BLANK_FORMATTERS, _date, _steps


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
