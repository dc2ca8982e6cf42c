"""Objections (art. 18): mark within 1 working day, verify within 5, overdue flagged and counted."""

from __future__ import annotations

import datetime as dt

from app.core import calendar
from app.core.actor import system_actor
from app.extensions import db
from app.licences import services
from app.licences.models import LicenceObjection
from tests.licences.factories import licence_number, make_entry, make_objection, version_of


def _v(app, objection_id):
    """The body of a transition: the version the client loaded (optimistic lock)."""
    return {"version": version_of(app, LicenceObjection, objection_id)}


def _published(world, app, unit="xiuying_market"):
    with app.app_context():
        return make_entry(world.unit(unit), number=1, state="approved")


def test_recording_an_objection_sets_deadlines_over_the_national_day_holiday(world, app, api_token):
    entry_id = _published(world, app)
    with app.app_context():
        number = licence_number(entry_id)
    response = app.test_client().post(
        "/api/v1/licence_objection/",
        headers=api_token("unit_operator"),
        json={
            "entry": entry_id,
            "licence_number": number,
            "holder_name": "海口某某有限公司",
            "disputed_field": "法定代表人",
            "claim": "法定代表人已变更",
            "raised_by": "李四",
            "source": "holder",
            "received_on": "2026-09-30",
        },
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    with app.app_context():
        objection = db.session.get(LicenceObjection, response.json["id"])
        # 1 and 5 working days after 30 September 2026 skip the 1–7 October holiday.
        assert objection.mark_deadline.due_date == dt.date(2026, 10, 8)
        assert objection.verify_deadline.due_date == dt.date(2026, 10, 13)
        assert objection.state == "received"


def test_licence_number_must_be_of_the_licence_type_with_a_valid_check_character(
    world, app, api_token
):
    entry_id = _published(world, app)
    other = _published(world, app, unit="haitang_market")
    with app.app_context():
        good = licence_number(entry_id)
        foreign = licence_number(other)
    wrong_check = good[:-1] + ("A" if good[-1] != "A" else "B")
    client = app.test_client()
    for number in (wrong_check, foreign, "123"):
        response = client.post(
            "/api/v1/licence_objection/",
            headers=api_token("unit_operator"),
            json={
                "entry": entry_id,
                "licence_number": number,
                "holder_name": "x",
                "disputed_field": "x",
                "claim": "x",
                "raised_by": "x",
                "source": "holder",
                "received_on": calendar.today().isoformat(),
            },
        )
        assert response.status_code == 422, number
        assert "licence_number" in response.json["errors"]


def test_check_character_matches_the_published_example():
    example = "1.2.156.3005.2.11100000000013338W032.11220000013544541J.2430599.001.F"
    assert services.licence_number_message(example) is None


def test_mark_then_resolve_closes_both_deadlines(world, app, api_token):
    entry_id = _published(world, app)
    with app.app_context():
        objection_id = make_objection(entry_id)
    client = app.test_client()
    headers = api_token("unit_operator")
    early = client.post(
        f"/api/v1/licence_objection/{objection_id}/resolve",
        headers=headers,
        json={"outcome": "corrected", **_v(app, objection_id)},
    )
    assert early.status_code == 409
    assert (
        client.post(
            f"/api/v1/licence_objection/{objection_id}/mark",
            headers=headers,
            json=_v(app, objection_id),
        ).json["state"]
        == "marked"
    )
    assert (
        client.post(
            f"/api/v1/licence_objection/{objection_id}/mark",
            headers=headers,
            json=_v(app, objection_id),
        ).status_code
        == 409
    )
    incomplete = client.post(
        f"/api/v1/licence_objection/{objection_id}/resolve",
        headers=headers,
        json={"outcome": "corrected", **_v(app, objection_id)},
    )
    assert incomplete.status_code == 422
    done = client.post(
        f"/api/v1/licence_objection/{objection_id}/resolve",
        headers=headers,
        json={
            "outcome": "corrected",
            "outcome_note": "核实后更正住所",
            "applicant_told_on": calendar.today().isoformat(),
            "applicant_told_how": "电话告知",
            **_v(app, objection_id),
        },
    )
    assert done.status_code == 200 and done.json["state"] == "resolved"
    with app.app_context():
        objection = db.session.get(LicenceObjection, objection_id)
        assert objection.mark_deadline.completed_at is not None
        assert objection.verify_deadline.completed_at is not None


def test_overdue_objections_are_flagged_and_counted(world, app, login):
    entry_id = _published(world, app)
    other = _published(world, app, unit="haitang_market")
    with app.app_context():
        late = make_objection(entry_id, received_on=dt.date(2026, 9, 1))
        make_objection(entry_id, received_on=calendar.today())
        make_objection(other, received_on=dt.date(2026, 9, 1))
        system = system_actor()
        assert services.count_overdue_objections(db.session, actor=system) == 2
        assert (
            services.count_overdue_objections(
                db.session, actor=system, unit_id=world.unit("xiuying_market")
            )
            == 1
        )
        # A marked objection still overdue for verification stays counted.
        objection = db.session.get(LicenceObjection, late)
        services.mark_objection(db.session, objection, actor=system)
        db.session.commit()
        assert services.count_overdue_objections(db.session, actor=system) == 2
        assert (
            services.handled_late_objections_count(
                db.session, actor=system, start=dt.date(2026, 9, 1), end=dt.date(2026, 9, 30)
            )
            == 1
        )
    page = login("unit_operator").get("/licenceobjectionview/list/").get_data(as_text=True)
    assert page.count("逾期") >= 1


def test_a_mark_after_midnight_in_beijing_is_late_though_utc_is_still_on_the_due_day(
    world, app, clock
):
    entry_id = _published(world, app)
    with app.app_context():
        on_time = make_objection(entry_id, received_on=dt.date(2026, 9, 1))  # mark by 2 Sep
        late = make_objection(entry_id, received_on=dt.date(2026, 9, 1))
        system = system_actor()
        clock(dt.datetime(2026, 9, 2, 15, 30, tzinfo=dt.UTC))  # 2 Sep 23:30 in Beijing
        services.mark_objection(db.session, db.session.get(LicenceObjection, on_time), actor=system)
        clock(dt.datetime(2026, 9, 2, 16, 30, tzinfo=dt.UTC))  # 3 Sep 00:30 in Beijing
        services.mark_objection(db.session, db.session.get(LicenceObjection, late), actor=system)
        db.session.commit()
        assert (
            services.handled_late_objections_count(
                db.session, actor=system, start=dt.date(2026, 9, 1), end=dt.date(2026, 9, 30)
            )
            == 1
        )


def test_objection_ui_mark_and_resolve(world, app, login):
    entry_id = _published(world, app)
    with app.app_context():
        objection_id = make_objection(entry_id)
    client = login("unit_operator")
    assert "objection-mark" in client.get(f"/licenceobjectionview/show/{objection_id}").get_data(
        as_text=True
    )
    client.post(f"/licenceobjectionview/mark/{objection_id}", data=_v(app, objection_id))
    client.post(
        f"/licenceobjectionview/resolve/{objection_id}",
        data={
            "outcome": "confirmed",
            "outcome_note": "数据无误",
            "applicant_told_on": calendar.today().isoformat(),
            "applicant_told_how": "短信",
            **_v(app, objection_id),
        },
    )
    with app.app_context():
        assert db.session.get(LicenceObjection, objection_id).state == "resolved"


def test_api_lists_deadlines_and_the_overdue_flag(world, app, api_token):
    entry_id = _published(world, app)
    with app.app_context():
        late = make_objection(entry_id, received_on=dt.date(2026, 9, 30))
    result = (
        app.test_client()
        .get(f"/api/v1/licence_objection/{late}", headers=api_token("unit_operator"))
        .json["result"]
    )
    assert result["mark_due_date"] == "2026-10-08"
    assert result["verify_due_date"] == "2026-10-13"
    assert result["overdue_flag"] is True
