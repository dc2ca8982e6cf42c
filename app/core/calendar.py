"""The PRC working-day calendar (DOMAIN.md §7): the only place deadlines are computed.

Weekends are off and weekdays on, except for the exceptions stored in ``calendar_day``
(statutory holidays on weekdays, make-up working days 调休 on weekends). The calendar is seeded
from the ``chinese-calendar`` package for the years it knows (2004–2026 in 1.11.0) and edited by
the provincial administrator, who enters each new year's schedule when the State Council
announces it.

A computation that touches a year the calendar does not know uses weekdays only and is marked
*provisional*; deadlines stored in ``deadline`` keep that mark, the administrator is alerted, and
entering the year (or any calendar edit) recomputes them.

Deadlines of minutes or hours (seed 003: verify in 30 minutes, return in 15) count the office
hours of working days (``OFFICE_HOURS``, with an optional summer schedule):
:func:`add_working_minutes` beside :func:`add_working_days`, and :func:`schedule_timed_deadline`,
whose ``deadline`` row is due at an instant (``due_at``) and is recomputed and marked
provisional like every other.

It is also the one clock. "Today" is the province's date (``PROVINCE_TIMEZONE``, by default
Asia/Shanghai), not the server's: :func:`today` and :func:`local_now` answer in the province's
zone, :func:`now` gives the instant in UTC, which is what the database stores (naive UTC,
:func:`app.core.models.utcnow`). Every stored instant is shown to users through
:func:`format_datetime` (the ``local_time`` template filter, the views' datetime formatter and the
spreadsheet writer), in the province's zone. Tests move the clock through :func:`_utc_now`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, delete, or_, select
from sqlalchemy.orm import Session

from app.core.models import CalendarDay, CalendarYear, Deadline

DEFAULT_TIMEZONE = "Asia/Shanghai"
PACKAGE_SOURCE = "chinese-calendar"
HOLIDAY_NAMES_ZH = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利70周年纪念日",
}


# -- the clock ---------------------------------------------------------------------------------


def _utc_now() -> dt.datetime:
    """The machine's clock as an aware UTC instant: the one seam tests move (``clock`` fixture)."""
    return dt.datetime.now(dt.UTC)


def zone() -> ZoneInfo:
    """The province's time zone: ``PROVINCE_TIMEZONE`` of the running app, else the default."""
    from flask import current_app, has_app_context

    name = DEFAULT_TIMEZONE
    if has_app_context():
        name = current_app.config.get("PROVINCE_TIMEZONE") or DEFAULT_TIMEZONE
    return ZoneInfo(name)  # ZoneInfo caches its instances


def now() -> dt.datetime:
    """The current instant, aware, in UTC (stored without tzinfo: ``models.utcnow``)."""
    return _utc_now().astimezone(dt.UTC)


def local_now() -> dt.datetime:
    """The current instant, aware, in the province's zone."""
    return _utc_now().astimezone(zone())


def today() -> dt.date:
    """The province's calendar date now: the day every deadline counts from."""
    return local_now().date()


def to_local(value: dt.datetime) -> dt.datetime:
    """A stored instant (naive means UTC, as the database keeps it) in the province's zone."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(zone())


def local_date(value: dt.datetime) -> dt.date:
    """The province's calendar date of a stored instant."""
    return to_local(value).date()


