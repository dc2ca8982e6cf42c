"""Overdue adjustments, review timeliness and the actor's work queue."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from app.catalogue.models import AdjustmentRequest, AdjustmentStep
from app.catalogue.services.adjustments import _today
from app.catalogue.states import OPEN_STATES, AdjustmentState
from app.core import roles
from app.core.actor import Actor
from app.core.calendar import WorkingCalendar
from app.core.models import Deadline

# -- overdue and queues ------------------------------------------------------------------------


def overdue_adjustments_query(today: dt.date | None = None) -> Select:
    """Adjustments whose running review step is past its deadline (reusable by assessment:
    wrap it with ``reach.scope`` or add region/unit filters, then count)."""
    return (
        select(AdjustmentRequest)
        .join(Deadline, AdjustmentRequest.deadline_id == Deadline.id)
        .where(
            AdjustmentRequest.state.in_(OPEN_STATES),
            Deadline.completed_at.is_(None),
            Deadline.due_date < _today(today),
        )
    )


def count_overdue_adjustments(
    session: Session, *, actor: Actor | None = None, today: dt.date | None = None
) -> int:
    query = overdue_adjustments_query(today)
    if actor is not None:
        query = actor.reach.scope(query, AdjustmentRequest)
    return session.execute(select(func.count()).select_from(query.subquery())).scalar_one()


def review_steps_timeliness(
    session: Session, *, start: dt.datetime, end: dt.datetime, actor: Actor | None = None
) -> tuple[int, int]:
    """(on time, late) review decisions taken in [start, end): for the assessment indicator
    "adjustments reviewed on time"."""
    query = (
        select(AdjustmentStep.overdue, func.count())
        .join(AdjustmentRequest, AdjustmentStep.adjustment_id == AdjustmentRequest.id)
        .where(
            AdjustmentStep.step.in_(OPEN_STATES),
            AdjustmentStep.at >= start,
            AdjustmentStep.at < end,
        )
        .group_by(AdjustmentStep.overdue)
    )
    if actor is not None:
        query = actor.reach.scope(query, AdjustmentRequest)
    counts = dict(session.execute(query).all())
    return counts.get(False, 0), counts.get(True, 0)


@dataclass(frozen=True)
class QueueEntry:
    adjustment: AdjustmentRequest
    due_date: dt.date | None
    provisional: bool
    working_days_left: int | None

    @property
    def overdue(self) -> bool:
        return self.working_days_left is not None and self.working_days_left < 0


def my_queue(session: Session, *, actor: Actor, today: dt.date | None = None) -> list[QueueEntry]:
    """What waits for this reviewer, oldest first, with working days left (negative = overdue)."""
    names = roles.names_of(actor)
    states = []
    if roles.LEGAL_REVIEWER in names:
        states.append(AdjustmentState.LEGALITY_REVIEW.value)
    if roles.PROVINCE_ADMIN in names:
        states.append(AdjustmentState.FINAL_REVIEW.value)
    if not states:
        return []
    query = (
        select(AdjustmentRequest)
        .where(AdjustmentRequest.state.in_(states))
        .order_by(AdjustmentRequest.submitted_at, AdjustmentRequest.id)
    )
    query = actor.reach.scope(query, AdjustmentRequest)
    calendar = WorkingCalendar.load(session)
    today = _today(today)
    entries = []
    for adjustment in session.execute(query).scalars():
        deadline = adjustment.deadline
        left = None
        if deadline is not None:
            left = calendar.working_days_between(today, deadline.due_date)
            if deadline.due_date < today:
                left = min(left, -1)
        entries.append(
            QueueEntry(
                adjustment,
                deadline.due_date if deadline else None,
                bool(deadline and deadline.provisional),
                left,
            )
        )
    return entries
