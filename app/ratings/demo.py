"""Demo data: twelve months of plausible ratings of the demo units (about 15 a month each),
their poor ratings rectified (mostly on time, a few late, the last days' still open), one
agreed invalid.

Deterministic (a seeded random generator) and idempotent: nothing is added when the first demo
rating's number already exists. The ratings go through the services as the platform import
does; what the tickets' history needs that "now" cannot give (steps months ago) is set on the
rows the services wrote, then the figures' summary is rewritten.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.catalogue.models import ImplementationItem
from app.core import calendar
from app.core.actor import system_actor
from app.core.unit_of_work import unit_of_work
from app.ratings import figures, services
from app.ratings.models import Rating, RectificationTicket
from app.ratings.states import RaterType, RatingSource

PREFIX = "DEMO-PJ-"
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾"
GIVEN = ("伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "洋", "艳", "勇", "军", "杰", "娟", "涛")
# The national scale's usual spread: most ratings are 非常满意.
LEVELS = (("5", 86), ("4", 7), ("3", 3), ("2", 3), ("1", 1))
CHANNELS = (("pc", 30), ("mobile", 35), ("window", 22), ("kiosk", 6), ("hotline", 5), ("sms", 2))
TEXTS = {
    "5": ("办事效率高", "工作人员热情", "一次办好", ""),
    "4": ("挺好的", "流程清楚", ""),
    "3": ("还可以", "等候时间稍长", ""),
    "2": ("排队时间太长", "材料要求没有一次性告知", "窗口人员态度一般"),
    "1": ("跑了三次还没办成", "电话一直打不通", "系统总是出错"),
}


def _pick(rng: random.Random, weighted: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([v for v, _w in weighted], weights=[w for _v, w in weighted])[0]


def seed_demo(session: Session, *, per_unit_month: int = 15) -> str:
    if session.execute(select(Rating.id).where(Rating.rating_no == f"{PREFIX}000001")).first():
        return "ratings already seeded"
    items = (
        session.execute(
            select(ImplementationItem)
            .where(ImplementationItem.status == "active")
            .order_by(ImplementationItem.id)
        )
        .scalars()
        .all()
    )
    if not items:
        return "ratings: no active items"
    rng = random.Random(14)  # noqa: S311 - demo data, not security
    today = calendar.today()
    start = today - dt.timedelta(days=365)
    system = system_actor()
    ratings: list[dict[str, Any]] = []
    number = 0
    by_unit: dict[int, list[ImplementationItem]] = {}
    for item in items:
        by_unit.setdefault(item.unit_id, []).append(item)
    for unit_items in by_unit.values():
        for _month in range(12):
            for _n in range(rng.randint(per_unit_month // 2, per_unit_month * 3 // 2)):
                item = rng.choice(unit_items)
                number += 1
                day = start + dt.timedelta(days=rng.randrange(365))
                level = _pick(rng, LEVELS)
                named = rng.random() < 0.7
                name = rng.choice(SURNAMES) + rng.choice(GIVEN) if named else ""
                data = services.RatingData(
                    rating_no=f"{PREFIX}{number:06d}",
                    item_id=item.id,
                    channel=_pick(rng, CHANNELS),
                    level=level,
                    rated_at=dt.datetime.combine(
                        day, dt.time(rng.randint(8, 17), rng.randint(0, 59))
                    ),
                    text=rng.choice(TEXTS[level]),
                    case_no=f"BJ{day:%Y%m%d}{number:05d}",
                    item_name=item.item_name,
                    rater_name=name,
                    phone=f"13{rng.randint(0, 9)}{rng.randint(10000000, 99999999)}"
                    if named
                    else "",
                    rater_type=RaterType.PERSON.value,
                    id_type="居民身份证" if named else "",
                    id_number=f"4601{rng.randint(10**13, 10**14 - 1)}" if named else "",
                )
                ratings.append(
                    services.rating_values(
                        data,
                        unit_id=item.unit_id,
                        region_id=item.region_id,
                        implementation_code=item.implementation_code,
                        source=RatingSource.IMPORT.value,
                        actor=system,
                    )
                )
    with unit_of_work(session, system):
        touched: set[tuple[int, dt.date]] = set()
        for first in range(0, len(ratings), 2000):
            touched |= services.add_imported(session, ratings[first : first + 2000], actor=system)
        services.refresh_figures(session, touched)
        _work_the_tickets(session, rng, today)
    return f"ratings: {len(ratings)}"


def _work_the_tickets(session: Session, rng: random.Random, today: dt.date) -> None:
    """Take every ticket older than a week through its steps, as the unit would have."""
    tickets = (
        session.execute(select(RectificationTicket).join(Rating).order_by(Rating.rated_at))
        .scalars()
        .all()
    )
    system = system_actor()
    invalid_done = False
    for ticket in tickets:
        rated_on = ticket.rating.rated_on
        if (today - rated_on).days < 7:
            continue  # the last days' poor ratings are still being handled
        if not invalid_done and ticket.rating.level == "1":
            services.verify(
                session, ticket.id, valid=False, invalid_reason="not_service",
                note="评价内容为对政策本身的意见，与窗口服务无关", version=None, actor=system,
            )  # fmt: skip
            services.decide_invalid(
                session, ticket.id, agree=True, note="同意", version=None, actor=system
            )
            invalid_done = True
        else:
            services.verify(session, ticket.id, valid=True, version=None, actor=system)
            services.rectify(
                session, ticket.id, measures="已向评价人说明情况，并优化窗口引导", version=None,
                actor=system,
            )  # fmt: skip
            if ticket.rating.real_name:
                services.call_back(
                    session, ticket.id, reached=True, satisfied=rng.random() < 0.85,
                    version=None, actor=system,
                )  # fmt: skip
        # When it happened: within the deadline for most, a few working days late for some.
        late = rng.random() < 0.08
        done_on = ticket.deadline.due_date + dt.timedelta(days=rng.randint(1, 4)) if late else (
            rated_on + dt.timedelta(days=rng.randint(0, (ticket.deadline.due_date - rated_on).days))
        )  # fmt: skip
        done_at = calendar.to_utc(dt.datetime.combine(done_on, dt.time(15, 30)))
        for deadline in (ticket.deadline, ticket.verify_deadline):
            if deadline.completed_at is not None:
                deadline.completed_at = done_at
        if ticket.closed_at is not None:
            ticket.closed_at = done_at
        for step in ticket.steps:
            step.at = done_at
    session.flush()
    figures.refresh(session, {(t.unit_id, t.rating.rated_on) for t in tickets})
