"""One use case, one transaction: a catalogue step that fails part-way leaves nothing."""

from __future__ import annotations

from sqlalchemy import func, select

from app.catalogue import services
from app.catalogue.models import AdjustmentRequest, ImplementationItem, ItemVersion
from app.core.actor import system_actor
from app.core.models import AuditLog
from app.extensions import db
from tests.catalogue import factories as f


def _counts(app) -> tuple[int, int]:
    with app.app_context():
        return tuple(
            db.session.scalar(select(func.count()).select_from(model))
            for model in (AuditLog, ItemVersion)
        )


def test_an_approval_failing_after_it_republished_the_item_leaves_nothing_through_the_api(
    app, world, api_token, fail_after
):
    with app.app_context():
        row = f.item(world, published=True)
        adjustment = services.create_adjustment(
            db.session,
            actor=system_actor(),
            item=row,
            kind="change",
            ground="15.4",
            legal_basis="第十五条",
            proposed_values={"approver": "新审批人"},
        )
        services.submit(db.session, actor=system_actor(), adjustment=adjustment)
        services.transition(
            db.session, actor=system_actor(), adjustment=adjustment, name="pass_legality"
        )
        db.session.commit()
        pk, item_id, version = adjustment.id, row.id, adjustment.version
    headers = api_token("province_admin")  # signing in is audited: before counting
    written = fail_after(services, "transition")
    before = _counts(app)
    response = app.test_client().post(
        f"/api/v1/adjustment/{pk}/transition",
        json={"name": "approve", "version": version},
        headers=headers,
    )
    assert response.status_code == 422
    assert written and written[0] > 0  # applied, republished and audited before it failed
    assert _counts(app) == before  # no audit row, no new published version
    with app.app_context():
        assert db.session.get(AdjustmentRequest, pk).state == "final_review"
        assert db.session.get(ImplementationItem, item_id).approver != "新审批人"
