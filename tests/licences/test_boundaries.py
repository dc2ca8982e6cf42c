"""One use case, one transaction: a licence transition that fails part-way leaves nothing."""

from __future__ import annotations

from sqlalchemy import func, select

from app.core.models import AuditLog
from app.extensions import db
from app.licences import services
from app.licences.models import LicenceEntry
from tests.licences.factories import make_entry, version_of


def _audit_rows(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(AuditLog))


def _state(app, entry_id) -> str:
    with app.app_context():
        return db.session.get(LicenceEntry, entry_id).state


def test_an_approval_failing_after_its_writes_leaves_the_entry_submitted_through_the_api(
    world, app, api_token, fail_after
):
    with app.app_context():
        entry_id = make_entry(world.unit("xiuying_market"), state="submitted")
    headers = api_token("licence_reviewer")  # signing in is audited: before counting
    written = fail_after(services, "approve")
    audit_before = _audit_rows(app)
    response = app.test_client().post(
        f"/api/v1/licence_review/entry/{entry_id}/approve",
        headers=headers,
        json={"version": version_of(app, LicenceEntry, entry_id)},
    )
    assert response.status_code == 422
    assert written and written[0] > 0  # the approval was written (and audited) before it failed
    assert _state(app, entry_id) == "submitted"
    assert _audit_rows(app) == audit_before


def test_a_deprecation_failing_after_its_writes_leaves_the_entry_published_in_the_view(
    world, app, login, fail_after
):
    with app.app_context():
        entry_id = make_entry(world.unit("xiuying_market"), state="approved")
    client = login("unit_operator")  # signing in is audited: before counting
    written = fail_after(services, "deprecate")
    audit_before = _audit_rows(app)
    response = client.post(
        f"/licenceentryview/deprecate/{entry_id}",
        data={"reason": "已合并", "version": version_of(app, LicenceEntry, entry_id)},
    )
    assert response.status_code == 302
    assert written and written[0] > 0
    assert _state(app, entry_id) == "approved"
    assert _audit_rows(app) == audit_before