def to_utc(value: dt.datetime) -> dt.datetime:
    """An instant as stored: naive UTC (a naive argument is taken as the province's time)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=zone())
    return value.astimezone(dt.UTC).replace(tzinfo=None)


def at_local_time(day: dt.date) -> dt.datetime:
    """The stored instant (naive UTC) of ``day`` at the province's current time of day (steps
    of jobs and tests that act on a given day)."""
    return to_utc(dt.datetime.combine(day, local_now().time()))


def format_datetime(value: dt.datetime | dt.date | None, *, seconds: bool = False) -> str:
    """How every time is shown to users: the province's local time, ``YYYY-MM-DD HH:MM``
    (``:SS`` with ``seconds``), no microseconds, no zone label; a plain date as ``YYYY-MM-DD``."""
    if value is None:
        return ""
    if not isinstance(value, dt.datetime):
        return value.isoformat()
    return to_local(value).strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


# -- working days ------------------------------------------------------------------------------


@dataclass(frozen=True)
class WorkingDate:
    """A computed date; ``provisional`` when a year the calendar does not know was involved."""

    date: dt.date
    provisional: bool


class WorkingCalendar:
    """An in-memory view of the calendar tables, for computing many dates with one load."""

    def __init__(self, known_years: Iterable[int], exceptions: dict[dt.date, bool]) -> None:
        self.known_years = frozenset(known_years)
        self.exceptions = dict(exceptions)

    @classmethod
    def load(cls, session: Session) -> WorkingCalendar:
        years = (
            session.execute(select(CalendarYear.year).where(CalendarYear.complete.is_(True)))
            .scalars()
            .all()
        )
        days = session.execute(select(CalendarDay.day, CalendarDay.is_working_day)).all()
        return cls(years, {day: working for day, working in days})

    def knows(self, day: dt.date) -> bool:
        return day.year in self.known_years

    def is_working_day(self, day: dt.date) -> bool:
        if day.year in self.known_years and day in self.exceptions:
            return self.exceptions[day]
        return day.weekday() < 5

    def add_working_days(self, start: dt.date, n: int) -> WorkingDate:
        """The n-th working day after ``start`` (``start`` itself is not counted; n ≥ 0)."""
        if n < 0:
            raise ValueError("n must not be negative")
        day, provisional, remaining = start, not self.knows(start), n
        while remaining:
            day += dt.timedelta(days=1)
            provisional = provisional or not self.knows(day)
            if self.is_working_day(day):
                remaining -= 1
        return WorkingDate(day, provisional)

    def working_days_between(self, start: dt.date, end: dt.date) -> int:
        """Working days in (start, end]; negative when ``end`` is before ``start``."""
        if end < start:
            return -self.working_days_between(end, start)
        count, day = 0, start
        while day < end:
            day += dt.timedelta(days=1)
            count += self.is_working_day(day)
        return count

    def range_is_provisional(self, start: dt.date, end: dt.date) -> bool:
        low, high = min(start, end), max(start, end)
        return any(year not in self.known_years for year in range(low.year, high.year + 1))


# -- office hours: working minutes (seed 003, DOMAIN.md §7) ------------------------------------

Period = tuple[dt.time, dt.time]


def _parse_periods(text: str) -> tuple[Period, ...]:
    """``"09:00-12:00,13:00-17:00"`` → ordered, non-overlapping periods (ValueError otherwise)."""
    periods: list[Period] = []
    for part in (text or "").split(","):
        if not part.strip():
            continue
        start, _dash, end = part.strip().partition("-")
        opening, closing = dt.time.fromisoformat(start.strip()), dt.time.fromisoformat(end.strip())
        if closing <= opening or (periods and opening < periods[-1][1]):
            raise ValueError(f"office hours must be ordered periods: {text!r}")
        periods.append((opening, closing))
    if not periods:
        raise ValueError("office hours must name at least one period")
    return tuple(periods)


@dataclass(frozen=True)
class OfficeHours:
    """The office periods of a working day in the province's time, with an optional summer
    schedule between two month-days (both included; a range may wrap over the new year)."""

    periods: tuple[Period, ...]
    summer: tuple[Period, ...] = ()
    summer_dates: tuple[tuple[int, int], tuple[int, int]] | None = None

    @classmethod
    def parse(cls, text: str, summer: str = "", summer_dates: str = "") -> OfficeHours:
        if bool(summer.strip()) != bool(summer_dates.strip()):
            raise ValueError("summer office hours need both their periods and their dates")
        dates = None
        if summer_dates.strip():
            first, _sep, last = summer_dates.partition("..")
            start, end = (tuple(int(n) for n in d.strip().split("-")) for d in (first, last))
            dt.date(2024, *start), dt.date(2024, *end)  # a real month-day, or ValueError
            dates = ((start[0], start[1]), (end[0], end[1]))
        return cls(_parse_periods(text), _parse_periods(summer) if summer.strip() else (), dates)

    def on(self, day: dt.date) -> tuple[Period, ...]:
        """The periods that apply on ``day`` (whether it is a working day is the calendar's)."""
        if self.summer_dates is None:
            return self.periods
        start, end, here = self.summer_dates[0], self.summer_dates[1], (day.month, day.day)
        inside = start <= here <= end if start <= end else (here >= start or here <= end)
        return self.summer if inside else self.periods


def office_hours() -> OfficeHours:
    """The province's office hours (``OFFICE_HOURS`` and its summer variant), else the default."""
    from flask import current_app, has_app_context

    if not has_app_context():
        return OfficeHours.parse(DEFAULT_OFFICE_HOURS)
    config = current_app.config
    return OfficeHours.parse(
        config.get("OFFICE_HOURS") or DEFAULT_OFFICE_HOURS,
        config.get("OFFICE_HOURS_SUMMER") or "",
        config.get("OFFICE_HOURS_SUMMER_DATES") or "",
    )


DEFAULT_OFFICE_HOURS = "09:00-12:00,13:00-17:00"
#: How a timed deadline counts: office minutes of working days, or natural hours that end at
#: the next office time when they fall outside it.
OFFICE_MINUTES = "office"
NATURAL_HOURS = "natural"


@dataclass(frozen=True)
class WorkingInstant:
    """A computed instant (naive UTC, as stored); ``provisional`` when a year the calendar
    does not know was involved."""

    at: dt.datetime
    provisional: bool


class _OfficeClock:
    """Walks office periods of working days in the province's local (naive) time."""

    def __init__(self, calendar: WorkingCalendar, hours: OfficeHours) -> None:
        self.calendar, self.hours = calendar, hours
        self.provisional = False

    def _day_periods(self, day: dt.date) -> tuple[Period, ...]:
        self.provisional = self.provisional or not self.calendar.knows(day)
        return self.hours.on(day) if self.calendar.is_working_day(day) else ()

    def periods_from(self, moment: dt.datetime) -> Iterable[tuple[dt.datetime, dt.datetime]]:
        """The office periods (local naive start, end) from ``moment`` on, the first one cut
        at ``moment``. Endless: the caller stops."""
        day = moment.date()
        while True:
            for opening, closing in self._day_periods(day):
                start = dt.datetime.combine(day, opening)
                end = dt.datetime.combine(day, closing)
                if end <= moment:
                    continue
                yield max(start, moment), end
            day += dt.timedelta(days=1)


def _local_naive(value: dt.datetime) -> dt.datetime:
    return to_local(value).replace(tzinfo=None)


def _working_instant(local: dt.datetime, provisional: bool) -> WorkingInstant:
    return WorkingInstant(to_utc(local), provisional)


def add_office_minutes(
    working: WorkingCalendar, start: dt.datetime, minutes: int, hours: OfficeHours
) -> WorkingInstant:
    """The instant ``minutes`` office minutes of working days after ``start`` (a stored or
    aware instant): time outside office hours does not count, so a request sent after hours
    starts counting at the next opening."""
    if minutes < 0:
        raise ValueError("minutes must not be negative")
    moment = _local_naive(start)
    clock = _OfficeClock(working, hours)
    clock.provisional = not working.knows(moment.date())
    remaining = dt.timedelta(minutes=minutes)
    for begin, end in clock.periods_from(moment):
        if remaining <= end - begin:
            return _working_instant(begin + remaining, clock.provisional)
        remaining -= end - begin
    raise AssertionError("unreachable: office periods never end")  # pragma: no cover


def add_natural_hours(
    working: WorkingCalendar, start: dt.datetime, hours_count: int, hours: OfficeHours
) -> WorkingInstant:
    """``hours_count`` natural hours after ``start``; an end outside office time (a night, a
    weekend, a holiday, the lunch break) moves to the next office time."""
    if hours_count < 0:
        raise ValueError("hours must not be negative")
    # Natural hours are elapsed time: added to the instant, then read in the province's time.
    aware = start if start.tzinfo is not None else start.replace(tzinfo=dt.UTC)
    end = _local_naive(aware + dt.timedelta(hours=hours_count))
    clock = _OfficeClock(working, hours)
    clock.provisional = not working.knows(_local_naive(start).date())
    if end.time() in {closing for _opening, closing in clock._day_periods(end.date())}:
        return _working_instant(end, clock.provisional)  # at closing time: still in office
    for begin, _close in clock.periods_from(end):
        return _working_instant(begin, clock.provisional)
    raise AssertionError("unreachable: office periods never end")  # pragma: no cover


def office_minutes_between(
    working: WorkingCalendar, start: dt.datetime, end: dt.datetime, hours: OfficeHours
) -> int:
    """Office minutes in [start, end) (negative when ``end`` is before ``start``): the time
    left before a timed deadline, or how late it is."""
    low, high = _local_naive(start), _local_naive(end)
    if high < low:
        return -office_minutes_between(working, end, start, hours)
    total = dt.timedelta()
    for begin, close in _OfficeClock(working, hours).periods_from(low):
        if begin >= high:
            break
        total += min(close, high) - begin
    return int(total.total_seconds() // 60)


def _session(session: Session | None) -> Session:
    if session is not None:
        return session
    from app.extensions import db

    return db.session


def is_working_day(day: dt.date, *, session: Session | None = None) -> bool:
    return WorkingCalendar.load(_session(session)).is_working_day(day)


def add_working_days(start: dt.date, n: int, *, session: Session | None = None) -> WorkingDate:
    return WorkingCalendar.load(_session(session)).add_working_days(start, n)


def working_days_between(start: dt.date, end: dt.date, *, session: Session | None = None) -> int:
    return WorkingCalendar.load(_session(session)).working_days_between(start, end)


def schedule_deadline(
    session: Session,
    start: dt.date,
    working_days: int,
    purpose: str,
    *,
    working_calendar: WorkingCalendar | None = None,
) -> Deadline:
    """Create a stored deadline ``working_days`` after ``start``; the caller links it.
    ``working_calendar``: the calendar already loaded, when many deadlines are scheduled."""
    working = working_calendar or WorkingCalendar.load(session)
    result = working.add_working_days(start, working_days)
    deadline = Deadline(
        purpose=purpose,
        start_date=start,
        working_days=working_days,
        due_date=result.date,
        provisional=result.provisional,
    )
    session.add(deadline)
    return deadline


def schedule_timed_deadline(
    session: Session,
    start: dt.datetime,
    purpose: str,
    *,
    minutes: int = 0,
    hours: int = 0,
    working_calendar: WorkingCalendar | None = None,
) -> Deadline:
    """Create a stored deadline due at an instant: ``minutes`` office minutes of working days
    after ``start``, or ``hours`` natural hours that end at the next office time when they
    fall outside it (give one of the two). The caller links it; calendar edits recompute it."""
    if bool(minutes) == bool(hours):
        raise ValueError("give either office minutes or natural hours")
    start_at = to_utc(start) if start.tzinfo is not None else start
    clock = OFFICE_MINUTES if minutes else NATURAL_HOURS
    deadline = Deadline(
        purpose=purpose,
        start_date=local_date(start_at),
        working_days=0,
        start_at=start_at,
        minutes=minutes or hours * 60,
        clock=clock,
    )
    _compute_timed(deadline, working_calendar or WorkingCalendar.load(session))
    session.add(deadline)
    return deadline


def _compute_timed(deadline: Deadline, working: WorkingCalendar) -> bool:
    """(Re)compute a timed deadline's instant; return whether it moved or firmed up."""
    assert deadline.start_at is not None and deadline.minutes is not None
    hours = office_hours()
    if deadline.clock == NATURAL_HOURS:
        result = add_natural_hours(working, deadline.start_at, deadline.minutes // 60, hours)
    else:
        result = add_office_minutes(working, deadline.start_at, deadline.minutes, hours)
    due_date = local_date(result.at)
    if (result.at, result.provisional, due_date) == (
        deadline.due_at,
        deadline.provisional,
        deadline.due_date,
    ):
        return False
    deadline.due_at, deadline.provisional, deadline.due_date = (
        result.at,
        result.provisional,
        due_date,
    )
    return True


def add_working_minutes(
    start: dt.datetime, minutes: int, *, session: Session | None = None
) -> WorkingInstant:
    """``minutes`` office minutes of working days after ``start`` (the province's office
    hours), beside :func:`add_working_days`."""
    working = WorkingCalendar.load(_session(session))
    return add_office_minutes(working, start, minutes, office_hours())


def time_left(deadline: Deadline, *, working_calendar: WorkingCalendar | None = None) -> int:
    """Office minutes from now to a timed deadline's instant (negative: that late)."""
    assert deadline.due_at is not None
    working = working_calendar or WorkingCalendar.load(_session(None))
    moment = deadline.completed_at or now().replace(tzinfo=None)
    return office_minutes_between(working, moment, deadline.due_at, office_hours())


def close_deadline(deadline: Deadline, *, at: dt.datetime | None = None) -> bool:
    """Complete ``deadline`` at the stored instant ``at`` (default now); return whether it was
    completed late (judged on the province's date of ``at``). The one way a deadline is closed."""
    deadline.completed_at = at if at is not None else now().replace(tzinfo=None)
    return deadline.is_overdue()


def deadline_label(deadline: Deadline | None, today: dt.date | None = None) -> str:
    """How a deadline reads everywhere: its due date, 「（暂定）」 while the calendar does not know
    a year it reaches, then 「✓」 once completed or 「已超期」 while open past its due date."""
    from flask_babel import gettext

    if deadline is None:
        return ""
    text = (
        format_datetime(deadline.due_at)
        if deadline.due_at is not None
        else deadline.due_date.isoformat()
    )
    if deadline.provisional:
        text += gettext("(provisional)")
    if deadline.completed_at is not None:
        text += " ✓"
    elif deadline.is_overdue(today):
        text += " " + gettext("OVERDUE")
    return text


def recompute_deadlines(session: Session, since: dt.date | None = None) -> int:
    """Recompute open deadlines after a calendar change; return how many moved or firmed up.

    Every provisional deadline is recomputed, and so is every open deadline whose window reaches
    ``since`` (the earliest changed day), because a new holiday moves it.
    """
    calendar = WorkingCalendar.load(session)
    condition: ColumnElement[bool] = Deadline.provisional.is_(True)
    if since is not None:
        condition = or_(condition, Deadline.due_date >= since)
    deadlines = session.execute(
        select(Deadline).where(Deadline.completed_at.is_(None), condition)
    ).scalars()
    changed = 0
    for deadline in deadlines:
        if deadline.due_at is not None:
            changed += _compute_timed(deadline, calendar)
            continue
        result = calendar.add_working_days(deadline.start_date, deadline.working_days)
        if (result.date, result.provisional) != (deadline.due_date, deadline.provisional):
            deadline.due_date, deadline.provisional = result.date, result.provisional
            changed += 1
    return changed


def missing_years(session: Session, today: dt.date, horizon_days: int = 60) -> list[int]:
    """Years the calendar must know soon: this year, and next year once it is near.

    Also every year that an open provisional deadline already reaches.
    """
    known = set(
        session.execute(select(CalendarYear.year).where(CalendarYear.complete.is_(True))).scalars()
    )
    wanted = {today.year, (today + dt.timedelta(days=horizon_days)).year}
    reached = session.execute(
        select(Deadline.due_date).where(
            Deadline.provisional.is_(True), Deadline.completed_at.is_(None)
        )
    ).scalars()
    wanted.update(day.year for day in reached)
    return sorted(year for year in wanted if year not in known)


def provisional_deadline_count(session: Session) -> int:
    from sqlalchemy import func

    return session.execute(
        select(func.count())
        .select_from(Deadline)
        .where(Deadline.provisional.is_(True), Deadline.completed_at.is_(None))
    ).scalar_one()


def enter_year(
    session: Session,
    year: int,
    *,
    holidays: Iterable[tuple[dt.date, str]],
    workdays: Iterable[tuple[dt.date, str]] = (),
    source: str = "manual",
    note: str | None = None,
) -> int:
    """Enter (or replace) a year's official schedule and recompute affected deadlines.

    ``holidays`` are days off (including weekend days of a holiday period, which only label them),
    ``workdays`` the make-up working days. Returns how many open deadlines changed.
    """
    holidays, workdays = list(holidays), list(workdays)
    for day, _name in holidays + workdays:
        if day.year != year:
            raise ValueError(f"{day} is not in {year}")
    session.execute(
        delete(CalendarDay)
        .where(CalendarDay.day >= dt.date(year, 1, 1), CalendarDay.day <= dt.date(year, 12, 31))
        .execution_options(synchronize_session="fetch")
    )
    for day, name in holidays:
        session.add(CalendarDay(day=day, is_working_day=False, name=name, source=source))
    for day, name in workdays:
        session.add(CalendarDay(day=day, is_working_day=True, name=name, source=source))
    entry = session.get(CalendarYear, year)
    if entry is None:
        session.add(CalendarYear(year=year, source=source, note=note, complete=True))
    else:
        entry.source, entry.note, entry.complete = source, note, True
    session.flush()
    return recompute_deadlines(session, since=dt.date(year, 1, 1))


def seed_from_package(session: Session) -> list[int]:
    """Load every year the ``chinese-calendar`` package knows that the table does not have yet."""
    from chinese_calendar import constants

    known = set(session.execute(select(CalendarYear.year)).scalars())
    years = sorted({d.year for d in constants.holidays} - known)
    for year in years:
        enter_year(
            session,
            year,
            holidays=[
                (d, HOLIDAY_NAMES_ZH.get(n, n))
                for d, n in constants.holidays.items()
                if d.year == year
            ],
            workdays=[
                (d, HOLIDAY_NAMES_ZH.get(n, n) + "调休")
                for d, n in constants.workdays.items()
                if d.year == year
            ],
            source=PACKAGE_SOURCE,
        )
    return years


# -- a year at a time: the State Council's notice as date ranges (issue #18) --------------------
#
# The administrator enters a new year as the notice reads (「1月1日至3日放假」,
# 「2月14日（星期六）上班」), previews the days it makes, saves them, and marks the year complete.
# Until then the year counts as unknown (``CalendarYear.complete``): deadlines reaching it stay
# provisional, and completing it recomputes them.

HOLIDAY, MAKE_UP_DAY = "holiday", "working_day"

_NOTICE_DATE = re.compile(
    r"(?:(?P<iso>(?P<iy>\d{4})-(?P<im>\d{1,2})-(?P<id>\d{1,2}))"
    r"|(?:(?P<y>\d{4})年)?(?:(?P<m>\d{1,2})月)?(?P<d>\d{1,2})日)"
    r"(?:\s*[（(][^）)]*[）)])?"
)
_RANGE_JOINER = re.compile(r"^\s*(?:至|到|~|～|-|—|－)\s*$")
_CLAUSE_SPLIT = re.compile(r"[。；;，,\n]")


@dataclass(frozen=True)
class DayRange:
    """Consecutive days of one kind: days off (``HOLIDAY``, weekend days included, which only
    labels them) or make-up working days (``MAKE_UP_DAY``)."""

    start: dt.date
    end: dt.date
    kind: str
    name: str = ""

    def days(self) -> list[dt.date]:
        return [self.start + dt.timedelta(days=n) for n in range((self.end - self.start).days + 1)]


def parse_notice(year: int, text: str) -> list[DayRange]:
    """The ranges of a notice's text, one clause at a time: a clause with 「放假」 or 「休」 gives
    days off, one with 「上班」 make-up working days; 「元旦：」 before a colon names what
    follows on its line. Dates are 「M月D日」 (the month carries on: 「1月1日至3日」), with an
    optional year and weekday in brackets, or ISO ``2027-01-01``. Raises ValidationError with
    every clause it cannot read."""
    from flask_babel import gettext

    from app.core.errors import ValidationError

    ranges: list[DayRange] = []
    problems: list[str] = []
    for line in text.splitlines():
        name = ""
        head, colon, rest = line.replace(":", "：").partition("：")
        if colon and not _NOTICE_DATE.search(head):
            name, line = re.sub(r"^[\s一二三四五六七八九十\d]+[、.．]\s*", "", head).strip(), rest
        for clause in _CLAUSE_SPLIT.split(line):
            if not _NOTICE_DATE.search(clause):
                continue
            kind = (
                MAKE_UP_DAY
                if "上班" in clause
                else HOLIDAY
                if ("放假" in clause or "休" in clause)
                else None
            )
            try:
                found = _clause_ranges(year, clause, kind, name)
            except ValueError:
                found = None
            if kind is None or found is None:
                problems.append(
                    gettext(
                        "Cannot read “%(clause)s”: give dates of %(year)d and say 放假 or 上班.",
                        clause=clause.strip(),
                        year=year,
                    )
                )
            else:
                ranges.extend(found)
    if problems:
        message = " ".join(problems)
        raise ValidationError(errors={"text": message}, message=message)
    if not ranges:
        message = gettext("The text names no day.")
        raise ValidationError(errors={"text": message}, message=message)
    return ranges


def _clause_ranges(year: int, clause: str, kind: str | None, name: str) -> list[DayRange] | None:
    """The ranges of one clause (None when a date is not of ``year`` or a range runs back)."""
    ranges: list[DayRange] = []
    month, previous_end, pending = None, 0, None
    for match in _NOTICE_DATE.finditer(clause):
        if match["iso"]:
            given_year, month, day = int(match["iy"]), int(match["im"]), int(match["id"])
        else:
            given_year = int(match["y"]) if match["y"] else year
            month = int(match["m"]) if match["m"] else month
            day = int(match["d"])
        if month is None or given_year != year:
            return None
        date = dt.date(year, month, day)
        joined = _RANGE_JOINER.match(clause[previous_end : match.start()])
        if pending is not None and joined:
            if date < pending:
                return None
            ranges[-1] = DayRange(pending, date, kind or HOLIDAY, name)
            pending = None
        else:
            ranges.append(DayRange(date, date, kind or HOLIDAY, name))
            pending = date
        previous_end = match.end()
    return ranges


def notice_days(ranges: Iterable[DayRange]) -> list[tuple[dt.date, bool, str]]:
    """Every day the ranges name, in order, as ``(day, is_working_day, name)``; a day named both
    off and worked is refused (ValidationError)."""
    from flask_babel import gettext

    from app.core.errors import ValidationError

    days: dict[dt.date, tuple[bool, str]] = {}
    conflicts = []
    for entry in ranges:
        working = entry.kind == MAKE_UP_DAY
        name = entry.name + ("调休" if working and entry.name else "")
        for day in entry.days():
            if day in days and days[day][0] != working:
                conflicts.append(day.isoformat())
            days[day] = (working, name)
    if conflicts:
        message = gettext(
            "These days are given both as days off and as working days: %(days)s.",
            days=", ".join(conflicts),
        )
        raise ValidationError(errors={"text": message}, message=message)
    return [(day, working, name) for day, (working, name) in sorted(days.items())]


def save_year_days(
    session: Session, year: int, ranges: Iterable[DayRange], *, source: str = "notice"
) -> int:
    """Save a year's days from its notice, replacing the days stored for it. A complete year
    stays complete and its deadlines are recomputed (as :func:`enter_year`); a new or
    incomplete one is saved incomplete, changing no deadline until :func:`complete_year`.
    Returns how many open deadlines changed."""
    days = notice_days(ranges)
    entry = session.get(CalendarYear, year)
    holidays = [(day, name) for day, working, name in days if not working]
    workdays = [(day, name) for day, working, name in days if working]
    if entry is not None and entry.complete:
        return enter_year(
            session, year, holidays=holidays, workdays=workdays, source=source, note=entry.note
        )
    session.execute(
        delete(CalendarDay)
        .where(CalendarDay.day >= dt.date(year, 1, 1), CalendarDay.day <= dt.date(year, 12, 31))
        .execution_options(synchronize_session="fetch")
    )
    for day, working, name in days:
        session.add(CalendarDay(day=day, is_working_day=working, name=name, source=source))
    if entry is None:
        session.add(CalendarYear(year=year, source=source, complete=False))
    else:
        entry.source = source
    session.flush()
    return 0


def complete_year(session: Session, year: int) -> int:
    """Mark a year's schedule complete: the calendar knows it from now on, and every open
    deadline that reached it is recomputed and loses its provisional mark. Returns how many
    changed."""
    entry = session.get(CalendarYear, year)
    if entry is None:
        from flask_babel import gettext

        from app.core.errors import ValidationError

        raise ValidationError(
            message=gettext(
                "The calendar does not know %(year)d yet: enter the year first.", year=year
            )
        )
    entry.complete = True
    session.flush()
    return recompute_deadlines(session, since=dt.date(year, 1, 1))


NOTICE_FILE_MAX_BYTES = 64 * 1024


def notice_text_from_file(data: bytes) -> str:
    """The text of a notice uploaded as a plain-text file (UTF-8, with or without BOM, or
    GB18030/GBK as Chinese Windows saves it); anything else is refused (ValidationError)."""
    from flask_babel import gettext

    from app.core.errors import ValidationError

    if len(data) <= NOTICE_FILE_MAX_BYTES and b"\x00" not in data:
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError:
                continue
    message = gettext("Upload the notice as a plain-text file (UTF-8 or GBK) of at most 64 KB.")
    raise ValidationError(errors={"text": message}, message=message)
