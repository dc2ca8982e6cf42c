"""The supervision domain's tiles on the workbench (app.core.workbench): orders for the unit
to answer, answers for the supervisor to verify, open orders overdue within reach."""

from __future__ import annotations

from flask import url_for
from flask_babel import gettext as _

from app.core import roles
from app.core.models import Deadline
from app.core.workbench import Desk, Todo, count_todo, register_todo
from app.supervision.models import RectificationOrder
from app.supervision.states import OrderState


def _queue_url(**filters: str) -> str:
    """The rectification queue filtered like the tile counts."""
    return url_for("RectificationOrderView.queue", **filters)


def orders_to_answer(desk: Desk) -> Todo:
    """The unit's orders waiting for its answer, with their running deadline."""
    return count_todo(
        desk,
        RectificationOrder,
        RectificationOrder.state == OrderState.ISSUED.value,
        key="supervision-to-answer",
        label=_("Rectification orders to answer"),
        url=_queue_url(state=OrderState.ISSUED.value),
        deadline=RectificationOrder.deadline_id,
    )


def answers_to_verify(desk: Desk) -> Todo:
    """Orders the units answered, waiting for the supervisor's acceptance."""
    return count_todo(
        desk,
        RectificationOrder,
        RectificationOrder.state == OrderState.ANSWERED.value,
        key="supervision-to-verify",
        label=_("Rectification answers to verify"),
        url=_queue_url(state=OrderState.ANSWERED.value),
    )


def overdue_orders(desk: Desk) -> Todo:
    """Open orders within reach waiting for their unit past the due date (the county's, for
    its coordinator)."""
    return count_todo(
        desk,
        RectificationOrder,
        RectificationOrder.state == OrderState.ISSUED.value,
        Deadline.due_date < desk.today,
        key="supervision-overdue",
        label=_("Rectification orders overdue"),
        url=_queue_url(overdue="1"),
        deadline=RectificationOrder.deadline_id,
    )


def register() -> None:
    register_todo(orders_to_answer, for_roles={roles.UNIT_OPERATOR})
    # The coordinator reads (and may answer) the county's orders: see permissions.ANSWERER.
    register_todo(overdue_orders, for_roles={roles.SUPERVISOR, roles.COUNTY_COORDINATOR})
    register_todo(answers_to_verify, for_roles={roles.SUPERVISOR})
