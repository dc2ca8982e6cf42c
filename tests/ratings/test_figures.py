"""The figures (好差评统计): rates as defined on the page, read from the summary table (never
every rating), within reach, charted with a CJK font and exported to Excel."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import event

from app.core.actor import system_actor
from app.extensions import db
from app.ratings import figures, services
from tests.ratings.factories import actor, rated_item, rating

DAY = dt.datetime(2026, 3, 6, 10, 0)


def _v(ticket):
    db.session.flush()
    return ticket.version


@pytest.fixture
def story(app, world, clock):
    """5 ratings of 秀英区市场监管局 in March 2026: 3 good; a poor one rectified on time and
    called back satisfied; a poor one agreed invalid."""
    clock(dt.datetime(2026, 3, 9, 2, 0, tzinfo=dt.UTC))
    with app.app_context():
        item = rated_item(world)
        for level in ("5", "4", "3"):
            rating(item.id, level, rated_at=DAY)
        valid = rating(item.id, "2", rated_at=DAY).ticket
        invalid = rating(item.id, "1", rated_at=DAY, channel="mobile").ticket
        operator, coordinator = actor("unit_operator"), actor("county_coordinator")
        services.verify(db.session, valid.id, valid=True, version=_v(valid), actor=operator)
        services.rectify(
            db.session, valid.id, measures="增开窗口", version=_v(valid), actor=operator
        )
        services.call_back(
            db.session, valid.id, reached=True, satisfied=True, version=_v(valid), actor=operator
        )
        services.verify(
            db.session, invalid.id, valid=False, invalid_reason="malicious", note="恶意",
            version=_v(invalid), actor=operator,
        )  # fmt: skip
        services.decide_invalid(
            db.session, invalid.id, agree=True, note="同意", version=_v(invalid),
            actor=coordinator,
        )  # fmt: skip
        db.session.commit()
        return item.id


MARCH = {"start": dt.date(2026, 3, 1), "end": dt.date(2026, 3, 31)}


def test_rates_follow_their_definitions_and_invalid_leaves_the_figures(app, story):
    with app.app_context():
        rows, total = figures.compute(db.session, actor=system_actor(), group_by="unit", **MARCH)
    assert len(rows) == 1
    assert (total.counted, total.good, total.poor_valid, total.invalid) == (4, 3, 1, 1)
    assert total.good_rate == 0.75 and total.poor_rate == 0.25
    assert total.rectify_rate == total.on_time_rate == total.call_back_rate == 1.0
    assert total.real_name_call_back_rate == 1.0 and total.satisfaction_rate == 1.0


def test_every_grouping_gives_the_same_total(app, story):
    with app.app_context():
        for group_by in figures.GROUPINGS:
            _rows, total = figures.compute(
                db.session, actor=system_actor(), group_by=group_by, **MARCH
            )
            assert (total.ratings, total.poor, total.rectified) == (5, 2, 1), group_by


def test_the_figures_read_the_summary_not_the_ratings(app, story):
    statements = []

    def remember(conn, cursor, statement, *args):
        statements.append(statement.lower())

    with app.app_context():
        engine = db.engine
        event.listen(engine, "before_cursor_execute", remember)
        try:
            for group_by in ("unit", "region", "channel", "month"):
                figures.compute(db.session, actor=system_actor(), group_by=group_by, **MARCH)
        finally:
            event.remove(engine, "before_cursor_execute", remember)
    assert statements and not any(" from rating " in s or " from rating\n" in s for s in statements)


def test_late_rectification_counts_against_on_time_and_open_overdue_per_unit(app, world, clock):
    with app.app_context():
        item = rated_item(world)
        ticket = rating(item.id, "2", rated_at=DAY).ticket  # due 2026-03-11
        clock(dt.datetime(2026, 3, 16, 2, 0, tzinfo=dt.UTC))
        open_late = rating(item.id, "2", rated_at=dt.datetime(2026, 3, 9, 9, 0)).ticket
        operator = actor("unit_operator")
        services.verify(db.session, ticket.id, valid=True, version=_v(ticket), actor=operator)
        services.rectify(db.session, ticket.id, measures="x", version=_v(ticket), actor=operator)
        db.session.flush()
        rows, total = figures.compute(db.session, actor=system_actor(), group_by="unit", **MARCH)
        assert total.rectified == 1 and total.rectified_on_time == 0
        assert rows[0].overdue == 1 and open_late.overdue


def test_another_reach_sees_none_of_it(app, story):
    with app.app_context():
        _rows, total = figures.compute(
            db.session, actor=actor("unit_operator2"), group_by="unit", **MARCH
        )
    assert total.ratings == 0


def test_the_page_shows_rates_definitions_and_charts_and_exports(app, story, login):
    client = login("county_coordinator")
    page = client.get("/ratingfigures/show/?group_by=unit&period=2026-03").get_data(as_text=True)
    assert "75.0%" in page and "rating-definitions" in page and "海口市秀英区市场监督管理局" in page
    for name in ("trend", "channels", "overdue"):
        chart = client.get(f"/ratingfigures/chart/{name}?period=2026-03")
        assert chart.status_code == 200 and chart.data[:4] == b"\x89PNG", name
    export = client.get("/ratingfigures/export/?group_by=channel&period=2026-03")
    assert export.status_code == 200
    data = export.data
    export.close()
    cells = [c for row in load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True)
             for c in row]  # fmt: skip
    assert "75.0%" in cells
    other = login("unit_operator2").get("/ratingfigures/show/?period=2026-03")
    assert "75.0%" not in other.get_data(as_text=True)


def test_charts_have_a_cjk_font():
    from app.core import charts

    assert "CJK" in charts.cjk_font() or charts.cjk_font() in charts.CJK_FAMILIES


@pytest.mark.parametrize(
    ("start", "end", "days", "months"),
    [
        ("2026-03-01", "2026-03-31", [], ("2026-03-01", "2026-03-01")),
        ("2026-01-01", "2026-12-31", [], ("2026-01-01", "2026-12-01")),
        ("2026-03-06", "2026-03-06", [("2026-03-06", "2026-03-06")], (None, None)),
        ("2026-02-15", "2026-03-10", [("2026-02-15", "2026-03-10")], (None, None)),
        (
            "2026-02-15",
            "2026-04-10",
            [("2026-02-15", "2026-02-28"), ("2026-04-01", "2026-04-10")],
            ("2026-03-01", "2026-03-01"),
        ),
        ("2025-12-02", "2026-02-28", [("2025-12-02", "2025-12-31")], ("2026-01-01", "2026-02-01")),
    ],
)
def test_a_period_reads_its_whole_months_from_the_month_rows_and_the_rest_from_the_days(
    start, end, days, months
):
    day = dt.date.fromisoformat
    split = figures.split_period(day(start), day(end))
    assert split == (
        [(day(low), day(high)) for low, high in days],
        tuple(day(m) if m else None for m in months),
    )


def test_any_period_adds_up_like_the_ratings_themselves(app, world, clock):
    """The summaries (days and months) give the same totals as counting the ratings (the
    per-item view), for whole months, partial months and both."""
    clock(dt.datetime(2026, 5, 9, 2, 0, tzinfo=dt.UTC))
    with app.app_context():
        item = rated_item(world)
        for moment, level in (
            (dt.datetime(2026, 2, 20, 10), "5"),
            (dt.datetime(2026, 2, 28, 16, 30, tzinfo=dt.UTC), "2"),  # 3月1日 in the province
            (dt.datetime(2026, 3, 6, 10), "1"),
            (dt.datetime(2026, 3, 31, 9), "4"),
            (dt.datetime(2026, 4, 3, 10), "2"),
        ):
            rating(item.id, level, rated_at=moment)
        db.session.commit()
        for start, end in (
            ("2026-01-01", "2026-12-31"),
            ("2026-02-15", "2026-04-10"),
            ("2026-03-01", "2026-03-31"),
            ("2026-03-06", "2026-04-03"),
            ("2026-02-21", "2026-02-28"),
        ):
            period = {"start": dt.date.fromisoformat(start), "end": dt.date.fromisoformat(end)}
            counted = figures.compute(db.session, actor=system_actor(), group_by="item", **period)[
                1
            ]
            for group_by in ("unit", "region", "channel", "month", "quarter"):
                total = figures.compute(
                    db.session, actor=system_actor(), group_by=group_by, **period
                )[1]
                assert (total.ratings, total.poor) == (counted.ratings, counted.poor), (
                    start,
                    end,
                    group_by,
                )
        year = figures.compute(
            db.session, actor=system_actor(), group_by="month", start=dt.date(2026, 1, 1),
            end=dt.date(2026, 12, 31),
        )[0]  # fmt: skip
        assert [(f.label, f.ratings) for f in year] == [
            ("2026-02", 1), ("2026-03", 3), ("2026-04", 1)
        ]  # fmt: skip
