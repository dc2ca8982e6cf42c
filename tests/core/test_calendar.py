"""Working days: holidays, make-up days (调休), provisional years, and the administrator's edits."""

from __future__ import annotations

import datetime as dt
import io

import pytest

from app.core import calendar
from app.core.models import CalendarDay, CalendarYear, Deadline
from app.extensions import db

D = dt.date


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        # 2025 Spring Festival: 28 Jan – 4 Feb off, Sunday 26 Jan and Saturday 8 Feb worked.
        (D(2025, 1, 24), 1, D(2025, 1, 26)),
        (D(2025, 1, 27), 1, D(2025, 2, 5)),
        (D(2025, 2, 7), 1, D(2025, 2, 8)),
        # 2025 National Day and Mid-autumn: 1–8 Oct off, Sunday 28 Sep and Saturday 11 Oct worked.
        (D(2025, 9, 26), 1, D(2025, 9, 28)),
        (D(2025, 9, 30), 3, D(2025, 10, 11)),
        # 2026 Spring Festival: 15–23 Feb off, Saturdays 14 Feb and 28 Feb worked.
        (D(2026, 2, 13), 1, D(2026, 2, 14)),
        (D(2026, 2, 14), 1, D(2026, 2, 24)),
        (D(2026, 2, 27), 1, D(2026, 2, 28)),
        # 2026 National Day: 1–7 Oct off, Sunday 20 Sep and Saturday 10 Oct worked.
        (D(2026, 9, 30), 1, D(2026, 10, 8)),
        (D(2026, 10, 8), 2, D(2026, 10, 10)),
        (D(2026, 9, 18), 1, D(2026, 9, 20)),
    ],
)
def test_add_working_days_follows_official_schedule(ctx, start, n, expected):
    result = calendar.add_working_days(start, n)
    assert result.date == expected
    assert result.provisional is False


def test_is_working_day_knows_holidays_and_make_up_days(ctx):
    assert calendar.is_working_day(D(2026, 2, 14)) is True  # Saturday, make-up
    assert calendar.is_working_day(D(2026, 2, 16)) is False  # Monday, Spring Festival
    assert calendar.is_working_day(D(2026, 10, 10)) is True  # Saturday, make-up
    assert calendar.is_working_day(D(2026, 11, 21)) is False  # ordinary Saturday
    assert calendar.is_working_day(D(2026, 11, 23)) is True  # ordinary Monday


def test_working_days_between_counts_across_holidays(ctx):
    assert calendar.working_days_between(D(2026, 2, 13), D(2026, 2, 24)) == 2
    assert calendar.working_days_between(D(2026, 9, 30), D(2026, 10, 8)) == 1
    assert calendar.working_days_between(D(2026, 2, 24), D(2026, 2, 13)) == -2
    assert calendar.working_days_between(D(2026, 3, 2), D(2026, 3, 2)) == 0


def test_deadline_reaching_unknown_year_is_weekdays_only_and_provisional(ctx):
    result = calendar.add_working_days(D(2026, 12, 28), 5)
    # 29, 30, 31 Dec; then 2027 is unknown: Friday 1 Jan counts as a weekday, then Monday 4 Jan.
    assert result.date == D(2027, 1, 4)
    assert result.provisional is True


def test_entering_a_new_year_recomputes_provisional_deadlines(ctx):
    deadline = calendar.schedule_deadline(db.session, D(2026, 12, 28), 5, "test")
    db.session.commit()
    assert deadline.provisional is True
    assert calendar.missing_years(db.session, D(2026, 12, 20)) == [2027]

    changed = calendar.enter_year(
        db.session,
        2027,
        holidays=[(D(2027, 1, 1), "元旦")],
        workdays=[],
    )
    db.session.commit()

    assert changed == 1
    refreshed = db.session.get(Deadline, deadline.id)
    assert refreshed.due_date == D(2027, 1, 5)  # 1 Jan is now a holiday
    assert refreshed.provisional is False
    assert calendar.missing_years(db.session, D(2026, 12, 20)) == []


