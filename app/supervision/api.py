"""REST APIs of the supervision domain: findings and rectification orders within reach, and the
order's steps. The same services as the pages; every step's body carries the order's version."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import request
from flask_appbuilder.api import expose, protect, safe

from app.core.actor import current_actor
from app.core.base_views import ZwModelRestApi
from app.core.errors import DomainError, render_domain_error
from app.core.reach import ReachInterface
from app.core.roles import METHOD_PERMISSIONS
from app.core.unit_of_work import unit_of_work
from app.extensions import db
from app.supervision import services
from app.supervision.models import Finding, RectificationOrder


class FindingApi(ZwModelRestApi):
    resource_name = "supervision_finding"
    class_permission_name = "SupervisionFindings"
    datamodel = ReachInterface(Finding)
    include_route_methods = {"get", "get_list", "info", "issue_order"}
    method_permission_name = {**METHOD_PERMISSIONS, "issue_order": "write"}
    list_columns = [
        "id",
        "plan_id",
        "check_point_id",
        "unit_id",
        "region_id",
        "source",
        "state",
        "rule_key",
        "object_type",
        "object_id",
        "subject",
        "detail",
        "found_on",
        "resolved_on",
        "resolution",
        "version",
    ]
    show_columns = list_columns
    search_columns = ["plan", "unit", "state", "source", "rule_key", "found_on"]
    order_columns = ["found_on", "id"]
    base_order = ("id", "desc")

    @expose("/<int:pk>/order", methods=["POST"])
    @protect()
    @safe
    def issue_order(self, pk: int) -> Any:
        """限令整改; body: {"version", "working_days" (default per severity), "requirement"}."""
        body = request.get_json(silent=True) or {}
        actor = current_actor()
        try:
            with unit_of_work(db.session, actor):
                order = services.issue_order(
                    db.session,
                    pk,
                    working_days=body.get("working_days"),
                    requirement=str(body.get("requirement") or ""),
                    version=body.get("version"),
                    actor=actor,
                )
        except DomainError as error:
            return render_domain_error(error)
        return self.response(
            201, id=order.id, due=order.deadline.due_date.isoformat(), version=order.version
        )


class RectificationOrderApi(ZwModelRestApi):
    resource_name = "supervision_order"
    class_permission_name = "SupervisionOrders"
    datamodel = ReachInterface(RectificationOrder)
    include_route_methods = {"get", "get_list", "info", "answer", "accept", "reject"}
    method_permission_name = {
        **METHOD_PERMISSIONS,
        "answer": "write",
        "accept": "write",
        "reject": "write",
    }
    list_columns = [
        "id",
        "finding_id",
        "unit_id",
        "region_id",
        "state",
        "requirement",
        "working_days",
        "deadline.due_date",
        "deadline.provisional",
        "deadline.completed_at",
        "overdue",
        "rounds",
        "was_late",
        "measures",
        "reject_reason",
        "issued_at",
        "closed_at",
        "version",
    ]
    show_columns = list_columns
    search_columns = ["unit", "state", "issued_at"]
    order_columns = ["issued_at", "id"]
    base_order = ("issued_at", "desc")

    def _step(self, pk: int, operation: Callable[[dict[str, Any]], RectificationOrder]) -> Any:
        try:
            with unit_of_work(db.session, current_actor()):
                order = operation(request.get_json(silent=True) or {})
        except DomainError as error:
            return render_domain_error(error)
        return self.response(200, id=order.id, state=order.state, version=order.version)

    @expose("/<int:pk>/answer", methods=["POST"])
    @protect()
    @safe
    def answer(self, pk: int) -> Any:
        """The unit's answer; body: {"version", "measures"} (evidence files: the page)."""
        return self._step(
            pk,
            lambda body: services.answer_order(
                db.session,
                pk,
                measures=str(body.get("measures") or ""),
                version=body.get("version"),
                actor=current_actor(),
            ),
        )

    @expose("/<int:pk>/accept", methods=["POST"])
    @protect()
    @safe
    def accept(self, pk: int) -> Any:
        """The supervisor accepts; body: {"version", "note"}."""
        return self._step(
            pk,
            lambda body: services.accept_order(
                db.session,
                pk,
                note=str(body.get("note") or ""),
                version=body.get("version"),
                actor=current_actor(),
            ),
        )

    @expose("/<int:pk>/reject", methods=["POST"])
    @protect()
    @safe
    def reject(self, pk: int) -> Any:
        """The supervisor rejects; body: {"version", "reason", "working_days"}."""
        return self._step(
            pk,
            lambda body: services.reject_order(
                db.session,
                pk,
                reason=str(body.get("reason") or ""),
                working_days=body.get("working_days"),
                version=body.get("version"),
                actor=current_actor(),
            ),
        )
