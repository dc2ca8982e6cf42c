"""Supervision figures (监督检查统计): findings and rectification orders within reach, by unit,
region or check point over a period, from two GROUP BY queries (never one query per record).

Definitions (shown on the page): findings found in the period and those still standing (open or
ordered); orders issued in the period, those open, those overdue today (waiting for the unit past
the due date), those closed, and those closed with every round answered on time (the
assessment's "supervision orders closed on time").
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from app.core import calendar
from app.core.actor import Actor
from app.core.models import Deadline, Region, Unit
from app.supervision.models import CheckPoint, Finding, RectificationOrder
from app.supervision.states import OPEN_ORDER_STATES, STANDING_STATES, OrderState

GROUPINGS = ("unit", "region", "check_point")


@dataclass
class Figures:
    label: str
    findings: int = 0
    standing: int = 0
    orders: int = 0
    open: int = 0
    overdue: int = 0
    closed: int = 0
    on_time: int = 0

    @property
    def on_time_rate(self) -> float | None:
        return self.on_time / self.closed if self.closed else None

    def cells(self) -> list[Any]:
        rate = self.on_time_rate
        return [
            self.label,
            self.findings,
            self.standing,
            self.orders,
            self.open,
            self.overdue,
            self.closed,
            self.on_time,
            "" if rate is None else f"{rate:.1%}",
        ]


def _group(group_by: str, model: Any) -> tuple[Any, list[tuple[Any, Any]]]:
    """The label column and the joins that reach it from ``model`` (Finding or the order)."""
    if group_by == "unit":
        return Unit.name, [(Unit, Unit.id == model.unit_id)]
    if group_by == "region":
        return Region.name, [(Region, Region.id == model.region_id)]
    if model is Finding:
        return CheckPoint.code + " " + CheckPoint.description, [
            (CheckPoint, CheckPoint.id == Finding.check_point_id)
        ]
    return CheckPoint.code + " " + CheckPoint.description, [
        (Finding, Finding.id == RectificationOrder.finding_id),
        (CheckPoint, CheckPoint.id == Finding.check_point_id),
    ]


def compute(
    session: Session, *, actor: Actor, start: dt.date, end: dt.date, group_by: str
) -> tuple[list[Figures], Figures]:
    """The rows by ``group_by`` (most overdue first) and the total."""
    today = calendar.today()
    rows: dict[str, Figures] = {}

    label, joins = _group(group_by, Finding)
    query = select(
        label.label("label"),
        func.count(Finding.id),
        func.sum(case((Finding.state.in_(STANDING_STATES), 1), else_=0)),
    ).select_from(Finding)
    for target, on in joins:
        query = query.join(target, on)
    query = query.where(Finding.found_on >= start, Finding.found_on <= end).group_by(label)
    for name, found, standing in session.execute(actor.reach.scope(query, Finding)).all():
        row = rows.setdefault(name, Figures(name))
        row.findings, row.standing = int(found), int(standing or 0)

    first = calendar.to_utc(dt.datetime.combine(start, dt.time.min)).replace(tzinfo=None)
    after = calendar.to_utc(dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min)).replace(
        tzinfo=None
    )
    label, joins = _group(group_by, RectificationOrder)
    is_open = RectificationOrder.state.in_(OPEN_ORDER_STATES)
    closed = RectificationOrder.state == OrderState.CLOSED.value
    overdue = and_(
        RectificationOrder.state == OrderState.ISSUED.value,
        Deadline.completed_at.is_(None),
        Deadline.due_date < today,
    )
    query = (
        select(
            label.label("label"),
            func.count(RectificationOrder.id),
            func.sum(case((is_open, 1), else_=0)),
            func.sum(case((overdue, 1), else_=0)),
            func.sum(case((closed, 1), else_=0)),
            func.sum(case((and_(closed, RectificationOrder.was_late.is_(False)), 1), else_=0)),
        )
        .select_from(RectificationOrder)
        .join(Deadline, Deadline.id == RectificationOrder.deadline_id)
    )
    for target, on in joins:
        query = query.join(target, on)
    query = query.where(
        RectificationOrder.issued_at >= first, RectificationOrder.issued_at < after
    ).group_by(label)
    for name, count, open_, late, done, on_time in session.execute(
        actor.reach.scope(query, RectificationOrder)
    ).all():
        row = rows.setdefault(name, Figures(name))
        row.orders, row.open, row.overdue = int(count), int(open_ or 0), int(late or 0)
        row.closed, row.on_time = int(done or 0), int(on_time or 0)

    ordered = sorted(rows.values(), key=lambda f: (-f.overdue, -f.standing, f.label))
    total = Figures("")
    for row in ordered:
        for attr in ("findings", "standing", "orders", "open", "overdue", "closed", "on_time"):
            setattr(total, attr, getattr(total, attr) + getattr(row, attr))
    return ordered, total
