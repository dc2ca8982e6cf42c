"""Supervision figures: findings and orders by unit within reach, overdue and on-time counts,
two charts and the Excel export."""

from __future__ import annotations

import datetime as dt
import io

from openpyxl import load_workbook

from app.core.actor import system_actor
from app.core.unit_of_work import unit_of_work
from app.extensions import db
from app.supervision import figures, services
from tests.supervision.factories import (
    actor,
    basic_entry,
    check_point,
    county_supervisor,
    findings,
    item,
    plan,
)


def _world(world, clock):
    """Two findings (秀英区, 海棠区); the 秀英区 one ordered on 2026-06-01 for 2 days and overdue
    on 2026-06-15; the 海棠区 one ordered, answered on time and accepted."""
    clock(dt.datetime(2026, 6, 1, 2, 0, tzinfo=dt.UTC))
    item(world, "xiuying_market", basic_entry(code="460105001001"), published=True)
    item(world, "haitang_market", basic_entry(code="460105001002"), published=True)
    row = plan(world, [check_point("elements_missing")])
    db.session.commit()
    system = system_actor()
    with unit_of_work(db.session, system):
        services.run_checks(db.session, row.id, actor=system)
        late, done = sorted(findings(row.id), key=lambda f: f.unit_id)
        services.issue_order(db.session, late.id, working_days=2, version=None, actor=system)
        order = services.issue_order(
            db.session, done.id, working_days=2, version=None, actor=system
        )
        services.answer_order(db.session, order.id, measures="已整改", version=None, actor=system)
        services.accept_order(db.session, order.id, version=None, actor=system)
    clock(dt.datetime(2026, 6, 15, 2, 0, tzinfo=dt.UTC))


def test_figures_by_unit_count_overdue_and_on_time(ctx, world, clock):
    _world(world, clock)
    rows, total = figures.compute(
        db.session,
        actor=actor("supervisor"),
        start=dt.date(2026, 1, 1),
        end=dt.date(2026, 12, 31),
        group_by="unit",
    )
    by_label = {f.label: f for f in rows}
    xiuying = by_label["海口市秀英区市场监督管理局"]
    haitang = by_label["三亚市海棠区市场监督管理局"]
    assert (xiuying.orders, xiuying.open, xiuying.overdue, xiuying.closed) == (1, 1, 1, 0)
    assert (haitang.closed, haitang.on_time, haitang.on_time_rate) == (1, 1, 1.0)
    assert (total.findings, total.standing, total.orders) == (2, 1, 2)
    assert rows[0] is xiuying  # the most overdue first


def test_a_county_supervisor_counts_only_the_county(ctx, world, clock):
    _world(world, clock)
    county_supervisor(world, "sup_haitang", "460202")
    rows, total = figures.compute(
        db.session,
        actor=actor("sup_haitang"),
        start=dt.date(2026, 1, 1),
        end=dt.date(2026, 12, 31),
        group_by="region",
    )
    assert [f.label for f in rows] == ["海棠区"] and total.orders == 1


def test_the_page_charts_and_export(app, world, clock, login):
    with app.app_context():
        _world(world, clock)
    client = login("supervisor")
    page = client.get("/supervisionfigures/show/?start=2026-01-01&end=2026-12-31")
    assert page.status_code == 200 and "海口市秀英区市场监督管理局" in page.get_data(as_text=True)
    for name in ("overdue", "points"):
        chart = client.get(f"/supervisionfigures/chart/{name}?start=2026-01-01&end=2026-12-31")
        assert chart.status_code == 200 and chart.data.startswith(b"\x89PNG")
    export = client.get("/supervisionfigures/export/?group_by=check_point&start=2026-01-01")
    assert export.status_code == 200
    sheet = load_workbook(io.BytesIO(export.data)).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[0][0] and values[-1][3] == 2
    export.close()
    operator = login("unit_operator2").get(
        "/supervisionfigures/show/?start=2026-01-01&end=2026-12-31"
    )
    text = operator.get_data(as_text=True)
    assert (
        "三亚市海棠区市场监督管理局" in text
        and "秀英区" not in text.split("supervision-figures")[1]
    )
