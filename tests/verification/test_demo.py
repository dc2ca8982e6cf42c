"""The verification demo: requests in every state between the demo window and 秀英区教育局,
one overdue in both queues, idempotent."""

from __future__ import annotations

from sqlalchemy import select

from app.core import services as core_services
from app.core.demo import demo_credit_code
from app.core.models import Unit
from app.core.states import UnitKind
from app.extensions import db
from app.verification import services
from app.verification.demo import seed_demo
from app.verification.models import VerificationRequest
from tests.catalogue.factories import basic_entry
from tests.catalogue.factories import item as make_item
from tests.verification.factories import actor, published_item


def test_seed_demo_shows_every_state_once(app, setup):
    with app.app_context():
        xiuying = db.session.get(Unit, setup.unit("xiuying_market")).region
        unit = Unit(
            name="海口市秀英区民政局",
            region=xiuying,
            kind=UnitKind.DEPARTMENT.value,
            credit_code=demo_credit_code("海口市秀英区民政局", "460105", UnitKind.DEPARTMENT),
        )
        core_services.prepare_unit(db.session, unit)
        db.session.add(unit)
        published_item(setup)
        make_item(setup, "xiuying_market", basic_entry(code="460105066666"), published=True)
        db.session.commit()
        assert seed_demo(db.session) == "verification requests: 7, item-list lines filed: 1"
        db.session.commit()
        states = sorted(db.session.execute(select(VerificationRequest.state)).scalars())
        assert states == [
            "pending",
            "pending",
            "pending",
            "pending",
            "rerouted",
            "returned",
            "verified",
        ]
        overdue = [
            r for r in db.session.execute(select(VerificationRequest)).scalars() if r.overdue
        ]
        assert [r.case_no for r in overdue] == ["DEMO-MZB-0003"]
        incoming = services.queue(db.session, actor=actor("issuer_window"))
        assert incoming[0].case_no == "DEMO-MZB-0003"
        outgoing = services.queue(db.session, actor=actor("window_staff"), side="outgoing")
        assert outgoing[0].case_no == "DEMO-MZB-0003"
        assert seed_demo(db.session) == "verification requests already seeded"