def test_a_new_holiday_moves_open_deadlines_but_not_completed_ones(ctx):
    open_deadline = calendar.schedule_deadline(db.session, D(2026, 3, 2), 3, "open")
    done = calendar.schedule_deadline(db.session, D(2026, 3, 2), 3, "done")
    done.completed_at = dt.datetime(2026, 3, 3, 10, 0)
    db.session.commit()
    assert open_deadline.due_date == D(2026, 3, 5)

    db.session.add(CalendarDay(day=D(2026, 3, 4), is_working_day=False, name="临时休假"))
    db.session.flush()
    calendar.recompute_deadlines(db.session, since=D(2026, 3, 4))
    db.session.commit()

    assert db.session.get(Deadline, open_deadline.id).due_date == D(2026, 3, 6)
    assert db.session.get(Deadline, done.id).due_date == D(2026, 3, 5)


def test_calendar_is_seeded_from_chinese_calendar_package(ctx):
    years = set(db.session.query(CalendarYear.year).all())
    assert (2004,) in years and (2026,) in years and (2027,) not in years


def test_province_admin_is_alerted_about_missing_year(world, login, app):
    with app.app_context():
        calendar.schedule_deadline(db.session, D(2026, 12, 28), 5, "test")
        db.session.commit()
    page = login("province_admin").get("/").get_data(as_text=True)
    assert 'id="calendar-alert"' in page
    assert "2027" in page
    coordinator_page = login("county_coordinator").get("/").get_data(as_text=True)
    assert 'id="calendar-alert"' not in coordinator_page


def test_province_admin_adds_a_holiday_through_the_ui_and_deadlines_move(world, login, app):
    with app.app_context():
        deadline = calendar.schedule_deadline(db.session, D(2026, 3, 2), 3, "test")
        db.session.commit()
        deadline_id = deadline.id
    client = login("province_admin")
    response = client.post(
        "/calendardayview/add",
        data={
            "day": "2026-03-04",
            "name": "台风停工",
            "is_working_day": "",
        },
    )
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(CalendarDay, D(2026, 3, 4)).is_working_day is False
        assert db.session.get(Deadline, deadline_id).due_date == D(2026, 3, 6)


def test_holiday_in_unknown_year_is_refused_until_the_year_is_entered(world, login, app):
    client = login("province_admin")
    page = client.post(
        "/calendardayview/add", data={"day": "2027-01-01", "name": "元旦"}, follow_redirects=True
    ).get_data(as_text=True)
    assert "日历中尚无 2027 年的安排" in page
    with app.app_context():
        assert db.session.get(CalendarDay, D(2027, 1, 1)) is None


def test_county_coordinator_cannot_edit_the_calendar(world, login, app):
    client = login("county_coordinator")
    client.post("/calendardayview/add", data={"day": "2026-03-04", "name": "x"})
    with app.app_context():
        assert db.session.get(CalendarDay, D(2026, 3, 4)) is None
    assert client.get("/calendardayview/list/").status_code == 200  # reading is allowed


def test_working_day_api_answers_integrators(world, api_token, app):
    client = app.test_client()
    headers = api_token("county_coordinator")
    answer = client.get(
        "/api/v1/working_days/?start=2026-09-30&n=1&end=2026-10-08", headers=headers
    )
    assert answer.status_code == 200
    assert answer.json["result"] == {
        "start": "2026-09-30",
        "is_working_day": True,
        "n": 1,
        "date": "2026-10-08",
        "provisional": False,
        "end": "2026-10-08",
        "working_days_between": 1,
    }
    late = client.get("/api/v1/working_days/?start=2026-12-28&n=5", headers=headers).json
    assert late["result"]["provisional"] is True
    assert client.get("/api/v1/working_days/?start=bad", headers=headers).status_code == 400
    assert client.get("/api/v1/working_days/?start=2026-09-30&n=1").status_code == 401


# -- the clock: the province's today, stored instants in UTC, shown in the province's zone -------

# Monday 9 March 2026, 07:30 in Beijing: still Sunday 8 March in UTC (a working Monday and Tuesday).
MONDAY_MORNING = dt.datetime(2026, 3, 8, 23, 30, 5, 123456, tzinfo=dt.UTC)


