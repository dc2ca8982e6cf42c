"""Poor-rating tickets (seed 002 art. 23): opened at once, due N working days later, and moved
through verify → rectify → call back → closed by the people allowed to."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select, text

from app.core.audit import AuditAction
from app.core.errors import (
    Forbidden,
    InvalidTransition,
    OutOfReach,
    StaleRecord,
    ValidationError,
)
from app.core.models import AuditLog
from app.extensions import db
from app.ratings import services
from tests.ratings.factories import actor, rated_item, rating


@pytest.fixture
def item_id(world, ctx):
    return rated_item(world).id


def _v(ticket):
    """The version a user loads: what the last request committed."""
    db.session.flush()
    return ticket.version


def _ticket(item_id, **values):
    return rating(item_id, "2", **values).ticket


def test_poor_rating_on_friday_is_due_wednesday_after_the_weekend(item_id):
    ticket = _ticket(item_id, rated_at=dt.datetime(2026, 3, 6, 16, 0))
    assert ticket.state == "verify"
    assert ticket.deadline.due_date == dt.date(2026, 3, 11)
    assert not ticket.deadline.provisional
    assert ticket.verify_deadline.due_date == dt.date(2026, 3, 9)


def test_poor_rating_before_national_day_counts_the_make_up_saturday(item_id):
    ticket = _ticket(item_id, rated_at=dt.datetime(2026, 9, 30, 9, 0))
    assert ticket.deadline.due_date == dt.date(2026, 10, 10)


def test_deadline_into_an_unknown_year_is_provisional_on_weekdays(item_id, clock):
    clock(dt.datetime(2027, 1, 2, 2, 0, tzinfo=dt.UTC))
    ticket = _ticket(item_id, rated_at=dt.datetime(2026, 12, 31, 9, 0))
    assert ticket.deadline.due_date == dt.date(2027, 1, 5)
    assert ticket.deadline.provisional
    assert "暂定" in ticket.deadline.label or "provisional" in ticket.deadline.label


def test_the_days_are_the_province_setting(item_id, app):
    app.config["POOR_RATING_DEADLINE_DAYS"] = 5
    try:
        ticket = _ticket(item_id, rated_at=dt.datetime(2026, 3, 6, 16, 0))
    finally:
        app.config["POOR_RATING_DEADLINE_DAYS"] = 3
    assert ticket.deadline.due_date == dt.date(2026, 3, 13)


def test_rating_late_in_the_evening_counts_from_the_province_date(item_id):
    # 23:30 in Beijing on Friday is 15:30 UTC: the ticket counts from Friday.
    ticket = _ticket(item_id, rated_at=dt.datetime(2026, 3, 6, 23, 30))
    assert ticket.rating.rated_on == dt.date(2026, 3, 6)
    assert ticket.deadline.due_date == dt.date(2026, 3, 11)


def test_good_ratings_open_no_ticket(item_id):
    for level in ("5", "4", "3"):
        assert rating(item_id, level).ticket is None
    assert rating(item_id, "1").ticket is not None


def test_invalid_needs_the_county_coordinator(item_id):
    ticket = _ticket(item_id)
    operator, coordinator = actor("unit_operator"), actor("county_coordinator")
    services.verify(
        db.session,
        ticket.id,
        valid=False,
        invalid_reason="malicious",
        note="评价内容与办件无关",
        version=_v(ticket),
        actor=operator,
    )
    assert ticket.state == "invalid_pending"
    with pytest.raises(Forbidden):
        services.decide_invalid(
            db.session, ticket.id, agree=True, version=_v(ticket), actor=operator
        )
    services.decide_invalid(
        db.session, ticket.id, agree=True, note="同意", version=_v(ticket), actor=coordinator
    )
    assert ticket.state == "invalid" and ticket.closed_at is not None
    assert ticket.invalid_reason_label


def test_invalid_without_a_reason_is_refused(item_id):
    ticket = _ticket(item_id)
    with pytest.raises(ValidationError) as refused:
        services.verify(
            db.session,
            ticket.id,
            valid=False,
            invalid_reason=None,
            note="",
            version=_v(ticket),
            actor=actor("unit_operator"),
        )
    assert set(refused.value.errors) == {"invalid_reason", "note"}
    assert ticket.state == "verify"


def test_coordinator_refusal_sends_the_ticket_to_rectify(item_id):
    ticket = _ticket(item_id)
    services.verify(
        db.session,
        ticket.id,
        valid=False,
        invalid_reason="wrong_unit",
        note="非本单位",
        version=_v(ticket),
        actor=actor("unit_operator"),
    )
    services.decide_invalid(
        db.session,
        ticket.id,
        agree=False,
        note="属本单位事项",
        version=_v(ticket),
        actor=actor("county_coordinator"),
    )
    assert ticket.state == "rectify" and ticket.deadline.completed_at is None


def _to_call_back(ticket, operator):
    services.verify(db.session, ticket.id, valid=True, version=_v(ticket), actor=operator)
    services.rectify(db.session, ticket.id, measures="增开窗口", version=_v(ticket), actor=operator)


def test_unsatisfied_call_back_rectifies_once_then_goes_to_the_coordinator(item_id):
    ticket = _ticket(item_id)
    operator = actor("unit_operator")
    _to_call_back(ticket, operator)
    assert ticket.state == "call_back" and ticket.deadline.completed_at is not None
    services.call_back(db.session, ticket.id, reached=False, version=_v(ticket), actor=operator)
    assert ticket.state == "call_back" and not ticket.called_back
    services.call_back(
        db.session,
        ticket.id,
        reached=True,
        satisfied=False,
        version=_v(ticket),
        actor=operator,
    )
    assert ticket.state == "rectify"
    services.rectify(db.session, ticket.id, measures="专人跟进", version=_v(ticket), actor=operator)
    services.call_back(
        db.session,
        ticket.id,
        reached=True,
        satisfied=False,
        version=_v(ticket),
        actor=operator,
    )
    assert ticket.state == "escalated"
    with pytest.raises(Forbidden):
        services.coordinator_close(
            db.session, ticket.id, note="x", version=_v(ticket), actor=operator
        )
    services.coordinator_close(
        db.session,
        ticket.id,
        note="已解释政策",
        version=_v(ticket),
        actor=actor("county_coordinator"),
    )
    assert ticket.state == "closed"
    assert [s.step for s in ticket.steps] == [
        "confirm_valid",
        "rectify",
        "call_back_unreached",
        "call_back_unsatisfied",
        "rectify",
        "call_back_escalate",
        "coordinator_close",
    ]


def test_satisfied_call_back_closes(item_id):
    ticket = _ticket(item_id)
    operator = actor("unit_operator")
    _to_call_back(ticket, operator)
    services.call_back(
        db.session,
        ticket.id,
        reached=True,
        satisfied=True,
        version=_v(ticket),
        actor=operator,
    )
    assert ticket.state == "closed" and ticket.called_back and ticket.satisfied


def test_real_name_rating_cannot_skip_the_call_back_and_anonymous_closes_on_rectify(item_id):
    named = _ticket(item_id)
    operator = actor("unit_operator")
    services.verify(db.session, named.id, valid=True, version=_v(named), actor=operator)
    from app.core import workflow

    with pytest.raises(Forbidden):
        workflow.guard(operator, "rating_ticket.rectify_close", named)
    anonymous = _ticket(item_id, real_name=False)
    services.verify(db.session, anonymous.id, valid=True, version=_v(anonymous), actor=operator)
    services.rectify(
        db.session, anonymous.id, measures="整改", version=_v(anonymous), actor=operator
    )
    assert anonymous.state == "closed"


def test_a_step_with_an_old_version_is_refused(item_id):
    ticket = _ticket(item_id)
    old = _v(ticket)
    services.verify(db.session, ticket.id, valid=True, version=old, actor=actor("unit_operator"))
    with pytest.raises(StaleRecord):
        services.rectify(
            db.session, ticket.id, measures="x", version=old, actor=actor("unit_operator")
        )


def test_a_step_out_of_order_is_refused(item_id):
    ticket = _ticket(item_id)
    with pytest.raises(InvalidTransition):
        services.rectify(
            db.session,
            ticket.id,
            measures="x",
            version=_v(ticket),
            actor=actor("unit_operator"),
        )


def test_another_units_operator_and_another_county_cannot_touch_the_ticket(item_id):
    ticket = _ticket(item_id)
    for name in ("unit_operator2", "county_coordinator2"):
        with pytest.raises(OutOfReach):
            services.verify(
                db.session, ticket.id, valid=True, version=_v(ticket), actor=actor(name)
            )
        with pytest.raises(OutOfReach):
            services.reveal_rater(db.session, ticket.id, actor=actor(name))
    assert ticket.state == "verify"


def test_recording_by_hand_outside_reach_is_refused(world, ctx):
    other = rated_item(world, "haitang_market")
    with pytest.raises(OutOfReach):
        rating(other.id, "2", by=actor("unit_operator"))


def test_phone_and_id_number_are_encrypted_at_rest(item_id):
    stored = rating(item_id, "2")
    db.session.flush()
    raw = db.session.execute(
        text("SELECT rater_name_enc, phone_enc, id_number_enc FROM rating WHERE id = :id"),
        {"id": stored.id},
    ).one()
    for value, clear in zip(raw, ("张三", "13812345678", "460100199001011234"), strict=True):
        assert value is not None and clear.encode() not in bytes(value)
    assert (stored.rater_name_masked, stored.phone_masked, stored.id_number_masked) == (
        "张*",
        "138****5678",
        "4601**********1234",
    )


def test_the_handling_operator_reads_the_contact_and_the_read_is_audited(item_id):
    ticket = _ticket(item_id)
    contact = services.reveal_rater(db.session, ticket.id, actor=actor("unit_operator"))
    assert (contact.name, contact.phone, contact.id_number) == (
        "张三",
        "13812345678",
        "460100199001011234",
    )
    row = (
        db.session.execute(
            select(AuditLog)
            .where(AuditLog.action == AuditAction.SECURITY.value, AuditLog.object_type == "Rating")
            .order_by(AuditLog.id.desc())
        )
        .scalars()
        .first()
    )
    assert row is not None and "138****5678" in (row.after or "")


def test_those_not_handling_the_ticket_never_read_the_contact(item_id):
    ticket = _ticket(item_id)
    for name in ("county_coordinator", "province_admin", "window_staff"):
        with pytest.raises(Forbidden):
            services.reveal_rater(db.session, ticket.id, actor=actor(name))


def test_no_clear_personal_data_in_the_audit_log(item_id):
    # The audit log is append-only and shared by the whole run: read this test's rows only.
    first = db.session.execute(select(func.max(AuditLog.id))).scalar() or 0
    rating(item_id, "2")
    db.session.flush()
    rows = db.session.execute(
        select(AuditLog.before, AuditLog.after).where(AuditLog.id > first)
    ).all()
    text_of_log = " ".join(str(part) for row in rows for part in row)
    assert "13812345678" not in text_of_log and "460100199001011234" not in text_of_log
    assert "张三" not in text_of_log and "138****5678" in text_of_log


def test_the_queue_puts_the_least_time_left_first(item_id):
    late = _ticket(item_id, rated_at=dt.datetime(2026, 3, 5, 9, 0))
    early = _ticket(item_id, rated_at=dt.datetime(2026, 3, 2, 9, 0))
    mine = services.queue(db.session, actor=actor("unit_operator"))
    assert [t.id for t in mine] == [early.id, late.id]
    assert services.queue(db.session, actor=actor("unit_operator2")) == []


def test_rectify_is_due_with_the_ticket_and_the_call_back_one_working_day_after(item_id, clock):
    # Rated on Friday 6 March: the ticket (and its rectification) is due Wednesday the 11th.
    ticket = _ticket(item_id, rated_at=dt.datetime(2026, 3, 6, 16, 0))
    operator = actor("unit_operator")
    assert ticket.rectify_deadline is None and ticket.call_back_deadline is None
    clock(dt.datetime(2026, 3, 9, 2, 0, tzinfo=dt.UTC))
    services.verify(db.session, ticket.id, valid=True, version=_v(ticket), actor=operator)
    assert ticket.step_deadline is ticket.rectify_deadline
    assert ticket.rectify_deadline.due_date == dt.date(2026, 3, 11)
    assert ticket.rectify_deadline.completed_at is None
    # Rectified on Friday the 13th (late): the call-back is due the next working day, Monday.
    clock(dt.datetime(2026, 3, 13, 2, 0, tzinfo=dt.UTC))
    services.rectify(db.session, ticket.id, measures="增开窗口", version=_v(ticket), actor=operator)
    assert ticket.rectify_deadline.completed_at is not None
    assert ticket.rectify_deadline.is_overdue()
    assert ticket.step_deadline is ticket.call_back_deadline
    assert ticket.call_back_deadline.due_date == dt.date(2026, 3, 16)
    services.call_back(
        db.session, ticket.id, reached=True, satisfied=True, version=_v(ticket), actor=operator
    )
    assert ticket.call_back_deadline.completed_at is not None
    assert not ticket.call_back_deadline.is_overdue()


def test_a_call_back_past_its_own_day_is_overdue_though_rectified_in_time(item_id, clock):
    clock(dt.datetime(2026, 3, 6, 2, 0, tzinfo=dt.UTC))
    # Rated on Wednesday 4 March: due Monday the 9th; rectified on Friday the 6th.
    ticket = _ticket(item_id, rated_at=dt.datetime(2026, 3, 4, 9, 0))
    operator = actor("unit_operator")
    _to_call_back(ticket, operator)
    assert not ticket.overdue and not ticket.step_overdue
    # Not reached on Tuesday the 10th: the call-back was due Monday and stays due then.
    clock(dt.datetime(2026, 3, 10, 2, 0, tzinfo=dt.UTC))
    services.call_back(db.session, ticket.id, reached=False, version=_v(ticket), actor=operator)
    assert ticket.call_back_deadline.due_date == dt.date(2026, 3, 9)
    assert ticket.step_overdue and not ticket.overdue
    # Unsatisfied: a second round of rectification is due with the ticket, already past.
    services.call_back(
        db.session, ticket.id, reached=True, satisfied=False, version=_v(ticket), actor=operator
    )
    assert ticket.state == "rectify" and ticket.call_back_deadline.completed_at is not None
    assert ticket.rectify_deadline.completed_at is None
    assert ticket.rectify_deadline.due_date == ticket.deadline.due_date
    assert ticket.step_overdue


def test_the_call_back_days_are_a_setting(item_id, app, clock):
    clock(dt.datetime(2026, 3, 6, 2, 0, tzinfo=dt.UTC))
    ticket = _ticket(item_id, rated_at=dt.datetime(2026, 3, 6, 9, 0))
    app.config["RATING_CALL_BACK_DAYS"] = 3
    try:
        _to_call_back(ticket, actor("unit_operator"))
    finally:
        app.config["RATING_CALL_BACK_DAYS"] = 1
    assert ticket.call_back_deadline.due_date == dt.date(2026, 3, 11)
