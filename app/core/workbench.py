"""The workbench (工作台): each role's to-dos and figures on the landing page, as a registry.

Core knows no domain. A domain registers, in its own ``register.py``, the to-dos it owns
(:func:`register_todo`: a function ``(desk) -> Todo | list[Todo] | None``, the :class:`Desk`
holding the actor, the session and the province's today)
and the small figures of the roles it measures (:func:`register_figure`). The landing page
(:mod:`app.core.index`) asks every source registered for the roles the actor holds and shows
the to-dos most urgent first.

A source counts with one aggregate query over the same reach-scoped query its list uses
(:func:`count_todo` does it for the common case: rows of a model, optionally with an open
deadline, scoped with :meth:`app.core.reach.Reach.scope`), never one query per row.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from app.core import calendar, roles
from app.core.actor import Actor
from app.core.calendar import WorkingCalendar
from app.core.models import Deadline


@dataclass(frozen=True)
class Todo:
    """One tile: how many records wait for the actor, where they are, and how late they run.

    ``overdue``: how many are past their deadline; ``overdue_days``: working days the most
    overdue one is late; ``next_due``: the nearest due date among the others; ``provisional``:
    some deadline was computed without the official calendar; ``urgent``: how many are
    flagged urgent by their proposer.
    """

    key: str
    label: str
    count: int
    url: str
    overdue: int = 0
    overdue_days: int = 0
    next_due: dt.date | None = None
    days_left: int | None = None
    provisional: bool = False
    urgent: int = 0
    note: str = ""
    #: For timed deadlines (minutes, hours): how late the oldest runs and when the next one is
    #: due, as the domain words them (shown instead of the working days).
    late: str = ""
    left: str = ""

    @property
    def urgency(self) -> tuple[int, int, int, int, int]:
        """Sort key, most urgent first: overdue (the longest), urgent, due soonest, the most."""
        left = self.days_left if self.days_left is not None else 10**6
        return (
            0 if self.count else 1,
            -self.overdue_days if self.overdue else 1,
            -self.urgent,
            left,
            -self.count,
        )


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    #: The text shown beside the bar (a count, a percentage); the value's own when empty.
    text: str = ""

    @property
    def shown(self) -> str:
        return self.text or f"{self.value:g}"


@dataclass(frozen=True)
class Figure:
    """A small measured figure: a headline and a few bars (drawn as HTML, nothing to cache)."""

    key: str
    title: str
    headline: str = ""
    bars: Sequence[Bar] = ()
    url: str = ""
    note: str = ""
    #: "percent": bars are rates in [0, 1]; "count": bars scale to the largest.
    scale: str = "count"

    def widths(self) -> list[tuple[Bar, int]]:
        """Each bar with its width in percent of the figure's width."""
        if self.scale == "percent":
            return [(b, round(max(0.0, min(1.0, b.value)) * 100)) for b in self.bars]
        top = max((b.value for b in self.bars), default=0) or 1
        return [(b, round(b.value / top * 100)) for b in self.bars]


@dataclass
class Desk:
    """What a source is asked with: who, the session, the province's today, and the working
    calendar loaded once for the whole page."""

    actor: Actor
    session: Session
    today: dt.date
    _working: WorkingCalendar | None = None

    @property
    def working(self) -> WorkingCalendar:
        if self._working is None:
            self._working = WorkingCalendar.load(self.session)
        return self._working

    @property
    def roles(self) -> frozenset[str]:
        return roles.names_of(self.actor)


TodoSource = Callable[[Desk], "Todo | Iterable[Todo] | None"]
FigureSource = Callable[[Desk], "Figure | None"]


@dataclass(frozen=True)
class _Entry:
    source: Any
    roles: frozenset[str]


@dataclass
class Registry:
    todos: list[_Entry] = field(default_factory=list)
    figures: list[_Entry] = field(default_factory=list)

    def _add(self, entries: list[_Entry], source: Any, for_roles: Iterable[str]) -> None:
        # Domains register at start-up, and tests create several apps: register once.
        if all(e.source is not source for e in entries):
            entries.append(_Entry(source, frozenset(for_roles)))