def test_today_is_the_province_date_while_utc_is_still_on_the_day_before(ctx, clock):
    from app.core.models import utcnow

    clock(MONDAY_MORNING)
    assert calendar.today() == D(2026, 3, 9)
    assert calendar.now() == MONDAY_MORNING
    local = calendar.local_now()
    assert (local.date(), local.hour, local.minute) == (D(2026, 3, 9), 7, 30)
    assert local.utcoffset() == dt.timedelta(hours=8)
    assert utcnow() == dt.datetime(2026, 3, 8, 23, 30, 5, 123456)  # stored: naive UTC


def test_province_timezone_setting_decides_the_date(app, clock, monkeypatch):
    clock(dt.datetime(2026, 3, 8, 17, 30, tzinfo=dt.UTC))
    with app.app_context():
        assert calendar.today() == D(2026, 3, 9)  # 01:30 in Beijing
        monkeypatch.setitem(app.config, "PROVINCE_TIMEZONE", "Asia/Urumqi")
        assert calendar.today() == D(2026, 3, 8)  # 23:30 at UTC+6


def test_completion_late_in_the_utc_evening_is_judged_on_the_beijing_date(ctx):
    deadline = Deadline(
        purpose="t", start_date=D(2026, 3, 6), working_days=1, due_date=D(2026, 3, 9)
    )
    deadline.completed_at = dt.datetime(2026, 3, 9, 15, 59)  # Monday 23:59 in Beijing
    assert deadline.is_overdue() is False
    deadline.completed_at = dt.datetime(2026, 3, 9, 23, 30)  # Tuesday 07:30 in Beijing
    assert deadline.is_overdue() is True


def test_open_deadline_is_overdue_from_the_next_province_day(ctx, clock):
    deadline = Deadline(
        purpose="t", start_date=D(2026, 3, 6), working_days=1, due_date=D(2026, 3, 9)
    )
    clock(dt.datetime(2026, 3, 9, 15, 30, tzinfo=dt.UTC))  # Monday 23:30 in Beijing
    assert deadline.is_overdue() is False
    clock(dt.datetime(2026, 3, 9, 16, 0, tzinfo=dt.UTC))  # Tuesday 00:00 in Beijing
    assert deadline.is_overdue() is True


def test_times_are_shown_in_the_province_zone_without_microseconds():
    stored = dt.datetime(2026, 3, 8, 23, 30, 5, 123456)  # naive UTC, as the database keeps it
    assert calendar.format_datetime(stored) == "2026-03-09 07:30"
    assert calendar.format_datetime(stored, seconds=True) == "2026-03-09 07:30:05"
    assert calendar.format_datetime(stored.replace(tzinfo=dt.UTC)) == "2026-03-09 07:30"
    assert calendar.format_datetime(None) == ""
    assert calendar.format_datetime(D(2026, 3, 9)) == "2026-03-09"
    assert calendar.to_local(stored).isoformat() == "2026-03-09T07:30:05.123456+08:00"
    assert calendar.to_utc(dt.datetime(2026, 3, 9, 7, 30)) == dt.datetime(2026, 3, 8, 23, 30)


def test_audit_log_list_and_export_show_province_time_without_utc(world, login, clock):
    from openpyxl import load_workbook

    clock(MONDAY_MORNING)
    client = login("audit_admin")  # its login is audited at the clock's instant
    query = "?_flt_0_actor_name=audit_admin&_flt_0_action=login"
    page = client.get("/auditlogview/list/" + query).get_data(as_text=True)
    assert "2026-03-09 07:30:05" in page
    # Not the UTC instant (the evening before); other rows may carry today's wall-clock time.
    assert "2026-03-08 23:30" not in page and "123456" not in page and "UTC" not in page
    with client.get("/auditlogview/export/" + query) as export:
        rows = list(load_workbook(io.BytesIO(export.data), read_only=True).active.values)
    assert rows[0][1] == "时间"
    assert rows[1][1] == "2026-03-09 07:30:05"  # the newest login first
    # The time filter takes the province's time too (_flt_1_ is "greater than").
    for since, found in (("07:30:04", True), ("07:30:06", False)):
        url = f"/auditlogview/export/{query}&_flt_1_occurred_at=2026-03-09 {since}"
        with client.get(url) as export:
            rows = list(load_workbook(io.BytesIO(export.data), read_only=True).active.values)
        assert ("2026-03-09 07:30:05" in [row[1] for row in rows[1:]]) is found


