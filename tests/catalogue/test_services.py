"""The catalogue's rules and the adjustment state machine, called as the services."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import func, select

from app.catalogue import codes, services
from app.catalogue.models import AdjustmentStep, BasicCatalogueEntry, Filing, ItemVersion
from app.core.actor import system_actor
from app.core.audit import AuditAction
from app.core.errors import Forbidden, InvalidTransition, OutOfReach, StaleRecord, ValidationError
from app.core.models import AuditLog, Region
from app.core.unit_of_work import unit_of_work
from app.extensions import db
from tests.catalogue import factories as f

D = dt.date


@pytest.mark.parametrize("code", ["442199806003", "511Z07001006", "210973001000"])
def test_valid_basic_codes_are_accepted(code: str) -> None:
    assert codes.basic_code_error(code) is None


@pytest.mark.parametrize(
    "code", ["", "44219980600", "4421998060031", "A42199806003", "511Z0700100A", "511z07001006"]
)
def test_malformed_basic_codes_are_refused(code: str) -> None:
    assert codes.basic_code_error(code) is not None


def test_basic_entry_with_bad_code_is_refused_with_the_expected_shape(ctx, world) -> None:
    with pytest.raises(ValidationError) as error:
        f.basic_entry(code="12-345")
    assert "12" in error.value.errors["basic_code"]
    assert "511Z07001006" in error.value.errors["basic_code"]


def test_basic_code_is_unique_and_normalised(ctx, world) -> None:
    f.basic_entry(code="511z07001006")
    with pytest.raises(ValidationError) as error:
        f.basic_entry(code=" 511Z07001006 ")
    assert "basic_code" in error.value.errors


def test_enforcement_types_cannot_enter_the_catalogue(ctx, world) -> None:
    with pytest.raises(ValidationError) as error:
        f.basic_entry(type_code="02")  # 行政处罚
    assert "item_type" in error.value.errors


def test_implementation_code_is_credit_code_level_and_basic_code(ctx, world) -> None:
    row = f.item(world)
    assert len(row.implementation_code) == 31
    assert row.implementation_code == row.unit.credit_code + "4" + "460105001000"
    assert row.exercise_level == "4"
    assert row.region_id == world.region("460105")
    assert row.status == "draft"


def test_promised_limit_above_legal_limit_is_refused(ctx, world) -> None:
    entry = f.basic_entry(legal_time_limit_days=20)
    with pytest.raises(ValidationError) as error:
        f.item(world, entry=entry, promised_time_limit_days=21)
    assert "promised_time_limit_days" in error.value.errors
    assert f.item(world, entry=entry, promised_time_limit_days=20).promised_time_limit_days == 20


def test_standardized_elements_cannot_be_set_through_item_values(ctx, world) -> None:
    row = f.item(world)
    with pytest.raises(ValidationError) as error:
        services.update_implementation_item(
            db.session, actor=system_actor(), item=row, values={"legal_time_limit_days": 99}
        )
    assert "legal_time_limit_days" in error.value.errors
    assert row.legal_time_limit_days == 20


def test_same_unit_cannot_implement_an_item_twice(ctx, world) -> None:
    entry = f.basic_entry()
    f.item(world, entry=entry)
    with pytest.raises(ValidationError):
        f.item(world, entry=entry)


def test_unit_operator_cannot_add_items_to_another_unit(ctx, world) -> None:
    operator = f.actor("unit_operator")
    entry = f.basic_entry()
    from app.core.models import Unit

    other = db.session.get(Unit, world.unit("haitang_market"))
    with unit_of_work(db.session, operator), pytest.raises(OutOfReach):
        services.create_implementation_item(
            db.session, actor=operator, basic_entry=entry, unit=other
        )


def test_published_item_is_changed_only_through_an_adjustment(ctx, world) -> None:
    row = f.item(world, published=True)
    with pytest.raises(InvalidTransition):
        services.update_implementation_item(
            db.session, actor=system_actor(), item=row, values={"approver": "张三"}
        )


def test_stale_version_is_refused(ctx, world) -> None:
    row = f.item(world)
    old = row.version
    services.update_implementation_item(
        db.session, actor=system_actor(), item=row, values={"approver": "张三"}, version=old
    )
    db.session.flush()
    with pytest.raises(StaleRecord):
        services.update_implementation_item(
            db.session, actor=system_actor(), item=row, values={"approver": "李四"}, version=old
        )


# -- the adjustment state machine --------------------------------------------------------------


def _change(world, **kwargs):
    row = kwargs.pop("row", None) or f.item(world, published=True)
    operator = f.actor("unit_operator")
    with unit_of_work(db.session, operator):
        adjustment = services.create_adjustment(
            db.session,
            actor=operator,
            item=row,
            kind=kwargs.pop("kind", "change"),
            ground=kwargs.pop("ground", "15.4"),
            legal_basis="《海南省政务服务事项目录管理办法》第十五条",
            proposed_values=kwargs.pop("proposed_values", {"promised_time_limit_days": 5}),
            **kwargs,
        )
    db.session.flush()
    return adjustment


def _run(username: str, fn, **kwargs):
    actor = f.actor(username)
    # A transition takes the version the caller loaded (optimistic lock): the one the test holds.
    record = kwargs.get("adjustment") or kwargs.get("filing")
    if record is not None and fn is not services.file_list:
        kwargs.setdefault("version", record.version)
    with unit_of_work(db.session, actor):
        result = fn(db.session, actor=actor, **kwargs)
    db.session.flush()
    return result


def test_full_workflow_applies_the_change_as_a_new_version(ctx, world) -> None:
    # The audit log is kept between tests (append-only) and ids are reused: look past it.
    last_audit = db.session.execute(select(func.max(AuditLog.id))).scalar() or 0
    adjustment = _change(world)
    row = adjustment.item
    assert row.published_version.number == 1
    _run("unit_operator", services.submit, adjustment=adjustment, today=D(2026, 9, 30))
    assert adjustment.state == "legality_review"
    # National Day: 1–7 October are off, so one working day after 30 September is 8 October.
    assert adjustment.deadline.due_date == D(2026, 10, 8)
    _run("legal_reviewer", services.pass_legality, adjustment=adjustment, today=D(2026, 10, 8))
    assert adjustment.state == "final_review"
    # 9 Oct (Fri), 10 Oct (a make-up Saturday), 12 Oct (Mon).
    assert adjustment.final_deadline.due_date == D(2026, 10, 12)
    assert adjustment.legality_deadline.completed_at is not None
    _run("province_admin", services.approve, adjustment=adjustment, today=D(2026, 10, 9))
    assert adjustment.state == "applied"
    assert row.promised_time_limit_days == 5
    assert row.published_version.number == 2
    assert json.loads(row.published_version.snapshot)["promised_time_limit_days"] == 5
    old = db.session.execute(
        select(ItemVersion).where(ItemVersion.item_id == row.id, ItemVersion.number == 1)
    ).scalar_one()
    assert json.loads(old.snapshot)["promised_time_limit_days"] == 10
    steps = [(s.step, s.decision) for s in adjustment.steps]
    assert steps == [
        ("draft", "submit"),
        ("legality_review", "pass_legality"),
        ("final_review", "approve"),
    ]
    audits = db.session.execute(
        select(AuditLog).where(
            AuditLog.object_type == "AdjustmentRequest",
            AuditLog.object_id == str(adjustment.id),
            AuditLog.action == AuditAction.TRANSITION.value,
            AuditLog.id > last_audit,
        )
    ).scalars()
    assert len(list(audits)) == 3


def test_reject_needs_a_reason_and_returns_for_resubmission(ctx, world) -> None:
    adjustment = _change(world)
    _run("unit_operator", services.submit, adjustment=adjustment, today=D(2026, 9, 28))
    with pytest.raises(ValidationError):
        _run("legal_reviewer", services.reject, adjustment=adjustment, reason="  ")
    _run("legal_reviewer", services.reject, adjustment=adjustment, reason="依据不足")
    assert adjustment.state == "returned"
    assert adjustment.last_reason == "依据不足"
    _run("unit_operator", services.submit, adjustment=adjustment, today=D(2026, 9, 29))
    assert adjustment.state == "legality_review"
    _run("legal_reviewer", services.pass_legality, adjustment=adjustment, today=D(2026, 9, 29))
    _run("province_admin", services.reject, adjustment=adjustment, reason="时限压缩过大")
    assert adjustment.state == "returned"
    assert [s.decision for s in adjustment.steps][-1] == "reject_final"


@pytest.mark.parametrize(
    ("state_steps", "name", "username"),
    [
        ([], "pass_legality", "legal_reviewer"),
        ([], "approve", "province_admin"),
        (["submit"], "approve", "province_admin"),
        (["submit"], "submit", "unit_operator"),
    ],
)
def test_invalid_transitions_are_refused(ctx, world, state_steps, name, username) -> None:
    adjustment = _change(world)
    for step in state_steps:
        _run("unit_operator", services.transition, adjustment=adjustment, name=step)
    with pytest.raises(InvalidTransition):
        _run(username, services.transition, adjustment=adjustment, name=name)


def test_only_the_right_role_takes_each_step(ctx, world) -> None:
    adjustment = _change(world)
    with pytest.raises(Forbidden):
        _run("legal_reviewer", services.submit, adjustment=adjustment)
    _run("unit_operator", services.submit, adjustment=adjustment)
    with pytest.raises(Forbidden):
        _run("province_admin", services.pass_legality, adjustment=adjustment)
    with pytest.raises(Forbidden):
        _run("unit_operator", services.pass_legality, adjustment=adjustment)
    _run("legal_reviewer", services.pass_legality, adjustment=adjustment)
    with pytest.raises(Forbidden):
        _run("legal_reviewer", services.approve, adjustment=adjustment)


def test_legality_reviewer_of_another_city_cannot_see_the_request(ctx, world) -> None:
    row = f.item(world, unit_key="haitang_market", published=True)
    admin = system_actor()
    adjustment = services.create_adjustment(
        db.session,
        actor=admin,
        item=row,
        kind="change",
        ground="15.1",
        legal_basis="x",
        proposed_values={"approver": "王五"},
    )
    services.submit(db.session, actor=admin, adjustment=adjustment, version=adjustment.version)
    with pytest.raises(OutOfReach):
        _run("legal_reviewer", services.pass_legality, adjustment=adjustment)


def test_grounds_come_from_the_closed_list_of_the_kind(ctx, world) -> None:
    with pytest.raises(ValidationError) as error:
        _change(world, ground="13.1")  # an "add" ground on a change
    assert "ground" in error.value.errors


def test_kind_must_fit_the_item_status(ctx, world) -> None:
    row = f.item(world, published=True)
    with pytest.raises(ValidationError) as error:
        _change(world, row=row, kind="resume", ground="O.1", proposed_values={})
    assert "kind" in error.value.errors


def test_change_to_promised_above_legal_is_refused(ctx, world) -> None:
    with pytest.raises(ValidationError) as error:
        _change(world, proposed_values={"promised_time_limit_days": 30})
    assert "promised_time_limit_days" in error.value.errors


def test_one_open_adjustment_per_item(ctx, world) -> None:
    adjustment = _change(world)
    with pytest.raises(ValidationError):
        _change(world, row=adjustment.item, proposed_values={"approver": "赵六"})


def test_add_adjustment_publishes_a_draft_item(ctx, world) -> None:
    row = f.item(world)
    adjustment = _change(world, row=row, kind="add", ground="13.1", proposed_values={})
    _run("unit_operator", services.submit, adjustment=adjustment)
    _run("legal_reviewer", services.pass_legality, adjustment=adjustment)
    assert row.published_version_id is None
    _run("province_admin", services.approve, adjustment=adjustment)
    assert row.status == "active"
    assert row.published_version.number == 1


def test_planned_suspension_needs_five_working_days_notice(ctx, world) -> None:
    adjustment = _change(
        world,
        kind="suspend",
        ground="O.2",
        proposed_values={},
        planned_start=D(2026, 10, 9),
        planned_resume=D(2026, 10, 20),
    )
    # 29, 30 Sep, 8, 9 Oct: four working days only (National Day in between).
    with pytest.raises(ValidationError) as error:
        _run("unit_operator", services.submit, adjustment=adjustment, today=D(2026, 9, 28))
    assert "5" in str(error.value)
    adjustment.planned_start = D(2026, 10, 10)  # a make-up working day: the fifth
    _run("unit_operator", services.submit, adjustment=adjustment, today=D(2026, 9, 28))
    assert adjustment.state == "legality_review"


def test_urgent_suspension_is_allowed_and_flagged(ctx, world) -> None:
    adjustment = _change(
        world,
        kind="suspend",
        ground="O.2",
        proposed_values={},
        planned_start=D(2026, 9, 28),
        planned_resume=D(2026, 9, 30),
        urgent=True,
    )
    _run("unit_operator", services.submit, adjustment=adjustment, today=D(2026, 9, 28))
    assert adjustment.urgent is True
    _run("legal_reviewer", services.pass_legality, adjustment=adjustment, today=D(2026, 9, 28))
    _run("province_admin", services.approve, adjustment=adjustment, today=D(2026, 9, 28))
    # Its first day is the day of approval: it takes effect at once.
    assert adjustment.item.status == "suspended"
    assert adjustment.effective_at is not None


def _approved_suspension(world):
    """Approved on Tue 29 Sep 2026, from Mon 12 Oct, planned to resume on Fri 16 Oct."""
    adjustment = _change(
        world,
        kind="suspend",
        ground="O.2",
        proposed_values={},
        planned_start=D(2026, 10, 12),
        planned_resume=D(2026, 10, 16),
    )
    _run("unit_operator", services.submit, adjustment=adjustment, today=D(2026, 9, 28))
    _run("legal_reviewer", services.pass_legality, adjustment=adjustment, today=D(2026, 9, 28))
    _run("province_admin", services.approve, adjustment=adjustment, today=D(2026, 9, 29))
    return adjustment


def _start_due(today):
    with unit_of_work(db.session, system_actor()):
        return services.start_due_suspensions(db.session, actor=system_actor(), today=today)


def _public(row):
    return json.loads(services.public_item(db.session, row.implementation_code).snapshot)


def test_planned_suspension_is_public_but_not_in_effect_the_day_before(ctx, world) -> None:
    adjustment = _approved_suspension(world)
    row = adjustment.item
    assert adjustment.state == "applied" and adjustment.effective_at is None
    assert row.status == "active"
    assert _public(row)["status"] == "active"
    assert _public(row)["suspension_from"] == "2026-10-12"
    assert _start_due(D(2026, 10, 11)) == []
    assert row.status == "active" and row.published_version.number == 2


def test_planned_suspension_takes_effect_on_its_first_day_once(ctx, world) -> None:
    adjustment = _approved_suspension(world)
    row = adjustment.item
    assert _start_due(D(2026, 10, 12)) == [row]
    assert row.status == "suspended" and adjustment.effective_at is not None
    assert row.published_version.number == 3
    assert _public(row)["status"] == "suspended"
    assert _public(row)["resume_by"] == "2026-10-16"
    assert _start_due(D(2026, 10, 13)) == []  # idempotent: no second version
    assert row.published_version.number == 3


def test_planned_suspension_of_an_item_cancelled_before_its_day_changes_nothing(ctx, world) -> None:
    adjustment = _approved_suspension(world)
    row = adjustment.item
    cancel = _change(world, row=row, kind="cancel", ground="14.2", proposed_values={})
    for username, step in [
        ("unit_operator", "submit"),
        ("legal_reviewer", "pass_legality"),
        ("province_admin", "approve"),
    ]:
        _run(username, services.transition, adjustment=cancel, name=step, today=D(2026, 10, 5))
    assert row.status == "cancelled" and row.suspension_from is None
    assert _start_due(D(2026, 10, 12)) == []
    assert row.status == "cancelled" and adjustment.effective_at is None


@pytest.mark.parametrize(
    ("start", "resume", "field"),
    [
        (D(2026, 10, 12), None, "planned_resume"),
        (D(2026, 10, 12), D(2026, 10, 12), "planned_resume"),
        (D(2026, 10, 12), D(2026, 10, 9), "planned_resume"),
        (None, D(2026, 10, 12), "planned_start"),
    ],
)
def test_suspension_needs_a_resume_date_after_its_first_day(ctx, world, start, resume, field):
    with pytest.raises(ValidationError) as error:
        _change(
            world,
            kind="suspend",
            ground="O.2",
            proposed_values={},
            planned_start=start,
            planned_resume=resume,
        )
    assert field in error.value.errors


def test_suspension_past_its_resume_date_is_overdue_until_resumed(ctx, world) -> None:
    adjustment = _approved_suspension(world)
    row = adjustment.item
    _start_due(D(2026, 10, 12))
    admin = system_actor()
    assert services.suspended_past_resume_date(db.session, actor=admin, today=D(2026, 10, 16)) == []
    assert services.suspended_past_resume_date(db.session, actor=admin, today=D(2026, 10, 19)) == [
        row
    ]
    resume = _change(world, row=row, kind="resume", ground="O.2", proposed_values={})
    for username, step in [
        ("unit_operator", "submit"),
        ("legal_reviewer", "pass_legality"),
        ("province_admin", "approve"),
    ]:
        _run(username, services.transition, adjustment=resume, name=step, today=D(2026, 10, 19))
    assert row.status == "active" and row.resume_by is None
    assert services.suspended_past_resume_date(db.session, actor=admin, today=D(2026, 10, 20)) == []


def test_overdue_suspensions_are_read_within_reach(ctx, world) -> None:
    row = _approved_suspension(world).item
    _start_due(D(2026, 10, 12))
    mine = services.suspended_past_resume_date(
        db.session, actor=f.actor("unit_operator"), today=D(2026, 10, 19)
    )
    assert mine == [row]
    other = services.suspended_past_resume_date(
        db.session, actor=f.actor("county_coordinator2"), today=D(2026, 10, 19)
    )
    assert other == []


def test_daily_suspension_job_and_command_start_due_suspensions(app, ctx, world, clock) -> None:
    from app.catalogue.jobs import start_due_suspensions_job

    adjustment = _approved_suspension(world)
    db.session.commit()
    clock(dt.datetime(2026, 10, 11, 15, 59, tzinfo=dt.UTC))  # 23:59 on the 11th in Beijing
    assert start_due_suspensions_job(actor=system_actor()) == 0
    clock(dt.datetime(2026, 10, 11, 16, 0, tzinfo=dt.UTC))  # 00:00 on the 12th in Beijing
    result = app.test_cli_runner().invoke(args=["catalogue-start-suspensions"])
    assert "suspended: 1" in result.output
    db.session.refresh(adjustment.item)
    assert adjustment.item.status == "suspended"


# Monday 9 March 2026, 07:30 in Beijing: still Sunday 8 March 23:30 in UTC.
MONDAY_MORNING = dt.datetime(2026, 3, 8, 23, 30, tzinfo=dt.UTC)


def test_adjustment_submitted_monday_morning_in_beijing_is_dated_monday(ctx, world, clock) -> None:
    clock(MONDAY_MORNING)
    adjustment = _change(world)
    _run("unit_operator", services.submit, adjustment=adjustment)
    assert adjustment.legality_deadline.start_date == D(2026, 3, 9)
    assert adjustment.legality_deadline.due_date == D(2026, 3, 10)  # 1 working day: Tuesday
    assert adjustment.submitted_at == dt.datetime(2026, 3, 8, 23, 30)  # stored in UTC
    assert services.count_overdue_adjustments(db.session) == 0


def test_step_on_a_given_day_is_stamped_at_the_province_time_of_that_day(ctx, world, clock) -> None:
    clock(MONDAY_MORNING)
    adjustment = _change(world)
    _run("unit_operator", services.submit, adjustment=adjustment, today=D(2026, 3, 9))
    assert adjustment.submitted_at == dt.datetime(2026, 3, 8, 23, 30)
    legality = adjustment.legality_deadline
    _run("legal_reviewer", services.pass_legality, adjustment=adjustment, today=D(2026, 3, 10))
    assert legality.completed_at == dt.datetime(2026, 3, 9, 23, 30)  # Tuesday 07:30 in Beijing
    assert legality.is_overdue() is False


def test_deadline_reaching_an_unknown_year_is_provisional(ctx, world) -> None:
    adjustment = _change(world)
    _run("unit_operator", services.submit, adjustment=adjustment, today=D(2026, 12, 31))
    assert adjustment.deadline.due_date == D(2027, 1, 1)
    assert adjustment.deadline.provisional is True


def test_overdue_steps_are_counted_and_flagged(ctx, world) -> None:
    late = _change(world)
    _run("unit_operator", services.submit, adjustment=late, today=D(2026, 9, 28))
    on_time = _change(
        world, row=f.item(world, entry=f.basic_entry(code="460105002000"), published=True)
    )
    _run("unit_operator", services.submit, adjustment=on_time, today=D(2026, 9, 30))
    # Due 29 Sep and 8 Oct respectively.
    assert services.count_overdue_adjustments(db.session, today=D(2026, 10, 8)) == 1
    assert services.count_overdue_adjustments(db.session, today=D(2026, 10, 9)) == 2
    reviewer = f.actor("legal_reviewer")
    assert services.count_overdue_adjustments(db.session, actor=reviewer, today=D(2026, 10, 8)) == 1
    coordinator2 = f.actor("county_coordinator2")
    assert (
        services.count_overdue_adjustments(db.session, actor=coordinator2, today=D(2026, 10, 9))
        == 0
    )
    _run("legal_reviewer", services.pass_legality, adjustment=late, today=D(2026, 10, 8))
    step = db.session.execute(
        select(AdjustmentStep).where(AdjustmentStep.decision == "pass_legality")
    ).scalar_one()
    assert step.overdue is True
    on, late_count = services.review_steps_timeliness(
        db.session, start=dt.datetime(2000, 1, 1), end=dt.datetime(2100, 1, 1)
    )
    assert (on, late_count) == (0, 1)


def test_my_queue_lists_oldest_first_with_working_days_left(ctx, world) -> None:
    first = _change(world)
    _run("unit_operator", services.submit, adjustment=first, today=D(2026, 9, 28))
    second = _change(
        world, row=f.item(world, entry=f.basic_entry(code="460105002000"), published=True)
    )
    _run("unit_operator", services.submit, adjustment=second, today=D(2026, 9, 30))
    queue = services.my_queue(db.session, actor=f.actor("legal_reviewer"), today=D(2026, 9, 30))
    assert [e.adjustment.id for e in queue] == [first.id, second.id]
    assert queue[0].overdue and queue[0].working_days_left < 0
    assert queue[1].working_days_left == 1 and not queue[1].overdue
    assert services.my_queue(db.session, actor=f.actor("province_admin")) == []
    assert services.my_queue(db.session, actor=f.actor("unit_operator")) == []


def test_diff_shows_each_changed_field(ctx, world) -> None:
    adjustment = _change(world, proposed_values={"promised_time_limit_days": 5, "approver": "张三"})
    changes = {c.field: (c.old, c.new) for c in services.adjustment_changes(adjustment)}
    assert changes == {"promised_time_limit_days": (10, 5), "approver": ("", "张三")}


def test_version_history_keeps_old_versions_with_diffs(ctx, world) -> None:
    adjustment = _change(world)
    for username, step in [
        ("unit_operator", "submit"),
        ("legal_reviewer", "pass_legality"),
        ("province_admin", "approve"),
    ]:
        _run(username, services.transition, adjustment=adjustment, name=step)
    history = services.version_history(db.session, adjustment.item)
    assert [v.number for v, _changes in history] == [2, 1]
    assert [(c.field, c.old, c.new) for c in history[0][1]] == [("promised_time_limit_days", 10, 5)]


# -- filing ------------------------------------------------------------------------------------


def test_filing_freezes_rows_with_hash_and_shows_changes_since_acknowledged(ctx, world) -> None:
    row = f.item(world, published=True)
    f.item(world, unit_key="haitang_market", entry=row.basic_entry, published=True)
    f.item(world, entry=f.basic_entry(code="460105009000"))  # draft: not filed
    region = db.session.get(Region, world.region("460105"))
    filing = _run("county_coordinator", services.file_list, region=region)
    assert filing.row_count == 1 and services.filing_intact(filing)
    with pytest.raises(InvalidTransition):
        _run("county_coordinator", services.file_list, region=region)
    with pytest.raises(Forbidden):
        _run("county_coordinator", services.decide_filing, filing=filing, acknowledge=True)
    with pytest.raises(ValidationError):
        _run("province_admin", services.decide_filing, filing=filing, acknowledge=False)
    _run("province_admin", services.decide_filing, filing=filing, acknowledge=True)
    assert filing.state == "acknowledged"
    # Later, an approved change: the coordinator sees it against the acknowledged filing.
    adjustment = _change(world, row=row)
    for username, step in [
        ("unit_operator", "submit"),
        ("legal_reviewer", "pass_legality"),
        ("province_admin", "approve"),
    ]:
        _run(username, services.transition, adjustment=adjustment, name=step)
    changes = _run("county_coordinator", services.changes_since_acknowledged, region=region)
    assert changes.since.id == filing.id
    assert [(c.field, c.old, c.new) for _r, cs in changes.changed for c in cs] == [
        ("promised_time_limit_days", 10, 5)
    ]
    assert services.filing_intact(db.session.get(Filing, filing.id))
    assert json.loads(filing.snapshot)[0]["promised_time_limit_days"] == 10


def test_coordinator_cannot_file_another_region(ctx, world) -> None:
    region = db.session.get(Region, world.region("460202"))
    with pytest.raises(OutOfReach):
        _run("county_coordinator", services.file_list, region=region)


# -- publication -------------------------------------------------------------------------------


def test_public_query_never_returns_drafts_or_unapproved_proposals(ctx, world) -> None:
    published = f.item(world, published=True)
    f.item(world, entry=f.basic_entry(code="460105002000", name="草稿事项"))
    adjustment = _change(world, row=published, proposed_values={"approver": "未批准的人"})
    _run("unit_operator", services.submit, adjustment=adjustment)
    rows = db.session.execute(services.public_versions_query()).all()
    assert [item.id for _v, item in rows] == [published.id]
    payload = services.public_payload(rows[0][0])
    assert payload["approver"] == ""
    assert (
        payload["version"] == 1 and payload["implementation_code"] == published.implementation_code
    )


@pytest.mark.parametrize(
    ("kinds", "status", "public"),
    [
        ([("suspend", "O.1")], "suspended", True),
        ([("suspend", "O.1"), ("resume", "O.1")], "active", True),
        ([("cancel", "14.2")], "cancelled", False),
        ([("terminate", "O.1")], "terminated", False),
    ],
)
def test_status_kinds_change_the_item_and_what_is_public(ctx, world, kinds, status, public) -> None:
    row = f.item(world, published=True)
    for kind, ground in kinds:
        planned = D(2030, 1, 1) if kind == "suspend" else None
        resume = D(2030, 1, 10) if kind == "suspend" else None
        adjustment = _change(
            world,
            row=row,
            kind=kind,
            ground=ground,
            proposed_values={},
            planned_start=planned,
            planned_resume=resume,
        )
        for username, step in [
            ("unit_operator", "submit"),
            ("legal_reviewer", "pass_legality"),
            ("province_admin", "approve"),
        ]:
            _run(username, services.transition, adjustment=adjustment, name=step)
        if kind == "suspend":  # in effect on its planned first day, not at approval
            assert row.status == "active"
            with unit_of_work(db.session, system_actor()):
                services.start_due_suspensions(db.session, actor=system_actor(), today=planned)
    assert row.status == status
    suspensions = sum(kind == "suspend" for kind, _ground in kinds)
    assert row.published_version.number == 1 + len(kinds) + suspensions
    listed = [item.id for _v, item in db.session.execute(services.public_versions_query()).all()]
    assert (row.id in listed) is public
    assert (
        json.loads(services.public_item(db.session, row.implementation_code).snapshot)["status"]
        == status
    )


def test_changing_a_basic_entry_republishes_its_published_items(ctx, world) -> None:
    row = f.item(world, published=True)
    draft = f.item(world, unit_key="haitang_market", entry=row.basic_entry)
    row.basic_entry.fee_standard = "按省定标准收费"
    count = services.republish_entry_items(db.session, actor=system_actor(), entry=row.basic_entry)
    assert count == 1
    assert json.loads(row.published_version.snapshot)["fee_standard"] == "按省定标准收费"
    assert draft.published_version_id is None


def test_province_admin_edits_a_basic_entry_and_republishes_its_published_items(ctx, world):
    row = f.item(world, published=True)
    db.session.commit()
    entry = row.basic_entry
    count = services.update_basic_entry(
        db.session,
        entry,
        actor=f.actor("province_admin"),
        version=entry.version,
        changes={"fee_standard": "按省定标准收费"},
    )
    db.session.commit()
    assert count == 1 and row.published_version.number == 2
    assert json.loads(row.published_version.snapshot)["fee_standard"] == "按省定标准收费"


@pytest.mark.parametrize("username", ["county_coordinator", "unit_operator", "legal_reviewer"])
def test_only_the_province_admin_may_edit_a_basic_entry(ctx, world, username) -> None:
    row = f.item(world, published=True)
    db.session.commit()
    entry, before = row.basic_entry, row.basic_entry.fee_standard
    with pytest.raises(Forbidden):
        services.update_basic_entry(
            db.session,
            entry,
            actor=f.actor(username),
            version=entry.version,
            changes={"fee_standard": "按省定标准收费"},
        )
    db.session.rollback()
    assert db.session.get(BasicCatalogueEntry, entry.id).fee_standard == before
    assert row.published_version.number == 1


def test_a_stale_version_refuses_the_basic_entry_edit(ctx, world) -> None:
    entry = f.item(world, published=True).basic_entry
    db.session.commit()
    with pytest.raises(StaleRecord):
        services.update_basic_entry(
            db.session,
            entry,
            actor=f.actor("province_admin"),
            version=entry.version - 1,
            changes={"fee_standard": "按省定标准收费"},
        )


def test_implementation_codes_met_in_imports_are_parsed() -> None:
    national = "12441500196720244T3442199806003"
    assert codes.parse_implementation_code(national) == (
        "12441500196720244T",
        "3",
        "442199806003",
    )
    dashed = "511Z07001006-511602000000-000-11511301008778183N-1-00"
    assert codes.parse_implementation_code(dashed) == ("11511301008778183N", None, "511Z07001006")
    assert codes.parse_implementation_code("511A0138000000-511602000000-000-X-1-00") is None
    assert codes.parse_implementation_code("garbage") is None


def test_a_write_that_loses_a_race_at_the_flush_is_a_stale_record(ctx, world) -> None:
    from sqlalchemy import text

    row = f.item(world)
    db.session.commit()
    row_id, loaded_version = row.id, row.version
    # Someone else's save lands (on its own connection) after we loaded the row.
    with db.engine.begin() as other:
        other.execute(
            text(f"UPDATE {type(row).__table__.name} SET version = version + 1 WHERE id = :id"),  # noqa: S608
            {"id": row_id},
        )
    with pytest.raises(StaleRecord):
        services.update_implementation_item(
            db.session,
            actor=system_actor(),
            item=row,
            values={"approver": "张三"},
            version=loaded_version,
        )
        db.session.flush()


def test_item_page_label_says_planned_then_overdue(ctx, world, clock) -> None:
    row = _approved_suspension(world).item
    assert row.suspension_label == "将于 2026-10-12 起暂停，计划于 2026-10-16 恢复"
    _start_due(D(2026, 10, 12))
    clock(dt.datetime(2026, 10, 16, 4, 0, tzinfo=dt.UTC))
    assert row.resume_overdue is False and "超期" not in row.suspension_label
    clock(dt.datetime(2026, 10, 17, 4, 0, tzinfo=dt.UTC))
    assert row.resume_overdue is True and row.suspension_label.endswith("已超期")
