"""REST APIs of the ratings domain: ratings (personal data masked), recording one, tickets and
their steps. The same services as the pages; every step's body carries the ticket's version."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from flask import request, send_file
from flask_appbuilder.api import expose, protect, safe

from app.core.actor import current_actor
from app.core.base_views import ZwModelRestApi
from app.core.errors import DomainError, ValidationError, render_domain_error
from app.core.reach import ReachInterface
from app.core.roles import METHOD_PERMISSIONS
from app.core.unit_of_work import unit_of_work
from app.extensions import db
from app.ratings import services
from app.ratings.models import Rating, RectificationTicket
from app.ratings.states import RaterType

_MASKED_RATING = [
    "id",
    "rating_no",
    "unit_id",
    "item_id",
    "implementation_code",
    "item_name",
    "handling_item",
    "hall",
    "window",
    "case_no",
    "channel",
    "level",
    "poor",
    "rated_at",
    "text",
    "rater_type",
    "real_name",
    "rater_name_masked",
    "phone_masked",
    "id_number_masked",
]


class RatingApi(ZwModelRestApi):
    resource_name = "rating"
    class_permission_name = "Ratings"
    datamodel = ReachInterface(Rating)
    include_route_methods = {"get", "get_list", "info", "record"}
    method_permission_name = {**METHOD_PERMISSIONS, "record": "write"}
    list_columns = _MASKED_RATING
    show_columns = _MASKED_RATING
    search_columns = ["rating_no", "unit", "channel", "level", "poor", "rated_on"]
    order_columns = ["rated_at", "id"]
    base_order = ("rated_at", "desc")

    @expose("/record", methods=["POST"])
    @protect()
    @safe
    def record(self) -> Any:
        """Record one rating by hand; body: the fields of a rating (``rated_at`` ISO, the
        province's time). Answers the new rating's id and, for a poor one, its ticket's."""
        body = request.get_json(silent=True) or {}
        try:
            rated_at = dt.datetime.fromisoformat(str(body.get("rated_at") or ""))
        except ValueError:
            return render_domain_error(ValidationError({"rated_at": "2026-03-02T10:30"}))
        actor = current_actor()
        try:
            with unit_of_work(db.session, actor):
                rating = services.record_rating(
                    db.session,
                    services.RatingData(
                        rating_no=str(body.get("rating_no") or ""),
                        item_id=int(body.get("item_id") or 0),
                        channel=str(body.get("channel") or ""),
                        level=str(body.get("level") or ""),
                        rated_at=rated_at,
                        text=str(body.get("text") or ""),
                        hall=str(body.get("hall") or ""),
                        window=str(body.get("window") or ""),
                        case_no=str(body.get("case_no") or ""),
                        rater_name=str(body.get("rater_name") or ""),
                        phone=str(body.get("phone") or ""),
                        rater_type=str(body.get("rater_type") or RaterType.PERSON.value),
                        id_number=str(body.get("id_number") or ""),
                    ),
                    actor=actor,
                )
        except DomainError as error:
            return render_domain_error(error)
        ticket = rating.ticket
        return self.response(201, id=rating.id, ticket=ticket.id if ticket else None)


class RectificationTicketApi(ZwModelRestApi):
    resource_name = "rectification_ticket"
    class_permission_name = "RatingTickets"
    datamodel = ReachInterface(RectificationTicket)
    include_route_methods = {
        "get",
        "get_list",
        "info",
        "verify",
        "decide_invalid",
        "rectify",
        "call_back",
        "coordinator_close",
        "contact",
        "evidence",
    }
    method_permission_name = {
        **METHOD_PERMISSIONS,
        "verify": "write",
        "decide_invalid": "write",
        "rectify": "write",
        "call_back": "write",
        "coordinator_close": "write",
        "contact": "write",
        "evidence": "read",
    }
    list_columns = [
        "id",
        "rating_id",
        "unit_id",
        "state",
        "deadline.due_date",
        "deadline.provisional",
        "deadline.completed_at",
        "overdue",
        "invalid_reason",
        "rectify_rounds",
        "called_back",
        "satisfied",
        "opened_at",
        "closed_at",
        "version",
    ]
    show_columns = [
        *list_columns,
        "step_overdue",
        "measures",
        "invalid_note",
        "rating.rater_name_masked",
    ]
    search_columns = ["unit", "state", "opened_at"]
    order_columns = ["opened_at", "id"]
    base_order = ("opened_at", "desc")

    def _step(
        self, pk: int, operation: Callable[[RectificationTicket, dict[str, Any]], Any]
    ) -> Any:
        try:
            with unit_of_work(db.session, current_actor()):
                ticket = services.load_ticket(db.session, pk, actor=current_actor())
                operation(ticket, request.get_json(silent=True) or request.form.to_dict())
        except DomainError as error:
            return render_domain_error(error)
        return self.response(
            200,
            id=ticket.id,
            state=ticket.state,
            version=ticket.version,
            evidence=[
                {"id": e.id, "filename": e.filename, "mimetype": e.mimetype, "size": e.size}
                for step in ticket.steps
                for e in step.evidence
            ],
        )

    @expose("/<int:pk>/verify", methods=["POST"])
    @protect()
    @safe
    def verify(self, pk: int) -> Any:
        """核实; body: {"version", "valid": bool, "invalid_reason", "note"}."""
        return self._step(
            pk,
            lambda t, body: services.verify(
                db.session,
                t.id,
                valid=bool(body.get("valid")),
                invalid_reason=body.get("invalid_reason"),
                note=str(body.get("note") or ""),
                version=body.get("version"),
                actor=current_actor(),
            ),
        )

    @expose("/<int:pk>/decide_invalid", methods=["POST"])
    @protect()
    @safe
    def decide_invalid(self, pk: int) -> Any:
        """The county coordinator on an invalid claim; body: {"version", "agree", "note"}."""
        return self._step(
            pk,
            lambda t, body: services.decide_invalid(
                db.session,
                t.id,
                agree=bool(body.get("agree")),
                note=str(body.get("note") or ""),
                version=body.get("version"),
                actor=current_actor(),
            ),
        )

    @expose("/<int:pk>/rectify", methods=["POST"])
    @protect()
    @safe
    def rectify(self, pk: int) -> Any:
        """整改; body: JSON {"version", "measures"}, or multipart/form-data with the fields
        ``version`` and ``measures`` and any number of files ``evidence`` (整改佐证: PDF, PNG or
        JPEG, checked by content like the page's; none is kept unless the step commits)."""
        evidence = [
            (upload.filename, upload.read())
            for upload in request.files.getlist("evidence")
            if upload.filename
        ]
        return self._step(
            pk,
            lambda t, body: services.rectify(
                db.session,
                t.id,
                measures=str(body.get("measures") or ""),
                version=body.get("version"),
                actor=current_actor(),
                evidence=evidence,
            ),
        )

    @expose("/<int:pk>/evidence/<int:evidence_id>", methods=["GET"])
    @protect()
    @safe
    def evidence(self, pk: int, evidence_id: int) -> Any:
        """An evidence file of a ticket within reach (404 otherwise); the read is audited."""
        try:
            with unit_of_work(db.session, current_actor()):
                evidence, path = services.evidence_file(
                    db.session, pk, evidence_id, actor=current_actor()
                )
        except DomainError as error:
            return render_domain_error(error)
        response = send_file(
            path, mimetype=evidence.mimetype, as_attachment=True, download_name=evidence.filename
        )
        response.headers["Cache-Control"] = "no-store"
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response

    @expose("/<int:pk>/call_back", methods=["POST"])
    @protect()
    @safe
    def call_back(self, pk: int) -> Any:
        """回访; body: {"version", "reached": bool, "satisfied": bool, "note"}."""
        return self._step(
            pk,
            lambda t, body: services.call_back(
                db.session,
                t.id,
                reached=bool(body.get("reached")),
                satisfied=body.get("satisfied"),
                note=str(body.get("note") or ""),
                version=body.get("version"),
                actor=current_actor(),
            ),
        )

    @expose("/<int:pk>/coordinator_close", methods=["POST"])
    @protect()
    @safe
    def coordinator_close(self, pk: int) -> Any:
        """The coordinator closes an escalated ticket; body: {"version", "note"}."""
        return self._step(
            pk,
            lambda t, body: services.coordinator_close(
                db.session,
                t.id,
                note=str(body.get("note") or ""),
                version=body.get("version"),
                actor=current_actor(),
            ),
        )

    @expose("/<int:pk>/contact", methods=["POST"])
    @protect()
    @safe
    def contact(self, pk: int) -> Any:
        """The rater's contact in clear, for the one handling the ticket (audited)."""
        try:
            with unit_of_work(db.session, current_actor()):
                contact = services.reveal_rater(db.session, pk, actor=current_actor())
        except DomainError as error:
            return render_domain_error(error)
        return self.response(
            200, name=contact.name, phone=contact.phone, id_number=contact.id_number
        )
