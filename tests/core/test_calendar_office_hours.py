"""Working minutes and natural hours (seed 003 免证办: verify in 30 minutes or 24 hours, return
in 15 minutes): office hours of working days, lunch, weekends, holidays, unknown years."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.core import calendar
from app.core.calendar import OfficeHours, WorkingCalendar
from app.extensions import db

HOURS = OfficeHours.parse("09:00-12:00,13:00-17:00")
CST = dt.timezone(dt.timedelta(hours=8))


def beijing(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=CST)


def local(result: calendar.WorkingInstant) -> dt.datetime:
    return calendar.to_local(result.at).replace(tzinfo=None)


@pytest.fixture
def working(ctx):
    return WorkingCalendar.load(db.session)


@pytest.mark.parametrize(
    ("start", "minutes", "expected"),
    [
        # Inside office hours (Monday 2 March 2026).
        (beijing(2026, 3, 2, 10, 0), 30, dt.datetime(2026, 3, 2, 10, 30)),
        # Ending exactly at closing time stays that day.
        (beijing(2026, 3, 2, 16, 30), 30, dt.datetime(2026, 3, 2, 17, 0)),
        # Across lunch: 10 minutes before noon, 20 after 13:00.
        (beijing(2026, 3, 2, 11, 50), 30, dt.datetime(2026, 3, 2, 13, 20)),
        # Sent during lunch: counts from 13:00.
        (beijing(2026, 3, 2, 12, 30), 15, dt.datetime(2026, 3, 2, 13, 15)),
        # Sent after hours: counts from the next morning.
        (beijing(2026, 3, 2, 18, 0), 30, dt.datetime(2026, 3, 3, 9, 30)),
        # Across a weekend: Friday 16:50 → Monday 09:20.
        (beijing(2026, 3, 6, 16, 50), 30, dt.datetime(2026, 3, 9, 9, 20)),
        # A return (15 minutes) at Friday 16:50 → Monday 09:05.
        (beijing(2026, 3, 6, 16, 50), 15, dt.datetime(2026, 3, 9, 9, 5)),
        # Across Labour Day 2026 (1–5 May off): Thursday 30 April 16:50 → Wednesday 6 May.
        (beijing(2026, 4, 30, 16, 50), 30, dt.datetime(2026, 5, 6, 9, 20)),
        # Into a make-up working day (Saturday 10 October 2026 is worked).
        (beijing(2026, 10, 9, 16, 50), 30, dt.datetime(2026, 10, 10, 9, 20)),
        # 24 office hours are three office days (7 hours each) and three more hours.
        (beijing(2026, 3, 2, 9, 0), 24 * 60, dt.datetime(2026, 3, 5, 12, 0)),
    ],
)
def test_working_minutes_count_office_hours_of_working_days(working, start, minutes, expected):
    result = calendar.add_office_minutes(working, start, minutes, HOURS)
    assert local(result) == expected
    assert result.provisional is False


def test_working_minutes_are_stored_as_utc(working):
    result = calendar.add_office_minutes(working, beijing(2026, 3, 2, 10, 0), 30, HOURS)
    assert result.at == dt.datetime(2026, 3, 2, 2, 30)
    # A stored (naive UTC) start is the same instant.
    again = calendar.add_office_minutes(working, dt.datetime(2026, 3, 2, 2, 0), 30, HOURS)
    assert again == result


def test_working_minutes_into_an_unknown_year_are_provisional_on_weekdays(working):
    # Thursday 31 December 2026 16:50: the calendar does not know 2027, so New Year's Day
    # (a Friday) counts as a working day until the administrator enters 2027.
    result = calendar.add_office_minutes(working, beijing(2026, 12, 31, 16, 50), 30, HOURS)
    assert local(result) == dt.datetime(2027, 1, 1, 9, 20)
    assert result.provisional is True
    inside = calendar.add_office_minutes(working, beijing(2026, 12, 31, 10, 0), 30, HOURS)
    assert inside.provisional is False


@pytest.mark.parametrize(
    ("start", "hours", "expected"),
    [
        # Ends inside office hours: exactly 24 natural hours.
        (beijing(2026, 3, 2, 10, 0), 24, dt.datetime(2026, 3, 3, 10, 0)),
        # Ends in the lunch break: at 13:00.
        (beijing(2026, 3, 2, 12, 30), 24, dt.datetime(2026, 3, 3, 13, 0)),
        # Ends on a Saturday: at Monday's opening.
        (beijing(2026, 3, 6, 10, 0), 24, dt.datetime(2026, 3, 9, 9, 0)),
        # Ends at night: the next morning.
        (beijing(2026, 3, 2, 20, 0), 2, dt.datetime(2026, 3, 3, 9, 0)),
        # Ends in the National Day holiday: at the first working day after it.
        (beijing(2026, 9, 30, 10, 0), 48, dt.datetime(2026, 10, 8, 9, 0)),
    ],
)
def test_natural_hours_end_at_the_next_office_time_when_outside(working, start, hours, expected):
    result = calendar.add_natural_hours(working, start, hours, HOURS)
    assert local(result) == expected
    assert result.provisional is False


def test_natural_hours_into_an_unknown_year_are_provisional(working):
    result = calendar.add_natural_hours(working, beijing(2026, 12, 31, 10, 0), 24, HOURS)
    assert local(result) == dt.datetime(2027, 1, 1, 10, 0)
    assert result.provisional is True


def test_summer_office_hours_apply_between_their_dates():
    hours = OfficeHours.parse("09:00-12:00,13:00-17:00", "08:30-12:00,14:30-17:30", "05-01..09-30")
    assert hours.on(dt.date(2026, 7, 1))[1] == (dt.time(14, 30), dt.time(17, 30))
    assert hours.on(dt.date(2026, 9, 30))[0][0] == dt.time(8, 30)
    assert hours.on(dt.date(2026, 10, 1))[0][0] == dt.time(9, 0)
    working = WorkingCalendar([2026], {})
    result = calendar.add_office_minutes(working, beijing(2026, 7, 1, 11, 50), 30, hours)
    assert local(result) == dt.datetime(2026, 7, 1, 14, 50)


@pytest.mark.parametrize(
    ("text", "summer", "dates"),
    [
        ("", "", ""),
        ("12:00-09:00", "", ""),
        ("09:00-12:00,11:00-17:00", "", ""),
        ("9h-12h", "", ""),
        ("09:00-12:00", "08:00-12:00", ""),
        ("09:00-12:00", "08:00-12:00", "02-30..03-01"),
    ],
)
def test_bad_office_hours_settings_are_refused(text, summer, dates):
    with pytest.raises(ValueError):
        OfficeHours.parse(text, summer, dates)


def test_office_hours_setting_is_read_from_the_config(app, monkeypatch):
    monkeypatch.setitem(app.config, "OFFICE_HOURS", "08:00-11:30,14:00-18:00")
    with app.app_context():
        result = calendar.add_working_minutes(beijing(2026, 3, 2, 11, 20), 30)
    assert local(result) == dt.datetime(2026, 3, 2, 14, 20)


def test_office_minutes_between_counts_time_left_and_lateness(working):
    start, due = beijing(2026, 3, 6, 16, 50), beijing(2026, 3, 9, 9, 20)
    assert calendar.office_minutes_between(working, start, due, HOURS) == 30
    assert calendar.office_minutes_between(working, due, start, HOURS) == -30
    assert calendar.office_minutes_between(working, start, start, HOURS) == 0


def test_timed_deadline_is_due_at_its_instant_and_labelled_in_province_time(ctx, clock):
    deadline = calendar.schedule_timed_deadline(
        db.session, beijing(2026, 3, 6, 16, 50), "verify", minutes=30
    )
    db.session.flush()
    assert deadline.due_at == dt.datetime(2026, 3, 9, 1, 20)
    assert deadline.due_date == dt.date(2026, 3, 9)
    assert deadline.working_days == 0
    clock(beijing(2026, 3, 9, 9, 19))
    assert deadline.is_overdue() is False
    assert calendar.deadline_label(deadline) == "2026-03-09 09:20"
    assert calendar.time_left(deadline) == 1
    clock(beijing(2026, 3, 9, 9, 21))
    assert deadline.is_overdue() is True
    assert calendar.deadline_label(deadline).startswith("2026-03-09 09:20 ")
    assert calendar.time_left(deadline) == -1
    calendar.close_deadline(deadline, at=dt.datetime(2026, 3, 9, 1, 19))
    assert deadline.is_overdue() is False


def test_timed_deadline_needs_minutes_or_hours_but_not_both(ctx):
    with pytest.raises(ValueError):
        calendar.schedule_timed_deadline(db.session, beijing(2026, 3, 2, 10, 0), "x")
    with pytest.raises(ValueError):
        calendar.schedule_timed_deadline(
            db.session, beijing(2026, 3, 2, 10, 0), "x", minutes=30, hours=24
        )


def test_entering_the_unknown_year_recomputes_provisional_timed_deadlines(ctx):
    deadline = calendar.schedule_timed_deadline(
        db.session, beijing(2026, 12, 31, 16, 50), "verify", minutes=30
    )
    db.session.flush()
    assert deadline.provisional is True
    calendar.enter_year(db.session, 2027, holidays=[(dt.date(2027, 1, 1), "元旦")])
    db.session.flush()
    db.session.refresh(deadline)
    assert deadline.provisional is False
    assert calendar.format_datetime(deadline.due_at) == "2027-01-04 09:20"
    db.session.rollback()


def test_day_deadlines_keep_working_beside_timed_ones(ctx):
    deadline = calendar.schedule_deadline(db.session, dt.date(2026, 9, 30), 1, "x")
    db.session.flush()
    assert deadline.due_at is None
    assert calendar.deadline_label(deadline, dt.date(2026, 9, 30)) == "2026-10-08"
    db.session.rollback()


# -- properties over generated instants ---------------------------------------------------------

_KNOWN = WorkingCalendar([2026], {dt.date(2026, 5, 1): False, dt.date(2026, 10, 10): True})
starts = st.datetimes(min_value=dt.datetime(2026, 1, 1), max_value=dt.datetime(2026, 12, 20))


def _in_office(moment: dt.datetime) -> bool:
    day_periods = HOURS.on(moment.date()) if _KNOWN.is_working_day(moment.date()) else ()
    return any(
        dt.datetime.combine(moment.date(), a) < moment <= dt.datetime.combine(moment.date(), b)
        for a, b in day_periods
    )


@settings(max_examples=200, deadline=None)
@given(start=starts, minutes=st.integers(min_value=1, max_value=48 * 60))
def test_property_working_minutes_end_in_office_time_and_count_back(start, minutes):
    aware = start.replace(tzinfo=CST)
    result = calendar.add_office_minutes(_KNOWN, aware, minutes, HOURS)
    assert _in_office(local(result))
    assert calendar.office_minutes_between(_KNOWN, aware, result.at, HOURS) == minutes


@settings(max_examples=200, deadline=None)
@given(start=starts, hours=st.integers(min_value=1, max_value=48))
def test_property_natural_hours_never_end_before_the_hours_or_outside_office(start, hours):
    aware = start.replace(tzinfo=CST)
    result = calendar.add_natural_hours(_KNOWN, aware, hours, HOURS)
    end = local(result)
    assert end >= start + dt.timedelta(hours=hours)
    assert _in_office(end) or end.time() in {a for a, _b in HOURS.periods}
