"""REST API of the import/export engine, one resource per list (e.g. ``/api/v1/unit_list/``).

``GET template`` (xlsx), ``POST import`` (multipart ``file``; optional ``sheets`` and ``mapping``
as JSON) → the import id and its preview, ``POST import/<id>/confirm``, ``GET import/<id>``
(status, progress, outcome, errors, changes), ``GET export`` (xlsx, filtered like the list).
Long checks run as background jobs: when one is not done within ``IMPORT_API_WAIT`` seconds the
answer is 202 and the client polls ``GET import/<id>``.
"""

from __future__ import annotations

import json
import time
from typing import Any

from flask import current_app, request
from flask_appbuilder.api import BaseApi, expose, protect, safe
from flask_babel import gettext as _
from werkzeug.exceptions import RequestEntityTooLarge

from app.core.actor import current_actor
from app.core.errors import DomainError, render_domain_error
from app.core.reach import ReachInterface
from app.core.roles import METHOD_PERMISSIONS
from app.core.unit_of_work import unit_of_work
from app.excel import services
from app.excel.spec import ListSpec
from app.excel.states import ImportStatus
from app.excel.views import batch_payload
from app.excel.writer import xlsx_response
from app.extensions import db

API_PERMISSIONS = {
    **METHOD_PERMISSIONS,
    "template": "read",
    "export": "read",
    "import_status": "read",
    "import_history": "read",
    "import_file": "write",
    "import_confirm": "write",
}


HISTORY_PAGE = 50


