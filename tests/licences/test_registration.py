"""Registration of catalogue entries (art. 6): every transition and guard, via API and UI."""

from __future__ import annotations

import json

from app.core.models import AppUser, AuditLog
from app.extensions import db
from app.licences.models import LicenceEntry
from tests.licences.factories import make_entry, type_code_for, version_of


def _create_entry(client, headers, world, app, number=7, name="食品经营许可证"):
    with app.app_context():
        code = type_code_for(world.unit("xiuying_market"), number)
    response = client.post(
        "/api/v1/licence_entry/",
        headers=headers,
        json={
            "name": name,
            "type_code": code,
            "issuing_unit": world.unit("xiuying_market"),
            "holder_category": "legal",
            "validity_rule": "fixed",
            "validity_years": 5,
            "trust_level": "sealed",
        },
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.json["id"]


def _add_field(client, headers, entry_id, name="名称", position=1):
    return client.post(
        "/api/v1/licence_face_field/",
        headers=headers,
        json={"entry": entry_id, "position": position, "name": name, "data_type": "text"},
    )


def _v(app, entry_id):
    """The body of a transition: the version the client loaded (optimistic lock)."""
    return {"version": version_of(app, LicenceEntry, entry_id)}


def _state(app, entry_id):
    with app.app_context():
        return db.session.get(LicenceEntry, entry_id).state


def test_unit_registers_submits_and_reviewer_publishes(world, app, api_token):
    from sqlalchemy import func

    with app.app_context():
        # The audit log is kept between tests (append-only) and ids are reused: look past it.
        last_audit = db.session.query(func.max(AuditLog.id)).scalar() or 0
    client = app.test_client()
    unit = api_token("unit_operator")
    entry_id = _create_entry(client, unit, world, app)
    assert _add_field(client, unit, entry_id).status_code == 201
    assert client.post(
        f"/api/v1/licence_entry/{entry_id}/submit", headers=unit, json=_v(app, entry_id)
    ).json["state"] == ("submitted")
    reviewer = api_token("licence_reviewer")
    queue = client.get("/api/v1/licence_review/queue", headers=reviewer).json["result"]
    assert [row["id"] for row in queue["entry"]] == [entry_id]
    assert queue["entry"][0]["waiting_working_days"] == 0
    response = client.post(
        f"/api/v1/licence_review/entry/{entry_id}/approve", headers=reviewer, json=_v(app, entry_id)
    )
    assert response.status_code == 200 and response.json["state"] == "approved"
    catalogue = client.get("/api/v1/licence_catalogue/", headers=api_token("window_staff")).json
    assert [row["name"] for row in catalogue["result"]] == ["食品经营许可证"]
    with app.app_context():
        transitions = (
            db.session.query(AuditLog)
            .filter_by(object_type="LicenceEntry", object_id=str(entry_id), action="transition")
            .filter(AuditLog.id > last_audit)
        )
        assert [json.loads(t.after)["state"] for t in transitions.order_by(AuditLog.id)] == [
            "submitted",
            "approved",
        ]


def test_type_code_must_be_credit_code_plus_three_digits_and_unique(world, app, api_token):
    client = app.test_client()
    unit = api_token("unit_operator")
    _create_entry(client, unit, world, app, number=1)
    with app.app_context():
        code = type_code_for(world.unit("xiuying_market"), 1)
    base = {
        "name": "x",
        "issuing_unit": world.unit("xiuying_market"),
        "holder_category": "legal",
        "validity_rule": "long_term",
        "trust_level": "sealed",
    }
    duplicate = client.post(
        "/api/v1/licence_entry/", headers=unit, json={**base, "type_code": code}
    )
    assert duplicate.status_code == 422
    assert "type_code" in duplicate.json["errors"]
    bad_check = code[:17] + ("0" if code[17] != "0" else "1") + "002"
    for bad in (bad_check, code[:18] + "02", code[:18] + "0A2"):
        response = client.post(
            "/api/v1/licence_entry/", headers=unit, json={**base, "type_code": bad}
        )
        assert response.status_code == 422, bad
        assert "type_code" in response.json["errors"]


def test_fixed_validity_needs_years(world, app, api_token):
    client = app.test_client()
    with app.app_context():
        code = type_code_for(world.unit("xiuying_market"), 3)
    response = client.post(
        "/api/v1/licence_entry/",
        headers=api_token("unit_operator"),
        json={
            "name": "x",
            "type_code": code,
            "issuing_unit": world.unit("xiuying_market"),
            "holder_category": "legal",
            "validity_rule": "fixed",
            "trust_level": "sealed",
        },
    )
    assert response.status_code == 422
    assert "validity_years" in response.json["errors"]


def test_submit_without_face_fields_is_refused(world, app, api_token):
    with app.app_context():
        entry_id = make_entry(world.unit("xiuying_market"), fields=0)
    response = app.test_client().post(
        f"/api/v1/licence_entry/{entry_id}/submit",
        headers=api_token("unit_operator"),
        json=_v(app, entry_id),
    )
    assert response.status_code == 422
    assert _state(app, entry_id) == "draft"


def test_reject_without_reason_is_refused(world, app, api_token):
    with app.app_context():
        entry_id = make_entry(world.unit("xiuying_market"), state="submitted")
    client = app.test_client()
    reviewer = api_token("licence_reviewer")
    for body in ({}, {"reason": "   "}):
        response = client.post(
            f"/api/v1/licence_review/entry/{entry_id}/reject",
            headers=reviewer,
            json={**body, **_v(app, entry_id)},
        )
        assert response.status_code == 422
    assert _state(app, entry_id) == "submitted"


def test_a_review_refusal_carries_the_message_and_the_field_errors(world, app, api_token):
    with app.app_context():
        entry_id = make_entry(world.unit("xiuying_market"), state="submitted")
    response = app.test_client().post(
        f"/api/v1/licence_review/entry/{entry_id}/reject",
        headers=api_token("licence_reviewer"),
        json={"reason": " ", **_v(app, entry_id)},
    )
    assert response.status_code == 422
    assert list(response.json["errors"]) == ["reason"]
    assert response.json["message"] == response.json["errors"]["reason"]


def test_rejected_entry_is_revised_by_edit_and_resubmitted_with_diff(world, app, api_token, login):
    with app.app_context():
        entry_id = make_entry(world.unit("xiuying_market"), state="submitted", name="旧名称")
    client = app.test_client()
    reviewer = api_token("licence_reviewer")
    response = client.post(
        f"/api/v1/licence_review/entry/{entry_id}/reject",
        headers=reviewer,
        json={"reason": "名称不规范", **_v(app, entry_id)},
    )
    assert response.json["state"] == "rejected"
    unit = api_token("unit_operator")
    version = client.get(f"/api/v1/licence_entry/{entry_id}", headers=unit).json["result"][
        "version"
    ]
    response = client.put(
        f"/api/v1/licence_entry/{entry_id}",
        headers=unit,
        json={"name": "新名称", "version": version},
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    assert _state(app, entry_id) == "revised"
    submit = client.post(
        f"/api/v1/licence_entry/{entry_id}/submit", headers=unit, json=_v(app, entry_id)
    )
    assert submit.json["state"] == "resubmitted"
    page = login("licence_reviewer").get(f"/licencereview/entry/{entry_id}").get_data(as_text=True)
    assert 'id="rejection-diff"' in page
    assert "旧名称" in page and "新名称" in page
    assert "名称不规范" in page
    approve = client.post(
        f"/api/v1/licence_review/entry/{entry_id}/approve", headers=reviewer, json=_v(app, entry_id)
    )
    assert approve.json["state"] == "approved"


def test_rejected_entry_cannot_be_resubmitted_without_revision(world, app, api_token):
    with app.app_context():
        entry_id = make_entry(world.unit("xiuying_market"), state="rejected")
    response = app.test_client().post(
        f"/api/v1/licence_entry/{entry_id}/submit",
        headers=api_token("unit_operator"),
        json=_v(app, entry_id),
    )
    assert response.status_code == 409


def test_published_entry_is_read_only(world, app, api_token):
    with app.app_context():
        entry_id = make_entry(world.unit("xiuying_market"), state="approved")
    client = app.test_client()
    unit = api_token("unit_operator")
    response = client.put(
        f"/api/v1/licence_entry/{entry_id}", headers=unit, json={"name": "改名", "version": 1}
    )
    assert response.status_code == 409
    field = client.post(
        "/api/v1/licence_face_field/",
        headers=unit,
        json={"entry": entry_id, "position": 9, "name": "新字段", "data_type": "text"},
    )
    assert field.status_code == 409
    assert client.delete(f"/api/v1/licence_entry/{entry_id}", headers=unit).status_code == 409


def test_submitted_entry_cannot_be_approved_twice_or_from_draft(world, app, api_token):
    with app.app_context():
        draft = make_entry(world.unit("xiuying_market"))
        published = make_entry(world.unit("xiuying_market"), number=2, state="approved")
    client = app.test_client()
    reviewer = api_token("licence_reviewer")
    for entry_id in (draft, published):
        response = client.post(
            f"/api/v1/licence_review/entry/{entry_id}/approve",
            headers=reviewer,
            json=_v(app, entry_id),
        )
        assert response.status_code == 409


def test_deprecating_keeps_the_entry_readable_and_needs_a_reason(world, app, api_token, login):
    with app.app_context():
        entry_id = make_entry(world.unit("xiuying_market"), state="approved")
    client = app.test_client()
    unit = api_token("unit_operator")
    assert (
        client.post(
            f"/api/v1/licence_entry/{entry_id}/deprecate", headers=unit, json=_v(app, entry_id)
        ).status_code
        == 422
    )
    response = client.post(
        f"/api/v1/licence_entry/{entry_id}/deprecate",
        headers=unit,
        json={"reason": "已合并", **_v(app, entry_id)},
    )
    assert response.json["state"] == "deprecated"
    assert client.get(f"/api/v1/licence_entry/{entry_id}", headers=unit).status_code == 200
    page = login("window_staff").get(f"/licencecatalogueview/show/{entry_id}")
    assert page.status_code == 200 and "已合并" in page.get_data(as_text=True)
    again = client.post(
        f"/api/v1/licence_entry/{entry_id}/deprecate",
        headers=unit,
        json={"reason": "x", **_v(app, entry_id)},
    )
    assert again.status_code == 409


def test_unit_operator_cannot_approve_its_own_entry(world, app, api_token, login):
    with app.app_context():
        entry_id = make_entry(world.unit("xiuying_market"), state="submitted")
    client = app.test_client()
    response = client.post(
        f"/api/v1/licence_review/entry/{entry_id}/approve",
        headers=api_token("unit_operator"),
        json=_v(app, entry_id),
    )
    assert response.status_code == 403
    ui = login("unit_operator").post(
        f"/licencereview/entry/{entry_id}/decide", data={"decision": "approve", **_v(app, entry_id)}
    )
    assert ui.status_code in (302, 403)
    assert _state(app, entry_id) == "submitted"


def test_reviewer_cannot_review_own_units_submission(world, app, api_token):
    with app.app_context():
        entry_id = make_entry(world.unit("xiuying_market"), state="submitted")
        reviewer = db.session.get(AppUser, world.user("licence_reviewer"))
        reviewer.unit_id = world.unit("xiuying_market")
        db.session.commit()
    client = app.test_client()
    headers = api_token("licence_reviewer")
    for decision, body in (("approve", {}), ("reject", {"reason": "x"})):
        response = client.post(
            f"/api/v1/licence_review/entry/{entry_id}/{decision}",
            headers=headers,
            json={**body, **_v(app, entry_id)},
        )
        assert response.status_code == 403
    assert _state(app, entry_id) == "submitted"


def test_reviewer_cannot_review_own_submission(world, app, api_token):
    with app.app_context():
        entry_id = make_entry(
            world.unit("xiuying_market"),
            state="submitted",
            submitted_by_id=world.user("licence_reviewer"),
        )
    response = app.test_client().post(
        f"/api/v1/licence_review/entry/{entry_id}/approve",
        headers=api_token("licence_reviewer"),
        json=_v(app, entry_id),
    )
    assert response.status_code == 403


def test_review_queue_is_oldest_first_with_working_days(world, app, login):
    import datetime as dt

    with app.app_context():
        newer = make_entry(
            world.unit("xiuying_market"),
            number=1,
            name="新提交",
            state="submitted",
            submitted_at=dt.datetime(2026, 11, 20, 9),
        )
        older = make_entry(
            world.unit("xiuying_market"),
            number=2,
            name="早提交",
            state="resubmitted",
            submitted_at=dt.datetime(2026, 9, 29, 9),
        )
        draft = make_entry(world.unit("xiuying_market"), number=3, name="草稿条目")
    assert newer and older and draft
    page = login("licence_reviewer").get("/licencereview/queue/").get_data(as_text=True)
    assert page.index("早提交") < page.index("新提交")
    assert "草稿条目" not in page


def test_waiting_days_count_from_the_province_date_of_submission(world, app):
    import datetime as dt

    from app.core.actor import system_actor
    from app.licences import services

    with app.app_context():
        make_entry(
            world.unit("xiuying_market"),
            number=1,
            state="submitted",
            submitted_at=dt.datetime(2026, 3, 8, 23, 30),  # Monday 9 March 07:30 in Beijing
        )
        rows = services.review_queue(
            db.session, LicenceEntry, actor=system_actor(), today=dt.date(2026, 3, 10)
        )
        assert [row.waiting_days for row in rows] == [1]  # Tuesday only, not Monday too


def test_ui_register_submit_and_approve(world, app, login, samples_dir):
    with app.app_context():
        code = type_code_for(world.unit("xiuying_market"), 11)
    unit = login("unit_operator")
    response = unit.post(
        "/licenceentryview/add",
        data={
            "name": "道路运输经营许可证",
            "type_code": code,
            "issuing_unit": str(world.unit("xiuying_market")),
            "holder_category": "legal",
            "validity_rule": "long_term",
            "trust_level": "unsealed",
            "description": "",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        entry_id = db.session.query(LicenceEntry).filter_by(type_code=code).one().id
    added = unit.post(
        "/licencefacefieldview/add",
        data={
            "entry": str(entry_id),
            "position": "1",
            "name": "证号",
            "data_type": "code",
            "required": "y",
        },
    )
    assert added.status_code == 302
    unit.post(f"/licenceentryview/submit/{entry_id}", data=_v(app, entry_id))
    assert _state(app, entry_id) == "submitted"
    reviewer = login("licence_reviewer")
    reviewer.post(
        f"/licencereview/entry/{entry_id}/decide",
        data={"decision": "reject", "reason": "", **_v(app, entry_id)},
    )
    assert _state(app, entry_id) == "submitted"
    reviewer.post(
        f"/licencereview/entry/{entry_id}/decide", data={"decision": "approve", **_v(app, entry_id)}
    )
    assert _state(app, entry_id) == "approved"
    page = login("window_staff").get("/licencecatalogueview/list/").get_data(as_text=True)
    assert "道路运输经营许可证" in page


def test_only_a_never_submitted_draft_can_be_deleted(world, app, api_token):
    with app.app_context():
        draft = make_entry(world.unit("xiuying_market"), number=1)
        revised = make_entry(world.unit("xiuying_market"), number=2, state="revised")
    client = app.test_client()
    headers = api_token("unit_operator")
    assert client.delete(f"/api/v1/licence_entry/{revised}", headers=headers).status_code == 409
    assert client.delete(f"/api/v1/licence_entry/{draft}", headers=headers).status_code == 200
    with app.app_context():
        assert db.session.get(LicenceEntry, draft) is None
        assert db.session.get(LicenceEntry, revised) is not None
