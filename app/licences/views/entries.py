"""The issuing unit's catalogue entries and their face fields (registration)."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, request, send_file, url_for
from flask_appbuilder.baseviews import expose
from flask_appbuilder.models.sqla.filters import FilterEqual, FilterStartsWith
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
from app.licences.forms import entry_fields, face_field_fields
from app.licences.models import LicenceEntry, LicenceFaceField
from app.licences.states import REVIEW, ReviewState
from app.licences.views.common import (
    BLANK_FORMATTERS,
    ENTRY_LABELS,
    _steps,
    _uploaded_sample,
    sample_settings,
)
from app.licences.views.links import LicenceItemLinkView


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
