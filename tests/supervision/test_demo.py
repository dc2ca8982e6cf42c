"""The supervision demo: the checklist, two plans, findings and orders in every state, once."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from app.extensions import db
from app.supervision.demo import seed_demo
from app.supervision.models import CheckPlan, CheckPoint, Finding, RectificationOrder
from tests.supervision.factories import item


def test_seed_demo_fills_plans_findings_and_orders_in_every_state_once(app, world, clock):
    clock(dt.datetime(2026, 6, 15, 2, 0, tzinfo=dt.UTC))
    with app.app_context():
        item(world, published=True)  # lacks its phone and hours: the online check finds it
        db.session.commit()
        summary = seed_demo(db.session)
        db.session.commit()
        assert summary.startswith("supervision:")
        assert db.session.scalar(select(func.count()).select_from(CheckPlan)) == 2
        assert db.session.scalar(select(func.count()).select_from(CheckPoint)) == 10
        sources = set(db.session.execute(select(Finding.source)).scalars())
        assert sources == {"auto", "manual"}
        orders = db.session.execute(select(RectificationOrder)).scalars().all()
        assert {o.state for o in orders} == {"issued", "answered", "closed"}
        assert any(o.overdue for o in orders) and any(o.rounds == 2 for o in orders)
        assert {f.state for f in db.session.execute(select(Finding)).scalars()} >= {
            "open",
            "ordered",
            "closed",
        }
        assert seed_demo(db.session) == "supervision already seeded"
