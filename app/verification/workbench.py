"""The verification domain's tiles on the workbench (app.core.workbench): requests to the
unit to verify or return (timed deadlines: the time left in office minutes and hours), the
window's returned requests to send on and its results not yet opened."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import case, func, select
from sqlalchemy.orm import aliased

from app.core import calendar
from app.core.models import Deadline
from app.core.workbench import Desk, Todo, register_todo
from app.verification import services
from app.verification.models import VerificationRequest
from app.verification.states import ANSWERERS, REQUESTERS, RequestState


def duration(minutes: int) -> str:
    """Office minutes as the tiles read them: minutes under an hour, else hours and minutes."""
    if minutes < 60:
        return _("%(n)d office minutes", n=minutes)
    return _("%(h)d office hours %(m)d minutes", h=minutes // 60, m=minutes % 60)


def _instant(value: Any) -> dt.datetime | None:
    """A datetime aggregate: SQLite returns MIN() of a datetime as text."""
    if value is None or isinstance(value, dt.datetime):
        return value
    return dt.datetime.fromisoformat(str(value))


def requests_to_answer(desk: Desk) -> Todo:
    """The requests addressed to the actor's unit and still open, counted in one query over the
    queue's own conditions: how many, how many past their verification time and how late the
    oldest, and the time left before the next one."""
    due = aliased(Deadline)
    now = calendar.now().replace(tzinfo=None)
    late_when = due.due_at < now
    query = (
        select(
            func.count(),
            func.sum(case((late_when, 1), else_=0)),
            func.min(due.due_at),
            func.min(case((late_when, None), else_=due.due_at)),
            func.max(case((due.provisional, 1), else_=0)),
        )
        .select_from(VerificationRequest)
        .join(due, VerificationRequest.verify_deadline_id == due.id)
        .where(
            VerificationRequest.state == RequestState.PENDING.value,
            *services.queue_filter(desk.actor, services.INCOMING),
        )
    )
    row = desk.session.execute(desk.actor.reach.scope(query, VerificationRequest)).one()
    count, overdue = int(row[0] or 0), int(row[1] or 0)
    oldest, next_due = _instant(row[2]), _instant(row[3])
    hours = calendar.office_hours()
    values: dict[str, Any] = {"overdue": overdue, "provisional": bool(row[4])}
    if overdue and oldest is not None:
        late = max(1, calendar.office_minutes_between(desk.working, oldest, now, hours))
        values["late"] = duration(late)
        # Sorted with the other tiles by working days late (a request late today: 1).
        values["overdue_days"] = max(
            1, desk.working.working_days_between(calendar.local_date(oldest), desk.today)
        )
    if next_due is not None:
        left = calendar.office_minutes_between(desk.working, now, next_due, hours)
        values["left"] = _(
            "next due %(at)s (%(left)s left)",
            at=calendar.format_datetime(next_due),
            left=duration(max(0, left)),
        )
        values["days_left"] = desk.working.working_days_between(
            desk.today, calendar.local_date(next_due)
        )
    return Todo(
        "verification-to-answer",
        _("Verification requests to verify or return"),
        count,
        url_for("VerificationRequestView.queue", side=services.INCOMING),
        **values,
    )


def returned_to_reroute(desk: Desk) -> Todo:
    """The window's requests returned by the unit asked: to send on to the suggested unit."""
    query = (
        select(func.count())
        .select_from(VerificationRequest)
        .where(
            VerificationRequest.state == RequestState.RETURNED.value,
            *services.queue_filter(desk.actor, services.OUTGOING),
        )
    )
    count = desk.session.execute(desk.actor.reach.scope(query, VerificationRequest)).scalar_one()
    return Todo(
        "verification-returned",
        _("Returned verification requests to send on"),
        int(count or 0),
        url_for(
            "VerificationRequestView.queue",
            side=services.OUTGOING,
            state=RequestState.RETURNED.value,
        ),
    )


def results_to_open(desk: Desk) -> Todo:
    """The window's verified requests whose result nobody of its unit has opened yet."""
    query = (
        select(func.count())
        .select_from(VerificationRequest)
        .where(
            VerificationRequest.state == RequestState.VERIFIED.value,
            *services.queue_filter(desk.actor, services.OUTGOING),
            services.result_unopened(),
        )
    )
    count = desk.session.execute(desk.actor.reach.scope(query, VerificationRequest)).scalar_one()
    return Todo(
        "verification-results",
        _("Verification results ready to open"),
        int(count or 0),
        url_for(
            "VerificationRequestView.queue",
            side=services.OUTGOING,
            state=RequestState.VERIFIED.value,
            unopened="1",
        ),
    )


def register() -> None:
    register_todo(requests_to_answer, for_roles=ANSWERERS)
    register_todo(returned_to_reroute, for_roles=REQUESTERS)
    register_todo(results_to_open, for_roles=REQUESTERS)
