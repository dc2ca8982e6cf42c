"""The workbench registry (app.core.workbench): sources asked by role, to-dos most urgent first,
one query per tile whatever the number of rows, the calendar's to-do and alert."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event

from app.core import calendar, roles, workbench
from app.core.workbench import Bar, Figure, Todo
from app.extensions import db

D = dt.date


def _todo(key: str, count: int = 1, **values) -> Todo:
    return Todo(key, key, count, "/", **values)


def test_todos_sort_overdue_first_by_lateness_then_urgent_then_soonest_due_then_empty_last():
    todos = [
        _todo("empty", 0),
        _todo("later", 3, days_left=5),
        _todo("soon", 1, days_left=1),
        _todo("urgent", 1, urgent=1, days_left=3),
        _todo("late", 1, overdue=1, overdue_days=2),
        _todo("later-still-late", 9, overdue=4, overdue_days=7),
        _todo("plain", 7),
    ]
    order = [t.key for t in sorted(todos, key=lambda t: t.urgency)]
    assert order == ["later-still-late", "late", "urgent", "soon", "later", "plain", "empty"]


def test_a_source_is_asked_only_for_the_roles_it_was_registered_for(ctx, world):
    from tests.catalogue.factories import actor

    asked = []

    def source(desk):
        asked.append(desk.actor.username)
        return _todo("probe", 2)

    workbench.register_todo(source, for_roles={roles.SUPERVISOR})
    workbench.register_todo(source, for_roles={roles.SUPERVISOR})  # a second app: once
    # The domains' own sources (the supervisor's too) link with url_for: as on the page.
    request = ctx.test_request_context("/")
    request.push()
    try:
        assert [
            t.key
            for t in workbench.todos_for(workbench.desk(actor("supervisor"), db.session))
            if t.key == "probe"
        ] == ["probe"]
        assert not [
            t
            for t in workbench.todos_for(workbench.desk(actor("window_staff"), db.session))
            if t.key == "probe"
        ]
        assert asked == ["supervisor"]
    finally:
        request.pop()
        workbench.REGISTRY.todos[:] = [
            e for e in workbench.REGISTRY.todos if e.source is not source
        ]


def test_figure_bars_scale_to_the_largest_count_or_to_one_hundred_percent():
    counts = Figure("c", "c", bars=[Bar("a", 10), Bar("b", 5), Bar("z", 0)])
    assert [w for _b, w in counts.widths()] == [100, 50, 0]
    rates = Figure("r", "r", bars=[Bar("a", 0.25), Bar("b", 1.5)], scale="percent")
    assert [w for _b, w in rates.widths()] == [25, 100]


def _statements(app, fn) -> int:
    seen = []

    def count(*_args, **_kwargs):
        seen.append(1)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        fn()
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(seen)


def test_the_landing_page_asks_the_same_number_of_queries_for_one_row_or_many(app, world, login):
    """One query per tile: more adjustments waiting do not mean more queries."""
    from tests.catalogue.test_workbench import submitted

    client = login("province_admin")
    client.get("/")
    with app.app_context():
        submitted(world, "unit_operator", passed=True)
    one = _statements(app, lambda: client.get("/"))
    with app.app_context():
        for _ in range(6):
            submitted(world, "unit_operator", passed=True)
    many = _statements(app, lambda: client.get("/"))
    assert many == one
    page = client.get("/").get_data(as_text=True)
    assert re.search(r'id="todo-adjustment-final_review" data-count="7"', page)


@pytest.fixture
def december(clock):
    # 2026-12-03 in Haikou: 60 days ahead reaches 2027, which the seeded calendar does not know.
    clock(dt.datetime(2026, 12, 3, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")))


def test_the_missing_calendar_year_is_a_to_do_of_the_admin_not_an_alert_on_every_page(
    app, world, login, december
):
    page = login("province_admin").get("/").get_data(as_text=True)
    assert 'id="todo-calendar-years"' in page and "2027" in page
    assert 'id="calendar-alert"' not in page  # no deadline depends on 2027 yet
    coordinator = login("county_coordinator").get("/").get_data(as_text=True)
    assert 'id="todo-calendar-years"' not in coordinator


def test_the_calendar_alert_shows_once_a_deadline_is_provisional(app, world, login, december):
    with app.app_context():
        calendar.schedule_deadline(db.session, D(2026, 12, 28), 5, "test")
        db.session.commit()
    page = login("province_admin").get("/").get_data(as_text=True)
    assert 'id="calendar-alert"' in page
    tile = page.split('id="todo-calendar-years"', 1)[1].split("</a>", 1)[0]
    assert "todo-provisional" in tile


def test_nothing_waits_for_a_role_without_to_dos(world, login):
    page = login("window_staff").get("/").get_data(as_text=True)
    assert 'id="todos-empty"' in page and 'id="welcome"' in page