class ListApi(BaseApi):
    """Spreadsheet endpoints of one list; subclasses set ``spec`` (see list_api_for)."""

    spec: ListSpec
    list_datamodel: ReachInterface | None = None
    search_columns: tuple[str, ...] = ()
    method_permission_name = API_PERMISSIONS
    allow_browser_login = True

    def _wait(self, batch_id: int) -> Any:
        """Wait a little for a background job, then answer with the import as it stands."""
        deadline = time.monotonic() + float(current_app.config.get("IMPORT_API_WAIT", 20))
        while True:
            db.session.expire_all()
            batch = services.get_batch(
                db.session, actor=current_actor(), batch_id=batch_id, spec=self.spec
            )
            job = services.refresh(db.session, batch)
            busy = ImportStatus(batch.status).busy and services.settled(batch, job) is None
            if not busy or time.monotonic() > deadline:
                return self.response(202 if busy else 200, **batch_payload(batch, job, full=True))
            time.sleep(0.5)

    @expose("/template", methods=["GET"])
    @protect()
    @safe
    def template(self) -> Any:
        """The import template.
        ---
        get:
          summary: The empty import template (.xlsx) with instructions and drop-downs
          responses:
            200:
              description: the template
              content:
                application/vnd.openxmlformats-officedocument.spreadsheetml.sheet: {}
            401:
              $ref: '#/components/responses/401'
        """
        output = services.template(db.session, actor=current_actor(), spec=self.spec)
        return xlsx_response(output, services.template_filename(self.spec))

    @expose("/export", methods=["GET"])
    @protect()
    @safe
    def export(self) -> Any:
        """Export the list in the template's layout.
        ---
        get:
          summary: The list (in your reach, filtered like the list) as .xlsx, streamed
          parameters:
          - in: query
            name: q
            description: FAB rison filters, as for the list endpoint
            schema: {type: string}
          responses:
            200:
              description: the workbook
              content:
                application/vnd.openxmlformats-officedocument.spreadsheetml.sheet: {}
            401:
              $ref: '#/components/responses/401'
        """
        query = self.spec.export_query(db.session, current_actor())
        if query is not None and self.list_datamodel is not None and request.args.get("q"):
            query = self._filtered(query)
            if query is None:
                return self.response_400(message=_("Bad filters."))
        try:
            with unit_of_work(db.session, current_actor()):  # the export's audit record
                output, _count = services.export(
                    db.session,
                    actor=current_actor(),
                    spec=self.spec,
                    query=query,
                    filters=request.query_string.decode("utf-8", "replace"),
                )
        except DomainError as error:
            return render_domain_error(error)
        return xlsx_response(output, services.export_filename(self.spec))

    def _filtered(self, query: Any) -> Any:
        import prison

        datamodel = self.list_datamodel
        if datamodel is None:  # (the caller only filters a list that has one)
            return None
        try:
            args = prison.loads(request.args["q"])
            filters = datamodel.get_filters(list(self.search_columns))
            filters.rest_add_filters(args.get("filters", []))
        except Exception:  # any malformed filter is the client's error, not ours
            return None
        return datamodel.apply_filters(query, filters)

    @expose("/import", methods=["POST"])
    @protect()
    @safe
    def import_file(self) -> Any:
        """Upload a workbook and check it (nothing is changed yet).
        ---
        post:
          summary: Upload → column mapping (synonyms) → preview; returns the import and its preview
          requestBody:
            content:
              multipart/form-data:
                schema:
                  type: object
                  properties:
                    file: {type: string, format: binary}
                    sheets:
                      type: string
                      description: JSON list of sheet names (default every visible sheet
                        with a header)
                    mapping:
                      type: string
                      description: 'JSON {sheet: {source header: column key or null}}'
                  required: [file]
          responses:
            200:
              description: the preview (counts, errors with sheet/row/column/message, changes)
            202:
              description: still checking; poll GET import/{id}
            401:
              $ref: '#/components/responses/401'
            422:
              description: the file is refused (not a workbook, wrong header, too big, ...)
        """
        try:
            upload = request.files.get("file")
        except RequestEntityTooLarge:
            return self.response(
                413,
                message=_(
                    "The file is larger than the limit of %(limit)s MB.",
                    limit=current_app.config.get("IMPORT_MAX_MB", 20),
                ),
            )
        if upload is None:
            return self.response_400(message=_("Send the workbook as multipart field “file”."))
        actor = current_actor()
        refused: DomainError | None
        with unit_of_work(db.session, actor):
            try:
                batch = services.upload(
                    db.session,
                    actor=actor,
                    spec=self.spec,
                    file_name=upload.filename or "",
                    stream=upload.stream,
                )
            except DomainError as error:  # the refused attempt's audit record is kept
                refused = error
            else:
                refused = None
        if refused is not None:
            return render_domain_error(refused)
        try:
            with unit_of_work(db.session, actor):  # the upload stays when its mapping is refused
                selected = (
                    json.loads(request.form["sheets"]) if request.form.get("sheets") else None
                )
                mapping = self._mapping(batch, json.loads(request.form.get("mapping") or "{}"))
                report = services.set_mapping(
                    db.session,
                    actor=actor,
                    batch=batch,
                    spec=self.spec,
                    selected=selected,
                    mapping=mapping,
                )
                if report.ok:
                    services.start_preview(db.session, actor=actor, batch=batch, spec=self.spec)
            if not report.ok:
                return self.response(
                    422,
                    id=batch.id,
                    message=_(
                        "Map the required columns first: %(columns)s",
                        columns="、".join(report.missing),
                    ),
                    unmapped=report.unmapped,
                )
        except DomainError as error:
            return render_domain_error(error)
        except (ValueError, TypeError, AttributeError):
            return self.response_400(message=_("“sheets” and “mapping” must be JSON."))
        return self._wait(batch.id)

    @staticmethod
    def _mapping(batch: Any, given: dict[str, Any]) -> dict[str, dict[int, str | None]]:
        """{sheet: {source header: key}} → {sheet: {column index: key}}."""
        result: dict[str, dict[int, str | None]] = {}
        for data in batch.layout_data():
            wanted = given.get(data["name"]) or {}
            result[data["name"]] = {
                index: wanted[header]
                for index, header in enumerate(data.get("headers", []))
                if header in wanted
            }
        return result

    @expose("/import/<int:batch_id>/confirm", methods=["POST"])
    @protect()
    @safe
    def import_confirm(self, batch_id: int) -> Any:
        """Apply a checked import, all rows or none.
        ---
        post:
          summary: Apply the previewed import in one transaction (all or nothing)
          parameters:
          - {in: path, name: batch_id, required: true, schema: {type: integer}}
          responses:
            200:
              description: the outcome (status applied, or superseded/failed with nothing changed)
            202:
              description: still applying; poll GET import/{id}
            404:
              $ref: '#/components/responses/404'
            409:
              description: not confirmable (errors, or not previewed)
        """
        try:
            batch = services.get_batch(
                db.session, actor=current_actor(), batch_id=batch_id, spec=self.spec
            )
            with unit_of_work(db.session, current_actor()):
                services.start_confirm(db.session, actor=current_actor(), batch=batch)
        except DomainError as error:
            return render_domain_error(error)
        return self._wait(batch_id)

    @expose("/import/", methods=["GET"])
    @protect()
    @safe
    def import_history(self) -> Any:
        """The import history of this list within the caller's reach, newest first.
        ---
        get:
          summary: The import history (50 a page, ``?page=`` from 0)
          parameters:
          - {in: query, name: page, schema: {type: integer}}
          responses:
            200:
              description: the imports, newest first
        """
        page = max(request.args.get("page", 0, type=int) or 0, 0)
        query = services.history(db.session, actor=current_actor(), spec=self.spec)
        batches = db.session.execute(query.offset(page * HISTORY_PAGE).limit(HISTORY_PAGE + 1))
        rows = list(batches.scalars())
        return self.response(
            200,
            page=page,
            has_next=len(rows) > HISTORY_PAGE,
            result=[batch_payload(batch) for batch in rows[:HISTORY_PAGE]],
        )

    @expose("/import/<int:batch_id>", methods=["GET"])
    @protect()
    @safe
    def import_status(self, batch_id: int) -> Any:
        """An import: status, progress, counts, errors, changes.
        ---
        get:
          summary: Status, progress and outcome of an import
          parameters:
          - {in: path, name: batch_id, required: true, schema: {type: integer}}
          responses:
            200:
              description: the import
            404:
              $ref: '#/components/responses/404'
        """
        try:
            batch = services.get_batch(
                db.session, actor=current_actor(), batch_id=batch_id, spec=self.spec
            )
        except DomainError as error:
            return render_domain_error(error)
        job = services.refresh(db.session, batch)
        return self.response(200, **batch_payload(batch, job, full=True))


def list_api_for(
    spec: ListSpec,
    resource_name: str,
    *,
    list_datamodel: ReachInterface | None = None,
    search_columns: tuple[str, ...] = (),
) -> type[ListApi]:
    name = "".join(part.title() for part in resource_name.split("_")) + "SpreadsheetApi"
    return type(
        name,
        (ListApi,),
        {
            "spec": spec,
            "resource_name": resource_name,
            "class_permission_name": spec.permission,
            "openapi_spec_tag": spec.title,
            "list_datamodel": list_datamodel,
            "search_columns": search_columns,
        },
    )
