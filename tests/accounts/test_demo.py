"""The demo data of the accounts domain: requests in every state, idempotent."""

from __future__ import annotations

from sqlalchemy import func, select

from app.accounts.demo import seed_demo
from app.accounts.models import AccountRequest, WindowUser
from app.core.models import Unit


def test_seed_demo_twice_adds_nothing_the_second_time(app, world):
    with app.app_context():
        from app.extensions import db

        seed_demo(db.session)
        db.session.commit()
        counts = (
            db.session.execute(select(func.count()).select_from(WindowUser)).scalar_one(),
            db.session.execute(select(func.count()).select_from(AccountRequest)).scalar_one(),
        )
        # The demo window user and the one approved; two pending, one approved, one rejected.
        assert counts == (2, 4)
        states = db.session.execute(select(AccountRequest.state)).scalars().all()
        assert sorted(states) == ["approved", "pending", "pending", "rejected"]
        assert db.session.get(Unit, world.unit("xiuying_market")).liaison_name == "符敏"
        assert seed_demo(db.session).endswith(": 0")
        db.session.commit()
        assert counts == (
            db.session.execute(select(func.count()).select_from(WindowUser)).scalar_one(),
            db.session.execute(select(func.count()).select_from(AccountRequest)).scalar_one(),
        )
