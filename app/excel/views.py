"""Pages of the import/export engine, one set per list: upload → mapping → preview → confirm,
history, template download and export. :func:`import_view_for` builds them for a spec."""

from __future__ import annotations

from typing import Any

from flask import (
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    request,
    send_file,
    url_for,
)
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext as _
from werkzeug.exceptions import RequestEntityTooLarge

from app.core.actor import current_actor
from app.core.errors import DomainError, flash_domain_error, render_domain_error
from app.core.reach import ReachInterface
from app.core.roles import METHOD_PERMISSIONS
from app.core.unit_of_work import unit_of_work
from app.excel import services
from app.excel.models import ImportBatch
from app.excel.reader import SheetLayout
from app.excel.spec import ListSpec
from app.excel.states import ImportStatus
from app.excel.writer import XLSX_MIMETYPE, xlsx_response
from app.extensions import db

XLS_MIMETYPE = "application/vnd.ms-excel"
PAGE_SIZE = 25

EXCEL_PERMISSIONS = {
    **METHOD_PERMISSIONS,
    "history": "read",
    "template": "read",
    "export": "read",
    "show": "read",
    "progress": "read",
    "original": "read",
    "errors": "read",
    "upload": "write",
    "mapping": "write",
    "confirm": "write",
}


class ListImportView(BaseView):
    """The pages of one list's spreadsheets; subclasses set ``spec`` (see import_view_for)."""

    spec: ListSpec
    list_datamodel: ReachInterface | None = None  # the list's filters, for filtered exports
    search_columns: tuple[str, ...] = ()
    method_permission_name = EXCEL_PERMISSIONS
    default_view = "history"

    # -- helpers ---------------------------------------------------------------------------

    def _batch(self, batch_id: int) -> ImportBatch:
        try:
            return services.get_batch(
                db.session, actor=current_actor(), batch_id=batch_id, spec=self.spec
            )
        except DomainError:
            abort(404)

    def _stored(self, batch: ImportBatch, name: str) -> Any:
        with unit_of_work(db.session, current_actor()):  # a sealed file's read is audited
            return services.open_stored(
                db.session, actor=current_actor(), spec=self.spec, batch=batch, name=name
            )

    def _render(self, template: str, **context: Any) -> Any:
        return self.render_template(template, spec=self.spec, base=self.route_base, **context)

    # -- pages -----------------------------------------------------------------------------

    @expose("/")
    @has_access
    def history(self) -> Any:
        """The import history, the upload form and the template and export links."""
        return self._history()

    def _history(self) -> Any:
        page = max(request.args.get("page", 0, type=int) or 0, 0)  # not a number: page 1
        query = services.history(db.session, actor=current_actor(), spec=self.spec)
        batches = db.session.execute(query.offset(page * PAGE_SIZE).limit(PAGE_SIZE + 1)).scalars()
        batches = list(batches)
        return self._render(
            "excel/history.html",
            batches=batches[:PAGE_SIZE],
            page=page,
            has_next=len(batches) > PAGE_SIZE,
            can_write=self.appbuilder.sm.has_access("can_write", self.class_permission_name),
            max_mb=current_app.config.get("IMPORT_MAX_MB", 20),
        )

    @expose("/template")
    @has_access
    def template(self) -> Any:
        output = services.template(db.session, actor=current_actor(), spec=self.spec)
        return xlsx_response(output, services.template_filename(self.spec))

    @expose("/export")
    @has_access
    def export(self) -> Any:
        """The list as .xlsx, with the same filters as the list page (``_flt_…`` arguments)."""
        query = self.spec.export_query(db.session, current_actor())
        if query is not None and self.list_datamodel is not None:
            from flask_appbuilder.urltools import get_filter_args

            filters = self.list_datamodel.get_filters(list(self.search_columns))
            get_filter_args(filters, disallow_if_not_in_search=False)
            query = self.list_datamodel.apply_filters(query, filters)
        with unit_of_work(db.session, current_actor()):  # the export's audit record
            output, _count = services.export(
                db.session,
                actor=current_actor(),
                spec=self.spec,
                query=query,
                filters=request.query_string.decode("utf-8", "replace"),
            )
        return xlsx_response(output, services.export_filename(self.spec))

    @expose("/upload", methods=["POST"])
    @has_access
    def upload(self) -> Any:
        try:
            upload = request.files.get("file")
        except RequestEntityTooLarge:
            flash(
                _(
                    "The file is larger than the limit of %(limit)s MB.",
                    limit=current_app.config.get("IMPORT_MAX_MB", 20),
                ),
                "danger",
            )
            return redirect(url_for(f"{self.endpoint}.history"))
        if upload is None or not upload.filename:
            flash(_("Choose a file to upload."), "warning")
            return redirect(url_for(f"{self.endpoint}.history"))
        refused: DomainError | None
        with unit_of_work(db.session, current_actor()):
            try:
                batch = services.upload(
                    db.session,
                    actor=current_actor(),
                    spec=self.spec,
                    file_name=upload.filename,
                    stream=upload.stream,
                )
            except DomainError as error:  # the refused attempt's audit record is kept
                refused = error
            else:
                refused = None
        if refused is not None:  # the history page again, with the reason (the audit is kept)
            flash_domain_error(refused)
            return self._history(), refused.status
        return redirect(url_for(f"{self.endpoint}.mapping", batch_id=batch.id))

    @expose("/<int:batch_id>/mapping", methods=["GET", "POST"])
    @has_access
    def mapping(self, batch_id: int) -> Any:
        """Choose the sheets and confirm or correct the column mapping, then check the rows."""
        batch = self._batch(batch_id)
        if request.method == "POST":
            selected = request.form.getlist("sheet")
            mapping: dict[str, dict[int, str | None]] = {}
            for data in batch.layout_data():
                choices = {}
                for index, _header in enumerate(data.get("headers", [])):
                    field = f"map-{data['name']}-{index}"
                    if field in request.form:
                        choices[index] = request.form[field] or None
                mapping[data["name"]] = choices
            try:
                with unit_of_work(db.session, current_actor()):
                    report = services.set_mapping(
                        db.session,
                        actor=current_actor(),
                        batch=batch,
                        spec=self.spec,
                        selected=selected,
                        mapping=mapping,
                    )
                    if report.ok:
                        services.start_preview(
                            db.session, actor=current_actor(), batch=batch, spec=self.spec
                        )
                if report.ok:
                    return redirect(url_for(f"{self.endpoint}.show", batch_id=batch_id))
            except DomainError as error:
                flash_domain_error(error)  # the mapping page again, with the message
            batch = self._batch(batch_id)
        report = services.mapping_report(batch, self.spec)
        layouts = [(SheetLayout.from_dict(d), d.get("selected")) for d in batch.layout_data()]
        return self._render("excel/mapping.html", batch=batch, report=report, layouts=layouts)

    @expose("/<int:batch_id>")
    @has_access
    def show(self, batch_id: int) -> Any:
        """The preview: counts, errors, changes; the confirm button; the progress bar."""
        batch = self._batch(batch_id)
        job = services.refresh(db.session, batch)
        stopped = services.settled(batch, job) if job is not None else None
        if stopped is not None:  # shown, not stored: the next step settles it
            flash(stopped[1], "danger")
        preview = batch.preview_data()
        errors = [services.error_text(e) for e in preview.get("errors", [])]
        applied = batch.status == ImportStatus.APPLIED.value
        return self._render(
            "excel/show.html",
            batch=batch,
            job=job,
            preview=preview,
            errors=errors,
            outcome=self.spec.outcome_links(db.session, batch) if applied else [],
            busy=ImportStatus(batch.status).busy and stopped is None,
            can_confirm=batch.status == ImportStatus.PREVIEWED.value
            and not batch.invalid_rows
            and self.appbuilder.sm.has_access("can_write", self.class_permission_name),
            can_remap=stopped is not None
            or batch.status
            in {
                ImportStatus.UPLOADED.value,
                ImportStatus.PREVIEWED.value,
                ImportStatus.REJECTED.value,
                ImportStatus.SUPERSEDED.value,
                ImportStatus.FAILED.value,
            },
        )

    @expose("/<int:batch_id>/progress")
    @has_access
    def progress(self, batch_id: int) -> Any:
        batch = self._batch(batch_id)
        job = services.refresh(db.session, batch)
        return jsonify(batch_payload(batch, job))

    @expose("/<int:batch_id>/confirm", methods=["POST"])
    @has_access
    def confirm(self, batch_id: int) -> Any:
        batch = self._batch(batch_id)
        try:
            with unit_of_work(db.session, current_actor()):
                services.start_confirm(db.session, actor=current_actor(), batch=batch)
        except DomainError as error:
            return render_domain_error(
                error, redirect_to=url_for(f"{self.endpoint}.show", batch_id=batch_id)
            )
        return redirect(url_for(f"{self.endpoint}.show", batch_id=batch_id))

    @expose("/<int:batch_id>/original")
    @has_access
    def original(self, batch_id: int) -> Any:
        batch = self._batch(batch_id)
        mimetype = XLS_MIMETYPE if batch.file_kind == "xls" else XLSX_MIMETYPE
        return send_file(
            self._stored(batch, batch.stored_name),
            mimetype=mimetype,
            as_attachment=True,
            download_name=_("Import %(id)s (original).%(kind)s", id=batch.id, kind=batch.file_kind),
        )

    @expose("/<int:batch_id>/errors")
    @has_access
    def errors(self, batch_id: int) -> Any:
        batch = self._batch(batch_id)
        if not batch.annotated_name:
            abort(404)
        return send_file(
            self._stored(batch, batch.annotated_name),
            mimetype=XLSX_MIMETYPE,
            as_attachment=True,
            download_name=_("Import %(id)s (errors marked).xlsx", id=batch.id),
        )


