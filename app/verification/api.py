"""REST API of the verification domain (免证办): the same services as the pages. Every step's
body carries the request's version; the applicant shows masked; results only by voucher and
case."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import request, send_file
from flask_appbuilder.api import expose, protect, safe

from app.core import calendar
from app.core.actor import current_actor
from app.core.base_views import ZwModelRestApi
from app.core.errors import DomainError, render_domain_error
from app.core.reach import ReachInterface
from app.core.roles import METHOD_PERMISSIONS
from app.core.unit_of_work import unit_of_work
from app.extensions import db
from app.verification import services
from app.verification.models import VerificationRequest

_COLUMNS = [
    "id",
    "case_no",
    "item_id",
    "requester_unit_id",
    "issuer_unit_id",
    "approver_unit_id",
    "material_kind",
    "material_name",
    "complexity",
    "channel",
    "applicant_name_masked",
    "id_type",
    "id_number_masked",
    "state",
    "due_at",
    "provisional",
    "return_due_at",
    "overdue",
    "return_reason",
    "suggested_unit_id",
    "suggestion",
    "rerouted_from_id",
    "requested_at",
    "answered_at",
    "version",
]


class VerificationRequestApi(ZwModelRestApi):
    resource_name = "verification_request"
    class_permission_name = "VerificationRequests"
    datamodel = ReachInterface(VerificationRequest)
    include_route_methods = {
        "get",
        "get_list",
        "info",
        "ask",
        "verify",
        "return_",
        "reroute",
        "result",
        "result_file",
    }
    method_permission_name = {
        **METHOD_PERMISSIONS,
        "ask": "write",
        "verify": "write",
        "return_": "write",
        "reroute": "write",
        "result": "read",
        "result_file": "read",
    }
    list_columns = _COLUMNS
    show_columns = _COLUMNS
    search_columns = ["case_no", "state", "issuer_unit", "requester_unit"]
    order_columns = ["requested_at", "id"]
    base_order = ("requested_at", "desc")

    def _step(self, operation: Callable[[], VerificationRequest]) -> Any:
        try:
            with unit_of_work(db.session, current_actor()):
                row = operation()
                answer = {"id": row.id, "state": row.state}
        except DomainError as error:
            return render_domain_error(error)
        return self.response(200, **answer)

    @expose("/ask", methods=["POST"])
    @protect()
    @safe
    def ask(self) -> Any:
        """A window asks; body: item_id, case_no, issuer_unit_id, material_kind, material_name,
        applicant_name, id_type, id_number, complexity, channel, note."""
        body = request.get_json(silent=True) or {}
        actor = current_actor()
        try:
            with unit_of_work(db.session, actor):
                row = services.create_request(
                    db.session,
                    services.RequestData(
                        item_id=body.get("item_id"),
                        case_no=str(body.get("case_no") or ""),
                        issuer_unit_id=body.get("issuer_unit_id"),
                        material_kind=str(body.get("material_kind") or ""),
                        material_name=str(body.get("material_name") or ""),
                        applicant_name=str(body.get("applicant_name") or ""),
                        id_type=str(body.get("id_type") or ""),
                        id_number=str(body.get("id_number") or ""),
                        complexity=str(body.get("complexity") or "general"),
                        channel=str(body.get("channel") or "window"),
                        note=str(body.get("note") or ""),
                    ),
                    actor=actor,
                )
                answer = {
                    "id": row.id,
                    "state": row.state,
                    "due_at": calendar.format_datetime(row.verify_deadline.due_at),
                }
        except DomainError as error:
            return render_domain_error(error)
        return self.response(201, **answer)

    @expose("/<int:pk>/verify", methods=["POST"])
    @protect()
    @safe
    def verify(self, pk: int) -> Any:
        """核验: multipart form with ``result`` (PDF or image), ``version``, ``conclusion``."""
        upload = request.files.get("result")

        def run() -> VerificationRequest:
            result = services.verify(
                db.session,
                pk,
                filename=upload.filename if upload else None,
                content=upload.read() if upload else b"",
                conclusion=request.form.get("conclusion") or "",
                version=request.form.get("version"),
                actor=current_actor(),
            )
            return result.request

        return self._step(run)

    @expose("/<int:pk>/return", methods=["POST"])
    @protect()
    @safe
    def return_(self, pk: int) -> Any:
        """退回; body: {"version", "reason", "suggested_unit_id", "suggestion"}."""
        body = request.get_json(silent=True) or {}
        return self._step(
            lambda: services.return_request(
                db.session,
                pk,
                reason=str(body.get("reason") or ""),
                suggested_unit_id=body.get("suggested_unit_id"),
                suggestion=str(body.get("suggestion") or ""),
                version=body.get("version"),
                actor=current_actor(),
            )
        )

    @expose("/<int:pk>/reroute", methods=["POST"])
    @protect()
    @safe
    def reroute(self, pk: int) -> Any:
        """转办: the window sends a returned request on; body: {"version"}. Answers the new one."""
        body = request.get_json(silent=True) or {}
        return self._step(
            lambda: services.reroute(
                db.session, pk, version=body.get("version"), actor=current_actor()
            )
        )

    def _open(self, download: bool) -> Any:
        voucher_no = request.args.get("voucher_no") or ""
        case_no = request.args.get("case_no") or ""
        try:
            with unit_of_work(db.session, current_actor()):
                result, path = services.open_result(
                    db.session, voucher_no, case_no, actor=current_actor(), download=download
                )
                answer = {
                    "voucher_no": result.voucher_no,
                    "case_no": result.case_no,
                    "request_id": result.request_id,
                    "item_id": result.request.item_id,
                    "issuer_unit_id": result.request.issuer_unit_id,
                    "issued_at": calendar.format_datetime(result.issued_at),
                    "conclusion": result.conclusion,
                    "filename": result.filename,
                }
                mimetype = result.mimetype
        except DomainError as error:
            return render_domain_error(error)
        if download:
            response = send_file(
                path, mimetype=mimetype, as_attachment=True, download_name=answer["filename"]
            )
            response.headers["Cache-Control"] = "no-store"
            return response
        return self.response(200, **answer)

    @expose("/result", methods=["GET"])
    @protect()
    @safe
    def result(self) -> Any:
        """The voucher of a result: ?voucher_no=…&case_no=… (404 for another case; audited)."""
        return self._open(False)

    @expose("/result/file", methods=["GET"])
    @protect()
    @safe
    def result_file(self) -> Any:
        """The result file: ?voucher_no=…&case_no=… (404 for another case; audited)."""
        return self._open(True)