def test_lists_and_detail_pages_show_province_time(app, world, login, clock):
    from tests.catalogue import factories as f

    clock(MONDAY_MORNING)
    with app.app_context():
        entry_id = f.basic_entry().id
        db.session.commit()
    client = login("province_admin")
    page = client.get(f"/basiccatalogueview/show/{entry_id}").get_data(as_text=True)
    assert "2026-03-09 07:30" in page
    assert "2026-03-08" not in page and "123456" not in page


# -- a year at a time: the notice as ranges (issue #18) -----------------------------------------

NOTICE_2027 = """一、元旦：1月1日（周五）至3日（周日）放假，共3天。
二、春节：2月6日（农历腊月三十）至2月13日放假调休，共8天。2月14日（星期六）、2月20日（星期六）上班。
"""


def test_notice_ranges_are_read_as_the_state_council_writes_them(app):
    with app.test_request_context():
        ranges = calendar.parse_notice(2027, NOTICE_2027)
        days = calendar.notice_days(ranges)
    assert ranges[0] == calendar.DayRange(D(2027, 1, 1), D(2027, 1, 3), calendar.HOLIDAY, "元旦")
    assert ranges[1] == calendar.DayRange(D(2027, 2, 6), D(2027, 2, 13), calendar.HOLIDAY, "春节")
    assert [d for d, working, _n in days if working] == [D(2027, 2, 14), D(2027, 2, 20)]
    assert len([d for d, working, _n in days if not working]) == 3 + 8
    assert (D(2027, 2, 14), True, "春节调休") in days


@pytest.mark.parametrize(
    "text",
    [
        "3月5日加班",  # neither 放假 nor 上班
        "2026年12月31日放假",  # another year
        "2月30日放假",  # no such day
        "1月5日至3日放假",  # runs backwards
        "1月1日至3日放假\n1月2日上班",  # a day both off and worked
        "元旦放假",  # no day at all
    ],
)
def test_unreadable_notice_text_is_refused_with_a_message(app, text):
    from app.core.errors import ValidationError

    with app.test_request_context(), pytest.raises(ValidationError) as error:
        calendar.notice_days(calendar.parse_notice(2027, text))
    assert error.value.errors["text"]


def test_adding_the_year_row_alone_keeps_deadlines_reaching_it_provisional(world, login, app):
    with app.app_context():
        deadline = calendar.schedule_deadline(db.session, D(2026, 12, 28), 5, "test")
        db.session.commit()
        deadline_id = deadline.id
    client = login("province_admin")
    assert client.post("/calendaryearview/add", data={"year": "2027"}).status_code == 302
    with app.app_context():
        assert db.session.get(CalendarYear, 2027).complete is False
        assert db.session.get(Deadline, deadline_id).provisional is True
        assert calendar.missing_years(db.session, D(2026, 12, 20)) == [2027]


