"""The automatic checks: every rule finds its breach (a hit), leaves a correct record alone (a
miss), and a re-run neither duplicates a standing finding nor keeps one the data has fixed."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from app.catalogue.models import AdjustmentRequest
from app.core import calendar
from app.core.actor import system_actor
from app.core.models import Deadline
from app.core.unit_of_work import unit_of_work
from app.extensions import db
from app.supervision import services
from app.supervision.rules import RULES
from tests.licences.factories import make_entry, make_objection
from tests.ratings.factories import rating
from tests.supervision.factories import (
    actor,
    basic_entry,
    check_point,
    county_supervisor,
    findings,
    item,
    plan,
)
from tests.verification.factories import CST, MONDAY_10, ask, published_item, staff

NOW = dt.datetime(2026, 6, 15, 10, 0, tzinfo=dt.UTC)
COMPLETE = {"service_hours": "工作日 9:00-17:00", "consult_phone": "0898-66668888"}


@pytest.fixture
def today(clock):
    clock(NOW)
    return calendar.today()


def _run(plan_id):
    with unit_of_work(db.session, system_actor()):
        summary = services.run_checks(db.session, plan_id, actor=system_actor())
    return summary


_codes = itertools.count(1)


def _entry(**values):
    return basic_entry(code=f"4601059{next(_codes):05d}", **values)


def test_elements_missing_finds_a_published_item_without_its_phone_and_hours(ctx, world, today):
    bad = item(world, entry=_entry(name="甲"), published=True)
    good = item(world, entry=_entry(name="乙"), published=True, **COMPLETE)
    point = check_point("elements_missing")
    row = plan(world, [point])
    db.session.commit()
    summary = _run(row.id)
    found = findings(row.id)
    assert [f.object_id for f in found] == [bad.id]
    assert good.id not in {f.object_id for f in found}
    assert "办理时间" in found[0].detail and "咨询电话" in found[0].detail
    assert found[0].object_type == "ImplementationItem" and found[0].unit_id == bad.unit_id
    assert summary.opened == {"elements_missing": 1}
    db.session.expire_all()
    assert row.last_run_at is not None and "1" in row.last_run_summary


def test_a_rerun_adds_nothing_and_resolves_a_finding_the_data_fixed(ctx, world, today):
    bad = item(world, entry=_entry(name="甲"), published=True)
    point = check_point("elements_missing")
    row = plan(world, [point])
    db.session.commit()
    _run(row.id)
    again = _run(row.id)
    assert len(findings(row.id)) == 1 and again.opened == {"elements_missing": 0}
    bad.service_hours, bad.consult_phone = COMPLETE["service_hours"], COMPLETE["consult_phone"]
    db.session.commit()
    fixed = _run(row.id)
    (finding,) = findings(row.id)
    assert fixed.resolved == {"elements_missing": 1}
    assert finding.state == "resolved" and finding.resolved_on == today
    assert finding.resolution == f"数据已于{today.isoformat()}整改"


def test_promised_time_limit_above_the_legal_one_is_found(ctx, world, today):
    over = item(
        world, entry=_entry(name="甲", legal_time_limit_days=20), published=True, **COMPLETE
    )
    within = item(
        world, entry=_entry(name="乙", legal_time_limit_days=20), published=True, **COMPLETE
    )
    over.promised_time_limit_days = 25  # a legacy row the form would refuse today
    row = plan(world, [check_point("promised_over_legal")])
    db.session.commit()
    _run(row.id)
    (finding,) = findings(row.id)
    assert finding.object_id == over.id and "25" in finding.detail and "20" in finding.detail
    assert within.id != finding.object_id
    over.promised_time_limit_days = 15
    db.session.commit()
    _run(row.id)
    assert findings(row.id)[0].state == "resolved"


def test_an_item_published_without_legal_basis_is_found(ctx, world, today):
    entry = _entry(name="甲")
    bare = item(world, entry=entry, published=True, **COMPLETE)
    item(world, entry=_entry(name="乙"), published=True, **COMPLETE)
    entry.legal_basis = "  "
    row = plan(world, [check_point("no_legal_basis")])
    db.session.commit()
    _run(row.id)
    assert [f.object_id for f in findings(row.id)] == [bare.id]
    entry.legal_basis = "《某某条例》第十条"
    db.session.commit()
    _run(row.id)
    assert findings(row.id)[0].state == "resolved"


def _adjustment(row, due: dt.date, state="legality_review"):
    deadline = Deadline(
        purpose="adjustment.legality_review", start_date=due, working_days=1, due_date=due
    )
    adjustment = AdjustmentRequest(
        kind="change",
        state=state,
        item_id=row.id,
        region_id=row.region_id,
        unit_id=row.unit_id,
        ground="15.4",
        deadline=deadline,
    )
    db.session.add(adjustment)
    db.session.flush()
    return adjustment


def test_an_adjustment_past_its_review_deadline_is_found(ctx, world, today):
    row = item(world, entry=_entry(name="甲"), published=True, **COMPLETE)
    late = _adjustment(row, today - dt.timedelta(days=3))
    _adjustment(row, today + dt.timedelta(days=3))
    _adjustment(row, today - dt.timedelta(days=3), state="applied")
    plan_row = plan(world, [check_point("adjustment_overdue")])
    db.session.commit()
    _run(plan_row.id)
    assert [f.object_id for f in findings(plan_row.id)] == [late.id]
    late.deadline.completed_at = dt.datetime(2026, 6, 15, 1, 0)
    db.session.commit()
    _run(plan_row.id)
    assert findings(plan_row.id)[0].state == "resolved"


def test_a_poor_rating_ticket_past_its_deadline_is_found(ctx, world, today):
    row = item(world, entry=_entry(name="甲"), published=True, **COMPLETE)
    late = rating(row.id, "2", rated_at=dt.datetime(2026, 6, 1, 10, 0))
    rating(row.id, "2", rated_at=dt.datetime(2026, 6, 15, 9, 0))  # due in three working days
    rating(row.id, "5", rated_at=dt.datetime(2026, 6, 1, 10, 0))  # good: no ticket
    plan_row = plan(world, [check_point("poor_rating_overdue")])
    db.session.commit()
    _run(plan_row.id)
    assert [f.object_id for f in findings(plan_row.id)] == [late.ticket.id]
    late.ticket.deadline.completed_at = dt.datetime(2026, 6, 15, 1, 0)
    db.session.commit()
    _run(plan_row.id)
    assert findings(plan_row.id)[0].state == "resolved"


def test_a_licence_objection_past_its_deadline_is_found(ctx, world, today):
    entry_id = make_entry(world.unit("xiuying_market"))
    late = make_objection(entry_id, received_on=today - dt.timedelta(days=20))
    make_objection(entry_id, received_on=today)
    plan_row = plan(world, [check_point("licence_objection_overdue")])
    db.session.commit()
    _run(plan_row.id)
    assert [f.object_id for f in findings(plan_row.id)] == [late]


def test_a_suspended_item_past_its_planned_resume_date_is_found(ctx, world, today):
    late = item(world, entry=_entry(name="甲"), published=True, **COMPLETE)
    planned = item(world, entry=_entry(name="乙"), published=True, **COMPLETE)
    open_ended = item(world, entry=_entry(name="丙"), published=True, **COMPLETE)
    for row, resume_by in ((late, today - dt.timedelta(days=3)), (planned, today)):
        row.status, row.resume_by = "suspended", resume_by
    open_ended.status = "suspended"  # suspended with no planned resume date: nothing to miss
    plan_row = plan(world, [check_point("suspension_past_resume")])
    db.session.commit()
    _run(plan_row.id)
    (finding,) = findings(plan_row.id)
    assert finding.object_id == late.id and finding.object_type == "ImplementationItem"
    assert (today - dt.timedelta(days=3)).isoformat() in finding.detail
    assert finding.unit_id == late.unit_id and "甲" in finding.subject
    late.status, late.resume_by = "active", None  # resumed (a RESUME adjustment applied)
    db.session.commit()
    again = _run(plan_row.id)
    assert again.resolved == {"suspension_past_resume": 1}
    assert [f.state for f in findings(plan_row.id)] == ["resolved"]


@pytest.fixture
def verifiers(app, world, clock):
    staff(app, world)
    clock(MONDAY_10)
    return world


def test_a_verification_request_not_answered_by_its_deadline_is_found(verifiers, ctx, clock):
    world = verifiers
    approved = published_item(world)
    late = ask(world, approved.id)  # general, at a window: due at 10:30
    later = ask(world, approved.id, complexity="complex")  # due in 24 hours
    answered = ask(world, approved.id)
    answered.state = "verified"
    answered.verify_deadline.completed_at = dt.datetime(2026, 3, 2, 2, 20)
    plan_row = plan(world, [check_point("verification_overdue")])
    db.session.commit()
    clock(dt.datetime(2026, 3, 2, 10, 20, tzinfo=CST))
    assert _run(plan_row.id).opened == {"verification_overdue": 0}  # not due yet
    clock(dt.datetime(2026, 3, 2, 11, 0, tzinfo=CST))
    _run(plan_row.id)
    (finding,) = findings(plan_row.id)
    assert finding.object_id == late.id and finding.object_type == "VerificationRequest"
    assert finding.unit_id == world.unit("xiuying_edu") and "2026-03-02 10:30" in finding.detail
    assert later.id != finding.object_id
    late.state = "verified"  # answered, late: the open finding is closed by the data
    late.verify_deadline.completed_at = dt.datetime(2026, 3, 2, 3, 5)
    db.session.commit()
    again = _run(plan_row.id)
    assert again.resolved == {"verification_overdue": 1} and again.opened == {
        "verification_overdue": 0
    }
    assert [f.state for f in findings(plan_row.id)] == ["resolved"]


def test_a_county_supervisors_verification_check_sees_only_the_countys_issuers(
    verifiers, ctx, clock
):
    world = verifiers
    approved = published_item(world)
    ask(world, approved.id)  # issued by 秀英区教育局 (460105)
    theirs = ask(world, approved.id, issuer_unit_id=world.unit("haitang_market"))
    county_supervisor(world, "sup_haitang", "460202")
    haitang = actor("sup_haitang")
    plan_row = plan(world, [check_point("verification_overdue")], regions=("460202",), by=haitang)
    db.session.commit()
    clock(dt.datetime(2026, 3, 2, 11, 0, tzinfo=CST))
    with unit_of_work(db.session, haitang):
        services.run_checks(db.session, plan_row.id, actor=haitang)
    assert [f.object_id for f in findings(plan_row.id)] == [theirs.id]


def test_the_run_keeps_to_the_plans_scope(ctx, world, today):
    inside = item(world, "xiuying_market", _entry(name="甲"), published=True)
    item(world, "haitang_market", _entry(name="乙"), published=True)
    row = plan(world, [check_point("elements_missing")], regions=("460105",))
    unit_plan = plan(
        world, [check_point("elements_missing")], regions=(), units=("haitang_market",)
    )
    db.session.commit()
    _run(row.id)
    _run(unit_plan.id)
    assert [f.object_id for f in findings(row.id)] == [inside.id]
    assert [f.unit_id for f in findings(unit_plan.id)] == [world.unit("haitang_market")]


def test_a_run_uses_one_query_per_rule_not_one_per_item(ctx, world, today):
    from sqlalchemy import event

    for n in range(30):
        item(world, entry=_entry(name=f"事项{n}"), published=True)
    row = plan(world, [check_point(key) for key in RULES])
    db.session.commit()
    statements = []
    engine = db.engine

    def count(*_args):
        statements.append(1)

    event.listen(engine, "before_cursor_execute", count)
    try:
        _run(row.id)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(findings(row.id)) == 30
    assert len(statements) < 60


def test_the_cron_command_runs_the_plans_in_their_period(app, ctx, world, today):
    bad = item(world, entry=_entry(name="甲"), published=True)
    row = plan(world, [check_point("elements_missing")])
    manual_only = plan(world, [check_point(None)], kind="onsite")
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["supervision-run"])
    assert f"plan {row.id}:" in result.output and f"plan {manual_only.id}:" in result.output
    assert [f.object_id for f in findings(row.id)] == [bad.id]
    again = app.test_cli_runner().invoke(args=["supervision-run", "--plan", str(row.id)])
    assert again.exit_code == 0 and len(findings(row.id)) == 1
