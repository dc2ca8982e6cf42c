"""The figures of ratings (好差评统计) and the summary table they are read from.

The definitions (also written on the page):

* ratings counted = ratings − poor ratings agreed invalid (an invalid rating leaves the figures);
* 好评率 = good ratings / ratings counted; 差评率 = valid poor ratings / ratings counted;
* 整改率 = rectified valid poor ratings / valid poor ratings;
* 按时整改率 = valid poor ratings rectified by their deadline / valid poor ratings;
* 回访率 = valid poor ratings called back (rater reached) / valid poor ratings;
* 实名差评回访率 = real-name valid poor ratings called back / real-name valid poor ratings (must be
  100%);
* 回访满意率 = call-backs with the rater satisfied / call-backs.

:func:`refresh` rewrites the summary rows (:class:`RatingDay`: per province date, unit and
channel; :class:`RatingMonth`: the same by month) of the (unit, day) pairs whose ratings or
tickets changed; every service that changes
them calls it in the same transaction. The page then sums at most one row per day, unit and
channel instead of reading every rating — a period's whole months from the month rows, only
its partial months from the days; only the per-item view reads ratings (by their
``(item_id, rated_on)`` index) because items are too many to summarise.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from app.core import calendar
from app.core.actor import Actor
from app.core.models import Deadline, Region, Unit
from app.ratings.models import Rating, RatingDay, RatingMonth, RectificationTicket
from app.ratings.states import TicketState

COUNTS = (
    "ratings",
    "good",
    "poor",
    "invalid",
    "rectified",
    "rectified_on_time",
    "real_name_poor",
    "called_back",
    "real_name_called_back",
    "satisfied",
)
GROUPINGS = ("unit", "region", "channel", "item", "month", "quarter")


@dataclass
class Figures:
    """The counts of one row of the figures and the rates defined on them."""

    key: Any = None
    label: str = ""
    ratings: int = 0
    good: int = 0
    poor: int = 0
    invalid: int = 0
    rectified: int = 0
    rectified_on_time: int = 0
    real_name_poor: int = 0
    called_back: int = 0
    real_name_called_back: int = 0
    satisfied: int = 0
    overdue: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    def add(self, other: Any) -> None:
        for name in COUNTS:
            setattr(self, name, getattr(self, name) + (getattr(other, name, 0) or 0))

    @property
    def counted(self) -> int:
        return self.ratings - self.invalid

    @property
    def poor_valid(self) -> int:
        return self.poor - self.invalid

    @staticmethod
    def _rate(part: int, whole: int) -> float | None:
        return part / whole if whole else None

    @property
    def good_rate(self) -> float | None:
        return self._rate(self.good, self.counted)

    @property
    def poor_rate(self) -> float | None:
        return self._rate(self.poor_valid, self.counted)

    @property
    def rectify_rate(self) -> float | None:
        return self._rate(self.rectified, self.poor_valid)

    @property
    def on_time_rate(self) -> float | None:
        return self._rate(self.rectified_on_time, self.poor_valid)

    @property
    def call_back_rate(self) -> float | None:
        return self._rate(self.called_back, self.poor_valid)

    @property
    def real_name_call_back_rate(self) -> float | None:
        return self._rate(self.real_name_called_back, self.real_name_poor)

    @property
    def satisfaction_rate(self) -> float | None:
        return self._rate(self.satisfied, self.called_back)


# -- the summary ---------------------------------------------------------------------------------


def _row_query() -> Any:
    return (
        select(
            Rating.rated_on,
            Rating.unit_id,
            Rating.region_id,
            Rating.channel,
            Rating.poor,
            Rating.real_name,
            RectificationTicket.state,
            RectificationTicket.called_back,
            RectificationTicket.satisfied,
            Deadline.due_date,
            Deadline.completed_at,
        )
        .outerjoin(RectificationTicket, RectificationTicket.rating_id == Rating.id)
        .outerjoin(Deadline, Deadline.id == RectificationTicket.deadline_id)
    )


def _count(figures: Figures, row: Any) -> None:
    """Add one rating (a row of :func:`_row_query`) to ``figures``."""
    figures.ratings += 1
    if not row.poor:
        figures.good += 1
        return
    figures.poor += 1
    if row.state == TicketState.INVALID.value:
        figures.invalid += 1
        return
    figures.real_name_poor += row.real_name
    if row.completed_at is not None:
        figures.rectified += 1
        figures.rectified_on_time += calendar.local_date(row.completed_at) <= row.due_date
    if row.called_back:
        figures.called_back += 1
        figures.real_name_called_back += row.real_name
        figures.satisfied += bool(row.satisfied)


def refresh(session: Session, pairs: Iterable[tuple[int, dt.date]]) -> None:
    """Rewrite the summary rows of these (unit id, province date) pairs from their ratings."""
    days_of: dict[int, set[dt.date]] = defaultdict(set)
    for unit_id, day in pairs:
        days_of[unit_id].add(day)
    for unit_id, days in days_of.items():
        ordered = sorted(days)
        for start in range(0, len(ordered), 400):
            chunk = ordered[start : start + 400]
            summary: dict[tuple[dt.date, str], Figures] = {}
            regions: dict[tuple[dt.date, str], int] = {}
            query = _row_query().where(Rating.unit_id == unit_id, Rating.rated_on.in_(chunk))
            for row in session.execute(query):
                key = (row.rated_on, row.channel)
                _count(summary.setdefault(key, Figures()), row)
                regions[key] = row.region_id
            session.execute(
                delete(RatingDay).where(RatingDay.unit_id == unit_id, RatingDay.rated_on.in_(chunk))
            )
            if summary:
                session.execute(
                    insert(RatingDay),
                    [
                        {
                            "rated_on": day,
                            "unit_id": unit_id,
                            "region_id": regions[(day, channel)],
                            "channel": channel,
                            **{name: getattr(counts, name) for name in COUNTS},
                        }
                        for (day, channel), counts in summary.items()
                    ],
                )
        _refresh_months(session, unit_id, {day.replace(day=1) for day in days})


def _refresh_months(session: Session, unit_id: int, months: set[dt.date]) -> None:
    """Rewrite the month rows of ``unit_id`` for ``months`` from its (just rewritten) days."""
    first, last = min(months), _next_month(max(months))
    summary: dict[tuple[dt.date, str], Figures] = {}
    regions: dict[tuple[dt.date, str], int] = {}
    days = select(RatingDay).where(
        RatingDay.unit_id == unit_id, RatingDay.rated_on >= first, RatingDay.rated_on < last
    )
    for day in session.execute(days).scalars():
        month = day.rated_on.replace(day=1)
        if month in months:
            key = (month, day.channel)
            summary.setdefault(key, Figures()).add(day)
            regions[key] = day.region_id
    session.execute(
        delete(RatingMonth).where(RatingMonth.unit_id == unit_id, RatingMonth.month.in_(months))
    )
    if summary:
        session.execute(
            insert(RatingMonth),
            [
                {
                    "month": month,
                    "unit_id": unit_id,
                    "region_id": regions[(month, channel)],
                    "channel": channel,
                    **{name: getattr(counts, name) for name in COUNTS},
                }
                for (month, channel), counts in summary.items()
            ],
        )


def _next_month(month: dt.date) -> dt.date:
    return (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def split_period(
    start: dt.date, end: dt.date
) -> tuple[list[tuple[dt.date, dt.date]], tuple[dt.date | None, dt.date | None]]:
    """[start, end] as the day ranges of its partial months and the range of its whole months
    (first and last month's first day, or None): what :func:`compute` reads from each summary."""
    first_whole = start if start.day == 1 else _next_month(start)
    after_end = end + dt.timedelta(days=1)
    last_whole_end = after_end.replace(day=1)  # the whole months end before this day
    if first_whole >= last_whole_end:
        return [(start, end)], (None, None)
    days = []
    if start < first_whole:
        days.append((start, first_whole - dt.timedelta(days=1)))
    if last_whole_end <= end:
        days.append((last_whole_end, end))
    last_month = (last_whole_end - dt.timedelta(days=1)).replace(day=1)
    return days, (first_whole, last_month)


# -- reading the figures -------------------------------------------------------------------------


def _sums(table: Any = RatingDay) -> list[Any]:
    return [func.coalesce(func.sum(getattr(table, name)), 0).label(name) for name in COUNTS]


def _children_label(session: Session, scope_path: str) -> dict[str, tuple[str, str]]:
    """Region path → (key path, name) of the region one level below ``scope_path`` that holds
    it (or the scope region itself)."""
    regions = session.execute(
        select(Region.path, Region.name).where(Region.path.startswith(scope_path, autoescape=True))
    ).all()
    names = dict(regions)
    depth = scope_path.count("/")
    result = {}
    for path, _name in regions:
        parts = path.split("/")
        key = "/".join(parts[:depth]) + "/" if path.count("/") > depth else path
        result[path] = (key, names.get(key, _name))
    return result


def compute(
    session: Session,
    *,
    actor: Actor,
    start: dt.date,
    end: dt.date,
    group_by: str = "unit",
    region_path: str | None = None,
) -> tuple[list[Figures], Figures]:
    """The figures within the actor's reach for [start, end], one row per ``group_by`` value,
    and their total. ``region_path``: only that region's subtree (within reach)."""
    if group_by == "item":
        return _by_item(session, actor=actor, start=start, end=end, region_path=region_path)
    day_ranges, (first_month, last_month) = split_period(start, end)
    parts = [(RatingDay, RatingDay.rated_on, low, high) for low, high in day_ranges]
    if first_month is not None:
        parts.append((RatingMonth, RatingMonth.month, first_month, last_month))
    rows: dict[Any, Figures] = {}
    for table, date_column, low, high in parts:
        column = {
            "unit": table.unit_id,
            "region": table.region_id,
            "channel": table.channel,
            "month": date_column,
            "quarter": date_column,
        }[group_by]
        query = (
            select(column.label("key"), *_sums(table))
            .where(date_column >= low, date_column <= high)
            .group_by(column)
        )
        if region_path:
            query = query.where(table.region_id.in_(Region.subtree(region_path)))
        query = actor.reach.scope(query, table)
        for row in session.execute(query):
            key, label = _key_and_label(group_by, row.key)
            figures = rows.setdefault(key, Figures(key=key, label=label))
            figures.add(row)
    if group_by == "unit":
        names = dict(
            session.execute(select(Unit.id, Unit.name).where(Unit.id.in_(list(rows)))).all()
        )
        for figures in rows.values():
            figures.label = names.get(figures.key, str(figures.key))
        for unit_id, count in overdue_by_unit(session, actor=actor).items():
            if unit_id in rows:
                rows[unit_id].overdue = count
    elif group_by == "region":
        rows = _roll_up_regions(session, rows, region_path or _scope_path(session, actor))
    total = Figures(label="")
    for figures in rows.values():
        total.add(figures)
        total.overdue += figures.overdue
    return sorted(rows.values(), key=lambda f: str(f.key)), total


def _key_and_label(group_by: str, value: Any) -> tuple[Any, str]:
    from app.ratings.states import Channel

    if group_by == "channel":
        return value, Channel.label_of(value)
    if group_by == "month":
        day = value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
        return day.strftime("%Y-%m"), day.strftime("%Y-%m")
    if group_by == "quarter":
        day = value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
        label = f"{day.year}Q{(day.month - 1) // 3 + 1}"
        return label, label
    return value, str(value)


def _scope_path(session: Session, actor: Actor) -> str:
    if actor.reach.region_path:
        return actor.reach.region_path
    root = session.execute(select(Region.path).order_by(func.length(Region.path))).first()
    return root[0] if root else "/"


def _roll_up_regions(
    session: Session, rows: dict[Any, Figures], scope_path: str
) -> dict[Any, Figures]:
    paths = dict(
        session.execute(select(Region.id, Region.path).where(Region.id.in_(list(rows)))).all()
    )
    children = _children_label(session, scope_path)
    rolled: dict[Any, Figures] = {}
    for region_id, figures in rows.items():
        key, name = children.get(paths.get(region_id, ""), (str(region_id), str(region_id)))
        target = rolled.setdefault(key, Figures(key=key, label=name))
        target.add(figures)
    return rolled


def _by_item(
    session: Session,
    *,
    actor: Actor,
    start: dt.date,
    end: dt.date,
    region_path: str | None,
) -> tuple[list[Figures], Figures]:
    query = (
        _row_query()
        .add_columns(Rating.item_id, Rating.item_name)
        .where(Rating.rated_on >= start, Rating.rated_on <= end)
    )
    if region_path:
        query = query.where(Rating.region_id.in_(Region.subtree(region_path)))
    query = actor.reach.scope(query, Rating)
    rows: dict[Any, Figures] = {}
    for row in session.execute(query):
        _count(rows.setdefault(row.item_id, Figures(key=row.item_id, label=row.item_name)), row)
    total = Figures()
    for figures in rows.values():
        total.add(figures)
    return sorted(rows.values(), key=lambda f: -f.ratings), total


def overdue_by_unit(session: Session, *, actor: Actor) -> dict[int, int]:
    """Open tickets past their due date, per unit (the province's today)."""
    query = (
        select(RectificationTicket.unit_id, func.count())
        .join(Deadline, Deadline.id == RectificationTicket.deadline_id)
        .where(Deadline.completed_at.is_(None), Deadline.due_date < calendar.today())
        .group_by(RectificationTicket.unit_id)
    )
    return dict(session.execute(actor.reach.scope(query, RectificationTicket)).all())


def late_and_overdue_by_unit(
    session: Session, *, actor: Actor, start: dt.date, end: dt.date
) -> list[tuple[str, int]]:
    """The ten units with the most overdue tickets: rectified late in the period, or open
    past their due date now."""
    rows, _total = compute(session, actor=actor, start=start, end=end, group_by="unit")
    counted = [
        (f.label, f.rectified - f.rectified_on_time + f.overdue)
        for f in rows
        if f.rectified - f.rectified_on_time + f.overdue
    ]
    return sorted(counted, key=lambda pair: -pair[1])[:10]


def as_cells(figures: Figures) -> list[Any]:
    """A row of the figures as the page and the export show it (rates in percent)."""

    def percent(value: float | None) -> str:
        return "" if value is None else f"{value * 100:.1f}%"

    return [
        figures.label,
        figures.counted,
        figures.good,
        figures.poor_valid,
        figures.invalid,
        percent(figures.good_rate),
        percent(figures.poor_rate),
        percent(figures.rectify_rate),
        percent(figures.on_time_rate),
        percent(figures.call_back_rate),
        percent(figures.real_name_call_back_rate),
        percent(figures.satisfaction_rate),
        figures.overdue,
    ]
