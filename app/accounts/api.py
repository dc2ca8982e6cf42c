"""REST APIs of the accounts domain (same reach and rules as the views)."""

from __future__ import annotations

from typing import Any

from flask import request
from flask_appbuilder.api import expose, protect, safe

from app.accounts import services
from app.accounts.models import AccountRequest, WindowUser
from app.core.actor import current_actor
from app.core.base_views import ZwModelRestApi
from app.core.errors import DomainError, render_domain_error
from app.core.reach import ReachInterface
from app.core.roles import METHOD_PERMISSIONS
from app.core.unit_of_work import unit_of_work
from app.extensions import appbuilder, db


class AccountRequestApi(ZwModelRestApi):
    resource_name = "account_request"
    class_permission_name = "AccountRequests"
    method_permission_name = {**METHOD_PERMISSIONS, "approve": "approve", "reject": "approve"}
    datamodel = ReachInterface(AccountRequest)
    include_route_methods = {"get", "get_list", "info", "post", "approve", "reject"}
    list_columns = [
        "id",
        "kind",
        "state",
        "unit_id",
        "unit.name",
        "window_user_id",
        "person_name",
        "username",
        "requested_at",
        "decided_at",
        "version",
    ]
    show_columns = [
        "id",
        "kind",
        "state",
        "unit_id",
        "window_user_id",
        "person_name",
        "mobile",
        "hall",
        "window_no",
        "role_name",
        "username",
        "target_unit_id",
        "note",
        "requested_at",
        "decided_at",
        "decision_reason",
        "version",
    ]
    add_columns = [
        "kind",
        "window_user",
        "person_name",
        "mobile",
        "hall",
        "window_no",
        "role_name",
        "username",
        "target_unit",
        "note",
    ]
    order_columns = ["requested_at", "id"]
    search_columns = ["kind", "state", "unit", "username"]
    base_order = ("requested_at", "desc")

    def validate(self, item: AccountRequest) -> None:
        if item.target_unit is not None:
            item.target_unit_id = item.target_unit.id
        services.prepare_request(db.session, item, actor=current_actor())

    @expose("/<int:pk>/approve", methods=["POST"])
    @protect()
    @safe
    def approve(self, pk: int) -> Any:
        """Approve a pending request (a coordinator of the unit's region).
        ---
        post:
          summary: approve; a new account answers its one-time password once
          parameters:
          - {in: path, name: pk, required: true, schema: {type: integer}}
          responses:
            200: {description: approved}
            403: {description: not a coordinator}
            404: {description: not found or outside your reach}
            409: {description: not pending, or stale version}
        """
        payload = request.get_json(silent=True) or {}
        actor = current_actor()
        try:
            with unit_of_work(db.session, actor):
                decision = services.approve(
                    db.session,
                    actor.reach.one(db.session, AccountRequest, pk),
                    actor=actor,
                    security_manager=appbuilder.sm,
                    version=payload.get("version"),
                )
        except DomainError as error:
            return render_domain_error(error)
        result: dict[str, Any] = {"id": pk, "state": decision.request.state}
        if decision.user is not None:
            result.update(
                username=decision.user.username, initial_password=decision.initial_password
            )
        return self.response(200, result=result)

    @expose("/<int:pk>/reject", methods=["POST"])
    @protect()
    @safe
    def reject(self, pk: int) -> Any:
        """Reject a pending request; a reason is required.
        ---
        post:
          summary: 'reject with {"reason": "...", "version": n}'
          parameters:
          - {in: path, name: pk, required: true, schema: {type: integer}}
          responses:
            200: {description: rejected}
            404: {description: not found or outside your reach}
            422: {description: no reason}
        """
        payload = request.get_json(silent=True) or {}
        actor = current_actor()
        try:
            with unit_of_work(db.session, actor):
                item = services.reject(
                    db.session,
                    actor.reach.one(db.session, AccountRequest, pk),
                    actor=actor,
                    reason=str(payload.get("reason") or ""),
                    version=payload.get("version"),
                )
        except DomainError as error:
            return render_domain_error(error)
        return self.response(200, result={"id": item.id, "state": item.state})


class WindowUserApi(ZwModelRestApi):
    resource_name = "window_user"
    class_permission_name = "WindowUsers"
    datamodel = ReachInterface(WindowUser)
    include_route_methods = {"get", "get_list", "info"}
    list_columns = [
        "id",
        "person_name",
        "mobile",
        "hall",
        "window_no",
        "unit_id",
        "unit.name",
        "role_name",
        "user_id",
        "status",
    ]
    show_columns = list_columns
    order_columns = ["person_name", "id"]
    search_columns = ["person_name", "unit", "status"]
    base_order = ("person_name", "asc")
