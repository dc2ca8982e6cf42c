"""unit_of_work(session, actor): the one place a use case gets its actor and its transaction."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.catalogue import services
from app.catalogue.models import AdjustmentRequest
from app.core.actor import SYSTEM_NAME, session_actor, system_actor
from app.core.errors import OutOfReach
from app.core.models import AuditLog, Unit
from app.core.unit_of_work import NestedActorError, on_commit, unit_of_work
from app.extensions import db
from tests.catalogue import factories as f


def _last_audit_id() -> int:
    return db.session.scalar(select(func.max(AuditLog.id))) or 0


def _audit_after(last: int) -> list[AuditLog]:
    return list(db.session.scalars(select(AuditLog).where(AuditLog.id > last)))


def _adjustments() -> int:
    return db.session.scalar(select(func.count()).select_from(AdjustmentRequest))


def _create_adjustment(operator, row):
    return services.create_adjustment(
        db.session,
        actor=operator,
        item=row,
        kind="change",
        ground="15.4",
        legal_basis="《海南省政务服务事项目录管理办法》第十五条",
        proposed_values={"promised_time_limit_days": 5},
    )


@pytest.fixture
def published(ctx, world):
    row = f.item(world, published=True)
    db.session.commit()
    return row


def test_a_service_in_a_unit_of_work_is_audited_as_its_actor_without_any_request(published):
    operator = f.actor("unit_operator")
    last = _last_audit_id()
    with unit_of_work(db.session, operator):
        _create_adjustment(operator, published)
    rows = _audit_after(last)
    assert rows, "the adjustment is audited"
    assert {(r.actor_id, r.actor_name) for r in rows} == {(operator.user_id, "unit_operator")}
    assert _adjustments() == 1  # committed by the unit of work


def test_flush_in_a_unit_of_work_is_reach_checked_against_its_actor(ctx, world):
    operator = f.actor("unit_operator")  # the unit reach of 秀英区市场监督管理局
    with unit_of_work(db.session, operator):
        db.session.get(Unit, world.unit("xiuying_market")).liaison_name = "自己的单位"
    with pytest.raises(OutOfReach), unit_of_work(db.session, operator):
        db.session.get(Unit, world.unit("haitang_market")).liaison_name = "别人的单位"
    db.session.expire_all()
    assert db.session.get(Unit, world.unit("xiuying_market")).liaison_name == "自己的单位"
    assert db.session.get(Unit, world.unit("haitang_market")).liaison_name != "别人的单位"


def test_a_service_raising_inside_rolls_back_everything_audit_rows_included(published):
    operator = f.actor("unit_operator")
    last = _last_audit_id()
    with pytest.raises(RuntimeError, match="later step failed"), unit_of_work(db.session, operator):
        _create_adjustment(operator, published)
        db.session.flush()
        assert _audit_after(last)  # written in this transaction …
        raise RuntimeError("later step failed")
    assert _audit_after(last) == []  # … and gone with it
    assert _adjustments() == 0


def test_a_nested_unit_of_work_joins_the_outer_one(published):
    operator = f.actor("unit_operator")
    with pytest.raises(RuntimeError), unit_of_work(db.session, operator):
        with unit_of_work(db.session, operator):
            _create_adjustment(operator, published)
        raise RuntimeError("the outer use case fails after the inner block")
    assert _adjustments() == 0  # the inner block did not commit on its own


def test_a_nested_unit_of_work_with_another_actor_is_refused(published):
    operator = f.actor("unit_operator")
    with (
        unit_of_work(db.session, operator),
        pytest.raises(NestedActorError),
        unit_of_work(db.session, system_actor()),
    ):
        pass


def test_the_actor_is_bound_only_for_the_block(ctx, world):
    operator = f.actor("unit_operator")
    with unit_of_work(db.session, operator):
        assert session_actor(db.session) == operator
    assert session_actor(db.session).username == SYSTEM_NAME  # no request: the system


def test_on_commit_runs_after_a_commit_only_and_a_dry_run_keeps_nothing(published):
    operator = f.actor("unit_operator")
    ran: list[str] = []
    with pytest.raises(RuntimeError), unit_of_work(db.session, operator):
        on_commit(db.session, lambda: ran.append("rolled back"))
        raise RuntimeError
    with unit_of_work(db.session, operator, dry_run=True):
        _create_adjustment(operator, published)
        on_commit(db.session, lambda: ran.append("dry run"))
    assert _adjustments() == 0
    with unit_of_work(db.session, operator):
        on_commit(db.session, lambda: ran.append(str(_adjustments())))
        _create_adjustment(operator, published)
    assert ran == ["1"]  # after the commit, which it sees
    with pytest.raises(RuntimeError):
        on_commit(db.session, lambda: None)  # nothing would ever commit it
