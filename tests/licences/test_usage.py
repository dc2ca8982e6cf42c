"""Usage applications (art. 15): apply, review the same way, scope and expiry."""

from __future__ import annotations

import datetime as dt

from app.core import calendar
from app.extensions import db
from app.licences.models import LicenceUsageApplication
from tests.licences.factories import make_application, make_entry, version_of


def _published(world, app, unit="xiuying_market"):
    with app.app_context():
        return make_entry(world.unit(unit), number=1, state="approved", name="营业执照")


def _v(app, app_id):
    """The body of a transition: the version the client loaded (optimistic lock)."""
    return {"version": version_of(app, LicenceUsageApplication, app_id)}


def _payload(world, entry_id, **overrides):
    return {
        "entry": entry_id,
        "applicant_unit": world.unit("haitang_market"),
        "can_call": False,
        "can_view": False,
        "can_verify": True,
        "can_authorize": False,
        "mode": "sharing",
        "service_items": "食品经营许可（新办）",
        "reason": "受理时核验营业执照",
        "requested_end_date": (calendar.today() + dt.timedelta(days=200)).isoformat(),
        **overrides,
    }


def test_unit_applies_for_another_units_licence_and_reviewer_approves_with_scope(
    world, app, api_token
):
    entry_id = _published(world, app)
    client = app.test_client()
    applicant = api_token("unit_operator2")
    created = client.post(
        "/api/v1/licence_usage_application/", headers=applicant, json=_payload(world, entry_id)
    )
    assert created.status_code == 201, created.get_data(as_text=True)
    app_id = created.json["id"]
    submitted = client.post(
        f"/api/v1/licence_usage_application/{app_id}/submit",
        headers=applicant,
        json=_v(app, app_id),
    )
    assert submitted.json["state"] == "submitted"
    reviewer = api_token("licence_reviewer")
    end = (calendar.today() + dt.timedelta(days=100)).isoformat()
    response = client.post(
        f"/api/v1/licence_review/application/{app_id}/approve",
        headers=reviewer,
        json={"scope": "仅限食品经营许可新办", "end_date": end, **_v(app, app_id)},
    )
    assert response.status_code == 200 and response.json["state"] == "approved"
    shown = client.get(f"/api/v1/licence_usage_application/{app_id}", headers=applicant).json
    assert shown["result"]["approved_scope"] == "仅限食品经营许可新办"
    assert shown["result"]["approved_end_date"] == end


def test_approved_end_date_cannot_exceed_the_requested_one(world, app, api_token):
    entry_id = _published(world, app)
    with app.app_context():
        app_id = make_application(world.unit("haitang_market"), entry_id, state="submitted")
        requested = db.session.get(LicenceUsageApplication, app_id).requested_end_date
    response = app.test_client().post(
        f"/api/v1/licence_review/application/{app_id}/approve",
        headers=api_token("licence_reviewer"),
        json={"end_date": (requested + dt.timedelta(days=1)).isoformat(), **_v(app, app_id)},
    )
    assert response.status_code == 422


def test_application_needs_a_use_reason_items_and_a_published_licence(world, app, api_token):
    entry_id = _published(world, app)
    with app.app_context():
        draft_entry = make_entry(world.unit("xiuying_market"), number=2)
    client = app.test_client()
    applicant = api_token("unit_operator2")
    cases = [
        ({"can_verify": False}, "can_call"),
        ({"reason": " "}, "reason"),
        ({"service_items": ""}, "service_items"),
        ({"entry": draft_entry}, "entry"),
        ({"requested_end_date": calendar.today().isoformat()}, "requested_end_date"),
    ]
    for overrides, field in cases:
        response = client.post(
            "/api/v1/licence_usage_application/",
            headers=applicant,
            json=_payload(world, entry_id, **overrides),
        )
        assert response.status_code == 422, overrides
        assert field in response.json["errors"], overrides