def batch_payload(batch: ImportBatch, job: Any = None, *, full: bool = False) -> dict[str, Any]:
    """An import as JSON (progress polling and the REST API). An import whose job died shows
    as it will be settled (read only: the next step stores it)."""
    status, message = ImportStatus(batch.status), batch.message or ""
    outcome = services.settled(batch, job) if job is not None else None
    if outcome is not None:
        status, message = outcome
    payload: dict[str, Any] = {
        "id": batch.id,
        "list": batch.list_name,
        "file_name": batch.file_name,
        "status": status.value,
        "status_label": str(status.label),
        "message": message,
        "progress": 100 if not status.busy else (job.progress if job else 0),
        "progress_message": job.message if job else "",
        "counts": {
            "total": batch.total_rows,
            "new": batch.new_rows,
            "changed": batch.changed_rows,
            "unchanged": batch.unchanged_rows,
            "invalid": batch.invalid_rows,
        },
        "created_by": batch.created_by_name,
        "created_at": batch.created_at.isoformat() if batch.created_at else None,
        "previewed_at": batch.previewed_at.isoformat() if batch.previewed_at else None,
        "confirmed_at": batch.confirmed_at.isoformat() if batch.confirmed_at else None,
    }
    if full:
        preview = batch.preview_data()
        payload["errors"] = preview.get("errors", [])
        payload["error_count"] = preview.get("error_count", 0)
        payload["changes"] = preview.get("changes", [])
        payload["created"] = preview.get("created", [])
        payload["notes"] = preview.get("notes", [])
        payload["sheets"] = [
            {
                "name": d["name"],
                "selected": d.get("selected", False),
                "hidden": d.get("hidden", False),
                "header_row": None if d.get("header_row") is None else d["header_row"] + 1,
                "mapping": {
                    d["headers"][int(i)] if int(i) < len(d["headers"]) else i: key
                    for i, key in d.get("mapping", {}).items()
                },
            }
            for d in batch.layout_data()
        ]
    return payload


def import_view_for(
    spec: ListSpec,
    *,
    list_datamodel: ReachInterface | None = None,
    search_columns: tuple[str, ...] = (),
) -> type[ListImportView]:
    """A view class for one list's spreadsheets (its own endpoint, the list's permission)."""
    name = "".join(part.title() for part in spec.name.split("_")) + "SpreadsheetView"
    return type(
        name,
        (ListImportView,),
        {
            "spec": spec,
            "route_base": f"/excel/{spec.name}",
            "class_permission_name": spec.permission,
            "list_datamodel": list_datamodel,
            "search_columns": search_columns,
        },
    )


__all__ = ["ListImportView", "batch_payload", "import_view_for"]