REGISTRY = Registry()


def register_todo(source: TodoSource, *, for_roles: Iterable[str]) -> TodoSource:
    """Show ``source``'s to-do tiles to the holders of ``for_roles``."""
    REGISTRY._add(REGISTRY.todos, source, for_roles)
    return source


def register_figure(source: FigureSource, *, for_roles: Iterable[str]) -> FigureSource:
    """Show ``source``'s figure to the holders of ``for_roles``."""
    REGISTRY._add(REGISTRY.figures, source, for_roles)
    return source


def _sources(entries: list[_Entry], actor: Actor) -> list[Any]:
    names = roles.names_of(actor)
    return [e.source for e in entries if e.roles & names]


def desk(actor: Actor, session: Session, today: dt.date | None = None) -> Desk:
    return Desk(actor, session, today or calendar.today())


def todos_for(desk: Desk) -> list[Todo]:
    """Every to-do of the actor's roles, most urgent first (empty tiles last)."""
    found: list[Todo] = []
    for source in _sources(REGISTRY.todos, desk.actor):
        result = source(desk)
        if result is None:
            continue
        found.extend([result] if isinstance(result, Todo) else result)
    return sorted(found, key=lambda t: t.urgency)


def figures_for(desk: Desk) -> list[Figure]:
    found = [source(desk) for source in _sources(REGISTRY.figures, desk.actor)]
    return [f for f in found if f is not None]


def count_todo(
    desk: Desk,
    model: type,
    *where: ColumnElement[bool],
    key: str,
    label: Any,
    url: str,
    deadline: ColumnElement[Any] | None = None,
    urgent: ColumnElement[bool] | None = None,
    note: Any = "",
) -> Todo:
    """One tile counted by one query: the rows of ``model`` matching ``where`` within the
    actor's reach; with ``deadline`` (the column holding the open step's deadline id), how many
    are overdue, the worst lateness and the nearest due date; with ``urgent``, how many are
    flagged."""
    today = desk.today
    overdue_when = Deadline.due_date < today
    columns: list[Any] = [func.count()]
    if deadline is not None:
        columns += [
            func.sum(case((overdue_when, 1), else_=0)),
            func.min(Deadline.due_date),
            func.min(case((overdue_when, None), else_=Deadline.due_date)),
            func.max(case((Deadline.provisional, 1), else_=0)),
        ]
    if urgent is not None:
        columns.append(func.sum(case((urgent, 1), else_=0)))
    query = select(*columns).select_from(model).where(*where)
    if deadline is not None:
        query = query.join(Deadline, Deadline.id == deadline).where(Deadline.completed_at.is_(None))
    row = desk.session.execute(desk.actor.reach.scope(query, model)).one()
    count = int(row[0] or 0)
    values: dict[str, Any] = {}
    if deadline is not None:
        overdue, oldest, next_due, provisional = row[1:5]
        oldest, next_due = _date(oldest), _date(next_due)
        values = {
            "overdue": int(overdue or 0),
            "provisional": bool(provisional),
            "next_due": next_due,
        }
        if overdue and oldest is not None:
            values["overdue_days"] = max(1, desk.working.working_days_between(oldest, today))
        if next_due is not None:
            values["days_left"] = desk.working.working_days_between(today, next_due)
    if urgent is not None:
        values["urgent"] = int(row[-1] or 0)
    return Todo(key, str(label), count, url, note=str(note) if count else "", **values)


def _date(value: Any) -> dt.date | None:
    """A date column's aggregate: SQLite returns MIN() of a date as text."""
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


__all__ = [
    "Bar",
    "Desk",
    "Figure",
    "Todo",
    "count_todo",
    "desk",
    "figures_for",
    "percent",
    "register_figure",
    "register_todo",
    "todos_for",
]