def test_rejected_application_is_revised_and_resubmitted(world, app, api_token, login):
    entry_id = _published(world, app)
    with app.app_context():
        app_id = make_application(world.unit("haitang_market"), entry_id, state="submitted")
    client = app.test_client()
    reviewer = api_token("licence_reviewer")
    assert (
        client.post(
            f"/api/v1/licence_review/application/{app_id}/reject",
            headers=reviewer,
            json=_v(app, app_id),
        ).status_code
        == 422
    )
    client.post(
        f"/api/v1/licence_review/application/{app_id}/reject",
        headers=reviewer,
        json={"reason": "调用范围过宽", **_v(app, app_id)},
    )
    applicant = api_token("unit_operator2")
    edited = client.put(
        f"/api/v1/licence_usage_application/{app_id}",
        headers=applicant,
        json={"reason": "仅核验", "version": 3},
    )
    assert edited.status_code == 200, edited.get_data(as_text=True)
    again = client.post(
        f"/api/v1/licence_usage_application/{app_id}/submit",
        headers=applicant,
        json=_v(app, app_id),
    )
    assert again.json["state"] == "resubmitted"
    page = login("licence_reviewer").get(f"/licencereview/application/{app_id}")
    text = page.get_data(as_text=True)
    assert "仅核验" in text and "办理事项时核验" in text and "调用范围过宽" in text


def test_reviewer_of_the_applicant_unit_cannot_decide(world, app, api_token):
    from app.core.models import AppUser

    entry_id = _published(world, app)
    with app.app_context():
        app_id = make_application(world.unit("haitang_market"), entry_id, state="submitted")
        db.session.get(AppUser, world.user("licence_reviewer")).unit_id = world.unit(
            "haitang_market"
        )
        db.session.commit()
    response = app.test_client().post(
        f"/api/v1/licence_review/application/{app_id}/approve",
        headers=api_token("licence_reviewer"),
        json=_v(app, app_id),
    )
    assert response.status_code == 403


def test_expired_approvals_show_as_expired(world, app, login):
    entry_id = _published(world, app)
    with app.app_context():
        make_application(
            world.unit("haitang_market"),
            entry_id,
            state="approved",
            end=dt.date(2026, 1, 31),
            approved_end=dt.date(2026, 1, 31),
        )
    page = login("unit_operator2").get("/licenceusageapplicationview/list/").get_data(as_text=True)
    assert "已过期" in page


def test_submitted_application_cannot_be_edited(world, app, api_token):
    entry_id = _published(world, app)
    with app.app_context():
        app_id = make_application(world.unit("haitang_market"), entry_id, state="submitted")
    response = app.test_client().put(
        f"/api/v1/licence_usage_application/{app_id}",
        headers=api_token("unit_operator2"),
        json={"reason": "改", "version": 1},
    )
    assert response.status_code == 409


def test_application_names_the_applicant_units_own_items(world, app, api_token, login):
    from tests.catalogue import factories as catalogue

    entry_id = _published(world, app)
    with app.app_context():
        own = catalogue.item(world, "haitang_market").id
        foreign = catalogue.item(
            world, "xiuying_market", catalogue.basic_entry("460105002000", "食品生产许可")
        ).id
        db.session.commit()
    client = app.test_client()
    applicant = api_token("unit_operator2")
    refused = client.post(
        "/api/v1/licence_usage_application/",
        headers=applicant,
        json=_payload(world, entry_id, items=[foreign]),
    )
    assert refused.status_code == 422
    assert "items" in refused.json["errors"]
    created = client.post(
        "/api/v1/licence_usage_application/",
        headers=applicant,
        json=_payload(world, entry_id, items=[own]),
    )
    assert created.status_code == 201, created.get_data(as_text=True)
    shown = client.get(
        f"/api/v1/licence_usage_application/{created.json['id']}", headers=applicant
    ).json["result"]
    assert [item["id"] for item in shown["items"]] == [own]
    form = login("unit_operator2").get("/licenceusageapplicationview/add").get_data(as_text=True)
    assert "食品经营许可" in form and "食品生产许可" not in form
