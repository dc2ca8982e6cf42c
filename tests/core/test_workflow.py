"""The core workflow: ``can`` and ``guard`` judge alike, and each refusal has its status."""

from __future__ import annotations

import itertools
from types import SimpleNamespace

import pytest

from app.accounts.states import REQUEST
from app.catalogue.states import ADJUSTMENT, FILING
from app.core import roles, workflow
from app.core.actor import Actor, system_actor
from app.core.errors import DomainError, Forbidden, InvalidTransition, OutOfReach, StaleRecord
from app.core.models import ReachRule
from app.core.reach import Reach
from app.core.states import ReachKind
from app.licences.states import OBJECTION, REVIEW

WORKFLOWS = (ADJUSTMENT, FILING, REQUEST, REVIEW, OBJECTION)
ROLES = sorted(set(roles.ROLE_REACH) - {roles.FAB_ADMIN})


class Owned(SimpleNamespace):
    """A stand-in record owned by unit 1 (reach judged on ``unit_id``, no database needed)."""

    __reach__ = ReachRule(unit="unit_id")


def _actor(role: str | None, *, reach: Reach | None = None, unit_id: int = 2) -> Actor:
    if role is None:
        return system_actor()
    user = SimpleNamespace(roles=[SimpleNamespace(name=role)], unit_id=unit_id)
    kind = roles.ROLE_REACH[role]
    if reach is None:
        reach = Reach(kind, region_path="/46/", unit_id=unit_id) if kind.breadth else Reach(kind)
        if kind is ReachKind.UNIT:  # a unit's reach covers its own unit's records (unit 1 here)
            reach = Reach(ReachKind.UNIT, region_path="/46/", unit_id=1)
    return Actor(user_id=7, username=role, user=user, reach=reach)


def _record(state: str | None) -> Owned:
    return Owned(
        id=1,
        version=1,
        state=state,
        unit_id=1,
        issuing_unit_id=1,
        applicant_unit_id=None,
        submitted_by_id=None,
        deadline=None,
    )


def _states(flow: workflow.Workflow) -> list[str | None]:
    found = {s for t in flow.transitions for s in (t.source or ())}
    return sorted(found | {t.target for t in flow.transitions} | {"nonsense"})


CASES = [
    pytest.param(t, role, state, id=f"{flow.name}.{t.name}-{role or 'system'}-{state}")
    for flow in WORKFLOWS
    for t, role, state in itertools.product(flow.transitions, [None, *ROLES], _states(flow))
]


@pytest.mark.parametrize(("transition", "role", "state"), CASES)
def test_can_is_true_exactly_when_guard_lets_through(app, transition, role, state) -> None:
    actor, record = _actor(role), _record(state)
    with app.test_request_context():
        try:
            workflow.guard(actor, transition, record)
        except DomainError as error:
            assert isinstance(error, Forbidden | OutOfReach | InvalidTransition)
            guarded = False
        else:
            guarded = True
        assert workflow.can(actor, transition, record) is guarded
        shown = transition in workflow.workflow_of(transition).allowed(actor, record)
        assert shown is guarded


def test_each_refusal_has_its_status(app) -> None:
    submit = ADJUSTMENT["submit"]
    with app.test_request_context():
        with pytest.raises(Forbidden):  # role first: 403
            workflow.guard(_actor(roles.SUPERVISOR), submit, _record("draft"))
        outside = Reach(ReachKind.UNIT, region_path="/46/", unit_id=99)
        with pytest.raises(OutOfReach):  # then reach: 404
            workflow.guard(_actor(roles.UNIT_OPERATOR, reach=outside), submit, _record("draft"))
        with pytest.raises(InvalidTransition) as error:  # then state: 409, with the state's name
            workflow.guard(_actor(roles.UNIT_OPERATOR), submit, _record("applied"))
        assert error.value.status == 409
        assert workflow.can(_actor(roles.UNIT_OPERATOR), submit, _record("returned"))


def test_supervisors_cannot_file_and_coordinators_can(app) -> None:
    with app.test_request_context():
        assert not workflow.can(_actor(roles.SUPERVISOR), "filing.file", None)
        assert not workflow.can(_actor(roles.PROVINCE_ADMIN), "filing.file", None)
        assert workflow.can(_actor(roles.COUNTY_COORDINATOR), "filing.file", None)


def test_a_reviewer_never_decides_on_their_own_units_submission(app) -> None:
    reviewer = _actor(roles.LICENCE_REVIEWER, unit_id=1)
    with app.test_request_context():
        with pytest.raises(Forbidden) as error:
            workflow.guard(reviewer, REVIEW["approve"], _record("submitted"))
        assert "own unit" in str(error.value) or "本单位" in str(error.value)
        assert not workflow.can(reviewer, REVIEW["reject"], _record("submitted"))
        assert workflow.can(_actor(roles.LICENCE_REVIEWER), REVIEW["approve"], _record("submitted"))


def test_apply_needs_the_loaded_version_except_from_the_system(app) -> None:
    from app.catalogue.models import AdjustmentRequest

    record = AdjustmentRequest(id=1, state="draft", version=1, unit_id=1)
    operator = _actor(roles.UNIT_OPERATOR, reach=Reach.unrestricted())
    submit = ADJUSTMENT["submit"]
    with app.test_request_context():
        for version in (None, "", 2, "x"):
            with pytest.raises(StaleRecord):
                workflow.check(None, record, submit, actor=operator, version=version)
        workflow.check(None, record, submit, actor=operator, version=1)
        workflow.check(None, record, submit, actor=system_actor(), version=None)


def test_a_required_reason_is_checked_before_anything_changes(app) -> None:
    from app.core.errors import ValidationError

    record = _record("legality_review")
    with app.test_request_context(), pytest.raises(ValidationError):
        workflow.check(
            None,
            record,
            "adjustment.reject_legality",
            actor=system_actor(),
            version=None,
            reason="  ",
        )
    assert record.state == "legality_review"


def test_one_deadline_label_and_one_close(app) -> None:
    import datetime as dt

    from app.core import calendar
    from app.core.models import Deadline

    deadline = Deadline(
        purpose="x",
        start_date=dt.date(2026, 3, 2),
        working_days=1,
        due_date=dt.date(2026, 3, 3),
        provisional=True,
    )
    with app.test_request_context():
        open_late = calendar.deadline_label(deadline, today=dt.date(2026, 3, 4))
        assert open_late.startswith("2026-03-03") and "✓" not in open_late
        assert open_late != calendar.deadline_label(deadline, today=dt.date(2026, 3, 3))
        # Closed late: 4 March 00:30 in Beijing is 3 March 16:30 UTC, as stored.
        assert calendar.close_deadline(deadline, at=dt.datetime(2026, 3, 3, 16, 30)) is True
        assert deadline.completed_at == dt.datetime(2026, 3, 3, 16, 30)
        assert deadline.label.endswith(" ✓") and deadline.label == calendar.deadline_label(deadline)
        assert calendar.deadline_label(None) == ""
