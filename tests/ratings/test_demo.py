"""The ratings demo: twelve months of ratings of the demo units, tickets worked, idempotent."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from app.core import calendar
from app.core.actor import system_actor
from app.ratings import figures
from app.ratings.demo import seed_demo
from app.ratings.models import Rating, RectificationTicket
from tests.ratings.factories import rated_item


def test_seed_demo_fills_twelve_months_once(app, world):
    with app.app_context():
        from app.extensions import db

        rated_item(world)
        rated_item(world, "haitang_market")
        db.session.commit()
        summary = seed_demo(db.session, per_unit_month=4)
        db.session.commit()
        count = db.session.scalar(select(func.count()).select_from(Rating))
        assert summary == f"ratings: {count}" and count > 50
        first, last = db.session.execute(
            select(func.min(Rating.rated_on), func.max(Rating.rated_on))
        ).one()
        assert (last - first).days > 300
        assert db.session.scalar(select(func.count()).select_from(RectificationTicket)) > 0
        assert (
            db.session.scalar(
                select(func.count())
                .select_from(RectificationTicket)
                .where(RectificationTicket.state == "invalid")
            )
            <= 1
        )
        today = calendar.today()
        _rows, total = figures.compute(
            db.session, actor=system_actor(), start=today - dt.timedelta(days=400), end=today,
            group_by="unit",
        )  # fmt: skip
        assert total.ratings == count and 0.8 < total.good_rate < 1.0
        assert seed_demo(db.session) == "ratings already seeded"
