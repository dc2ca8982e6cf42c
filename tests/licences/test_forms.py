"""The HTML forms (select lists from closed lists, published-catalogue choices) save correctly."""

from __future__ import annotations

import datetime as dt

from app.core import calendar
from app.extensions import db
from app.licences.models import (
    LicenceEntry,
    LicenceObjection,
    LicenceStatusEvent,
    LicenceUsageApplication,
)
from tests.licences.factories import licence_number, make_entry


def test_add_forms_render_for_the_issuing_unit(world, login):
    client = login("unit_operator")
    for url in (
        "/licenceentryview/add",
        "/licenceusageapplicationview/add",
        "/licenceobjectionview/add",
        "/licencestatuseventview/add",
        "/licenceitemlinkview/add",
    ):
        response = client.get(url)
        assert response.status_code == 200, url


def test_usage_application_form_offers_other_units_published_licences(world, app, login):
    with app.app_context():
        published = make_entry(
            world.unit("haitang_market"), number=1, state="approved", name="海棠发证"
        )
        make_entry(world.unit("haitang_market"), number=2, name="海棠草稿")
    client = login("unit_operator")
    form = client.get("/licenceusageapplicationview/add").get_data(as_text=True)
    assert "海棠发证" in form and "海棠草稿" not in form
    response = client.post(
        "/licenceusageapplicationview/add",
        data={
            "applicant_unit": str(world.unit("xiuying_market")),
            "entry": str(published),
            "can_verify": "y",
            "mode": "public",
            "service_items": "食品经营许可",
            "reason": "核验",
            "requested_end_date": (calendar.today() + dt.timedelta(days=30)).isoformat(),
        },
    )
    assert response.status_code == 302
    with app.app_context():
        application = db.session.query(LicenceUsageApplication).one()
        assert application.entry_id == published and application.mode == "public"
        assert application.state == "draft"


def test_editing_a_rejected_entry_in_the_form_revises_it(world, app, login):
    with app.app_context():
        entry_id = make_entry(world.unit("xiuying_market"), state="rejected", name="旧")
        entry = db.session.get(LicenceEntry, entry_id)
        version, code = entry.version, entry.type_code
    response = login("unit_operator").post(
        f"/licenceentryview/edit/{entry_id}",
        data={
            "name": "新",
            "type_code": code,
            "issuing_unit": str(world.unit("xiuying_market")),
            "holder_category": "legal",
            "validity_rule": "long_term",
            "trust_level": "sealed",
            "lock_version": str(version),
        },
    )
    assert response.status_code == 302
    with app.app_context():
        entry = db.session.get(LicenceEntry, entry_id)
        assert (entry.name, entry.state) == ("新", "revised")


def test_objection_and_event_forms_save(world, app, login):
    with app.app_context():
        entry_id = make_entry(world.unit("xiuying_market"), state="approved")
        number = licence_number(entry_id)
    client = login("unit_operator")
    client.post(
        "/licenceobjectionview/add",
        data={
            "entry": str(entry_id),
            "licence_number": number,
            "holder_name": "某公司",
            "disputed_field": "住所",
            "claim": "住所有误",
            "raised_by": "王五",
            "source": "using_unit",
            "received_on": calendar.today().isoformat(),
        },
    )
    client.post(
        "/licencestatuseventview/add",
        data={
            "entry": str(entry_id),
            "licence_number": number,
            "event_type": "extension",
            "event_date": calendar.today().isoformat(),
            "reason": "延长有效期",
        },
    )
    with app.app_context():
        objection = db.session.query(LicenceObjection).one()
        assert objection.source == "using_unit" and objection.mark_deadline is not None
        assert db.session.query(LicenceStatusEvent).one().event_type == "extension"
