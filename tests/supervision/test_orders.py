"""Rectification orders (限令整改): working-day deadlines from the province's clock (over a
holiday, into a year the calendar does not know), answer / accept / reject and reopen, late
answers recorded, evidence refused when it is not what it claims, every step audited."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import select

from app.core import calendar
from app.core.actor import system_actor
from app.core.errors import Forbidden, InvalidTransition, StaleRecord, ValidationError
from app.core.models import AuditLog
from app.core.unit_of_work import unit_of_work
from app.extensions import db
from app.supervision import services
from app.supervision.models import Finding, RectificationOrder, SupervisionEvidence
from tests.supervision.factories import actor, check_point, findings, item, plan, version_of

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture
def evidence_dir(app, tmp_path):
    previous = app.config["SUPERVISION_EVIDENCE_DIR"]
    app.config["SUPERVISION_EVIDENCE_DIR"] = str(tmp_path / "evidence")
    yield Path(app.config["SUPERVISION_EVIDENCE_DIR"])
    app.config["SUPERVISION_EVIDENCE_DIR"] = previous


def _finding(world, severity="medium"):
    """One open automatic finding about a published item of 秀英区市场监督管理局."""
    item(world, published=True)
    row = plan(world, [check_point("elements_missing", severity=severity)])
    db.session.commit()
    with unit_of_work(db.session, system_actor()):
        services.run_checks(db.session, row.id, actor=system_actor())
    (finding,) = findings(row.id)
    return finding


def _issue(finding, days=None, who="supervisor"):
    by = actor(who)
    with unit_of_work(db.session, by):
        order = services.issue_order(
            db.session, finding.id, working_days=days, version=finding.version, actor=by
        )
    return order


def test_an_order_is_due_in_working_days_over_the_national_day_holiday(ctx, world, clock):
    clock(dt.datetime(2026, 9, 30, 2, 0, tzinfo=dt.UTC))  # 10:00 on Wednesday 30 September
    finding = _finding(world, severity="high")
    order = _issue(finding)
    assert order.working_days == 5  # a serious breach: 5 working days by default
    expected = calendar.add_working_days(dt.date(2026, 9, 30), 5, session=db.session)
    assert order.deadline.due_date == expected.date
    assert order.deadline.due_date > dt.date(2026, 10, 8)  # the holiday does not count
    assert not order.deadline.provisional
    assert finding.state == "ordered"


def test_an_order_reaching_an_unknown_year_is_provisional(ctx, world, clock):
    clock(dt.datetime(2026, 12, 24, 2, 0, tzinfo=dt.UTC))
    order = _issue(_finding(world), days=10)
    assert order.deadline.due_date.year == 2027 and order.deadline.provisional
    assert "暂定" in order.deadline_label or "provisional" in order.deadline_label


def test_the_deadline_is_editable_within_bounds(ctx, world, clock):
    clock(dt.datetime(2026, 6, 15, 2, 0, tzinfo=dt.UTC))
    finding = _finding(world)
    with pytest.raises(ValidationError):
        _issue(finding, days=0)
    db.session.rollback()
    with pytest.raises(ValidationError):
        _issue(db.session.get(Finding, finding.id), days=99)
    db.session.rollback()
    assert _issue(db.session.get(Finding, finding.id), days=3).working_days == 3


def test_answer_accept_closes_the_order_and_its_finding(ctx, world, clock):
    clock(dt.datetime(2026, 6, 15, 2, 0, tzinfo=dt.UTC))
    order = _issue(_finding(world))
    operator = actor("unit_operator")
    with unit_of_work(db.session, operator):
        services.answer_order(
            db.session, order.id, measures="已补全办理时间", version=order.version, actor=operator
        )
    assert order.state == "answered" and order.deadline.completed_at is not None
    assert not order.was_late
    supervisor = actor("supervisor")
    with unit_of_work(db.session, supervisor):
        services.accept_order(db.session, order.id, version=order.version, actor=supervisor)
    assert order.state == "closed" and order.closed_at is not None
    assert order.finding.state == "closed"
    assert [s.step for s in order.steps] == ["issue", "answer", "accept"]
    transitions = db.session.execute(
        select(AuditLog.summary).where(AuditLog.object_type == "RectificationOrder")
    ).scalars()
    assert len(list(transitions)) >= 3


def test_reject_reopens_with_a_reason_and_a_new_deadline(ctx, world, clock):
    clock(dt.datetime(2026, 6, 15, 2, 0, tzinfo=dt.UTC))
    order = _issue(_finding(world), days=5)
    first = order.deadline
    operator, supervisor = actor("unit_operator"), actor("supervisor")
    with unit_of_work(db.session, operator):
        services.answer_order(
            db.session, order.id, measures="已整改", version=order.version, actor=operator
        )
    with pytest.raises(ValidationError), unit_of_work(db.session, supervisor):
        services.reject_order(
            db.session, order.id, reason=" ", version=order.version, actor=supervisor
        )
    clock(dt.datetime(2026, 6, 17, 2, 0, tzinfo=dt.UTC))
    with unit_of_work(db.session, supervisor):
        services.reject_order(
            db.session,
            order.id,
            reason="咨询电话仍未公布",
            working_days=3,
            version=version_of(order.id),
            actor=supervisor,
        )
    order = db.session.get(RectificationOrder, order.id)
    assert order.state == "issued" and order.rounds == 2
    assert order.reject_reason == "咨询电话仍未公布"
    assert order.deadline.id != first.id and order.deadline.start_date == dt.date(2026, 6, 17)
    assert order.deadline.completed_at is None and order.finding.state == "ordered"
    with unit_of_work(db.session, operator):
        services.answer_order(
            db.session, order.id, measures="已公布", version=order.version, actor=operator
        )
    assert order.state == "answered"


def test_a_late_answer_is_recorded_late_and_an_open_order_shows_overdue(ctx, world, clock):
    clock(dt.datetime(2026, 6, 15, 2, 0, tzinfo=dt.UTC))
    order = _issue(_finding(world), days=2)
    clock(dt.datetime(2026, 6, 30, 2, 0, tzinfo=dt.UTC))
    assert order.overdue
    operator = actor("unit_operator")
    assert [o.id for o in services.queue(db.session, actor=operator)] == [order.id]
    with unit_of_work(db.session, operator):
        services.answer_order(
            db.session, order.id, measures="已整改", version=order.version, actor=operator
        )
    assert order.was_late and order.steps[-1].overdue and not order.overdue


def test_the_wrong_role_state_or_version_changes_nothing(ctx, world, clock):
    clock(dt.datetime(2026, 6, 15, 2, 0, tzinfo=dt.UTC))
    finding = _finding(world)
    with pytest.raises(Forbidden):
        _issue(finding, who="unit_operator")
    db.session.rollback()
    order = _issue(db.session.get(Finding, finding.id))
    supervisor, operator = actor("supervisor"), actor("unit_operator")
    with pytest.raises(InvalidTransition), unit_of_work(db.session, supervisor):
        services.accept_order(db.session, order.id, version=order.version, actor=supervisor)
    with pytest.raises(Forbidden), unit_of_work(db.session, operator):
        services.accept_order(db.session, order.id, version=order.version, actor=operator)
    with pytest.raises(StaleRecord), unit_of_work(db.session, operator):
        services.answer_order(
            db.session, order.id, measures="x", version=order.version - 1, actor=operator
        )
    with pytest.raises(ValidationError):
        _issue(db.session.get(Finding, finding.id))  # already ordered
    db.session.rollback()
    assert db.session.get(RectificationOrder, order.id).state == "issued"


def test_a_manual_finding_keeps_its_checked_evidence(ctx, world, clock, evidence_dir):
    clock(dt.datetime(2026, 6, 15, 2, 0, tzinfo=dt.UTC))
    row = plan(world, [check_point(None)], kind="onsite")
    db.session.commit()
    supervisor = actor("supervisor")
    with unit_of_work(db.session, supervisor):
        finding = services.record_finding(
            db.session,
            plan_id=row.id,
            check_point_id=row.check_points[0].id,
            unit_id=world.unit("xiuying_market"),
            subject="窗口未公示办事指南",
            detail="现场检查发现",
            evidence=[("现场.png", PNG), ("记录.pdf", PDF)],
            actor=supervisor,
        )
    stored = db.session.execute(select(SupervisionEvidence)).scalars().all()
    assert [e.filename for e in stored] == ["现场.png", "记录.pdf"]
    assert all((evidence_dir / e.stored_name).is_file() for e in stored)
    assert finding.source == "manual" and finding.state == "open"


@pytest.mark.parametrize(
    ("name", "content"),
    [("照片.png", b"MZ\x90\x00 not a picture"), ("报告.pdf", PNG), ("脚本.exe", PDF)],
)
def test_evidence_that_is_not_what_it_claims_is_refused_and_nothing_kept(
    ctx, world, clock, evidence_dir, name, content
):
    clock(dt.datetime(2026, 6, 15, 2, 0, tzinfo=dt.UTC))
    row = plan(world, [check_point(None)], kind="mystery")
    db.session.commit()
    supervisor = actor("supervisor")
    with pytest.raises(ValidationError), unit_of_work(db.session, supervisor):
        services.record_finding(
            db.session,
            plan_id=row.id,
            check_point_id=row.check_points[0].id,
            unit_id=world.unit("xiuying_market"),
            subject="暗访发现",
            detail="",
            evidence=[("好的.pdf", PDF), (name, content)],
            actor=supervisor,
        )
    assert db.session.execute(select(Finding)).first() is None
    assert not evidence_dir.exists() or not any(evidence_dir.iterdir())


def test_an_answer_with_evidence_is_kept_with_the_step(ctx, world, clock, evidence_dir):
    clock(dt.datetime(2026, 6, 15, 2, 0, tzinfo=dt.UTC))
    order = _issue(_finding(world))
    operator = actor("unit_operator")
    with unit_of_work(db.session, operator):
        services.answer_order(
            db.session,
            order.id,
            measures="已整改",
            evidence=[("整改.pdf", PDF)],
            version=order.version,
            actor=operator,
        )
    (evidence,) = order.steps[-1].evidence
    assert evidence.finding_id == order.finding_id and evidence.filename == "整改.pdf"
