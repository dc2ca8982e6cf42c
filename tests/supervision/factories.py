"""Factories of the supervision domain: supervisors of a county, check points, plans, findings
ordered along."""

from __future__ import annotations

import itertools
from typing import Any

from app.core.actor import Actor, system_actor
from app.core.models import AppUser, Region, Unit
from app.core.roles import SUPERVISOR
from app.extensions import appbuilder, db
from app.supervision import services
from app.supervision.models import CheckPlan, CheckPoint, Finding, RectificationOrder
from tests.catalogue.factories import actor, basic_entry, item
from tests.factories import PASSWORD

__all__ = ["actor", "basic_entry", "check_point", "county_supervisor", "item", "plan"]

_codes = itertools.count(1)


def county_supervisor(world: Any, username: str, region_code: str) -> int:
    """A supervisor whose reach is one county (the world's supervisor is the province's)."""
    sm = appbuilder.sm
    user = sm.add_user(
        username=username,
        first_name=username,
        last_name="",
        email=f"{username}@test.example",
        role=[sm.find_role(SUPERVISOR)],
        password=PASSWORD,
    )
    user = db.session.get(AppUser, user.id)
    user.region_id = world.region(region_code)
    db.session.commit()
    return user.id


def check_point(rule_key: str | None = None, severity: str = "medium", **values: Any) -> CheckPoint:
    point = CheckPoint(
        code=values.pop("code", f"JC{next(_codes):04d}"),
        description=values.pop("description", rule_key or "现场检查"),
        severity=severity,
        legal_basis=values.pop("legal_basis", "《海南省政务服务事项管理办法》第二十一条"),
        rule_key=rule_key,
        **values,
    )
    services.validate_check_point(db.session, point)
    db.session.add(point)
    db.session.flush()
    return point


def plan(
    world: Any,
    points: list[CheckPoint],
    *,
    regions: tuple[str, ...] = ("460000",),
    units: tuple[str, ...] = (),
    by: Actor | None = None,
    kind: str = "online",
) -> CheckPlan:
    import datetime as dt

    row = CheckPlan(
        name="2026年第一季度网上督查",
        kind=kind,
        period_start=dt.date(2026, 1, 1),
        period_end=dt.date(2026, 12, 31),
        regions=[db.session.get(Region, world.region(code)) for code in regions],
        units=[db.session.get(Unit, world.unit(key)) for key in units],
        check_points=list(points),
        created_by="test",
    )
    services.prepare_plan(db.session, row, actor=by or system_actor())
    db.session.add(row)
    db.session.flush()
    return row


def findings(plan_id: int, **where: Any) -> list[Finding]:
    query = db.session.query(Finding).filter_by(plan_id=plan_id, **where).order_by(Finding.id)
    return query.all()


def version_of(order_id: int) -> int:
    db.session.expire_all()
    return db.session.get(RectificationOrder, order_id).version