def test_year_entered_by_ranges_is_previewed_saved_and_completed(world, login, app):
    with app.app_context():
        deadline = calendar.schedule_deadline(db.session, D(2026, 12, 28), 5, "test")
        db.session.commit()
        deadline_id = deadline.id
        assert deadline.due_date == D(2027, 1, 4)  # weekdays only: 1 Jan counted
    client = login("province_admin")
    url = "/calendaryearview/notice/2027"
    page = client.post(url, data={"text": NOTICE_2027, "step": "preview"}).get_data(as_text=True)
    assert 'id="notice-days"' in page and "2027-02-14" in page and "春节调休" in page
    with app.app_context():
        assert db.session.get(CalendarYear, 2027) is None  # a preview stores nothing
    client.post(url, data={"text": NOTICE_2027, "step": "save"})
    with app.app_context():
        assert db.session.get(CalendarYear, 2027).complete is False
        assert db.session.get(CalendarDay, D(2027, 2, 14)).is_working_day is True
        assert db.session.query(CalendarDay).filter(CalendarDay.day >= D(2027, 1, 1)).count() == 13
        still = db.session.get(Deadline, deadline_id)
        assert (still.due_date, still.provisional) == (D(2027, 1, 4), True)
    client.post(url, data={"step": "complete"})  # not confirmed: nothing happens
    with app.app_context():
        assert db.session.get(CalendarYear, 2027).complete is False
    client.post(url, data={"step": "complete", "confirm": "yes"})
    with app.app_context():
        assert db.session.get(CalendarYear, 2027).complete is True
        done = db.session.get(Deadline, deadline_id)
        # 29, 30, 31 Dec; 1–3 Jan off; Monday 4 and Tuesday 5 Jan.
        assert (done.due_date, done.provisional) == (D(2027, 1, 5), False)
        assert calendar.missing_years(db.session, D(2026, 12, 20)) == []


def test_a_bad_notice_changes_nothing_and_keeps_the_text(world, login, app):
    client = login("province_admin")
    page = client.post(
        "/calendaryearview/notice/2027",
        data={"text": "1月1日至3日放假\n3月5日加班", "step": "save"},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "3月5日加班" in page and 'id="notice-text"' in page
    with app.app_context():
        assert db.session.get(CalendarYear, 2027) is None
        assert db.session.get(CalendarDay, D(2027, 1, 1)) is None


def test_saving_ranges_for_a_complete_year_recomputes_its_deadlines(ctx):
    deadline = calendar.schedule_deadline(db.session, D(2026, 3, 2), 3, "open")
    db.session.commit()
    assert deadline.due_date == D(2026, 3, 5)
    ranges = calendar.parse_notice(2026, "3月4日放假")
    assert calendar.save_year_days(db.session, 2026, ranges) == 1
    db.session.commit()
    assert db.session.get(Deadline, deadline.id).due_date == D(2026, 3, 6)
    assert db.session.get(CalendarYear, 2026).complete is True


@pytest.mark.parametrize("username", ["county_coordinator", "unit_operator", "supervisor"])
def test_only_the_province_admin_enters_a_year_by_ranges(world, login, app, username):
    client = login(username)
    url = "/calendaryearview/notice/2027"
    client.post(url, data={"text": NOTICE_2027, "step": "save"})
    client.post(url, data={"step": "complete", "confirm": "yes"})
    assert client.get(url).status_code in (302, 403)
    with app.app_context():
        assert db.session.get(CalendarYear, 2027) is None
        assert db.session.get(CalendarDay, D(2027, 1, 1)) is None


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gbk"])
def test_notice_is_read_from_a_text_file_into_the_preview(world, login, app, encoding):
    client = login("province_admin")
    page = client.post(
        "/calendaryearview/notice/2027",
        data={
            "step": "preview",
            "text": "",
            "notice_file": (io.BytesIO(NOTICE_2027.encode(encoding)), "通知.txt"),
        },
        content_type="multipart/form-data",
    ).get_data(as_text=True)
    assert 'id="notice-days"' in page and "2027-02-14" in page
    assert "元旦：1月1日（周五）至3日（周日）放假" in page  # in the form, to be saved
    with app.app_context():
        assert db.session.get(CalendarYear, 2027) is None


@pytest.mark.parametrize("content", [b"PK\x03\x04\x00\x00binary", "放假".encode() * 40_000])
def test_a_notice_file_that_is_not_short_plain_text_is_refused(world, login, app, content):
    client = login("province_admin")
    page = client.post(
        "/calendaryearview/notice/2027",
        data={"step": "preview", "notice_file": (io.BytesIO(content), "通知.txt")},
        content_type="multipart/form-data",
    ).get_data(as_text=True)
    assert "64 KB" in page and 'id="notice-days"' not in page
