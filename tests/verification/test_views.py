"""Pages and API of verification requests: every page, step and API scoped by reach and by the
unit's side of the request; the applicant masked; results only for their case (404 otherwise)."""

from __future__ import annotations

import io

import pytest

from app.extensions import db
from tests.verification.factories import ID_NUMBER, PDF, actor, ask, published_item

CLEAR = (ID_NUMBER, "张三丰")


@pytest.fixture
def ids(app, setup):
    from app.verification import services

    with app.app_context():
        item = published_item(setup)
        pending = ask(setup, item.id, case_no="AJ-1")
        delivered = ask(setup, item.id, case_no="AJ-2")
        result = services.verify(
            db.session,
            delivered.id,
            filename="结果.pdf",
            content=PDF,
            version=delivered.version,
            actor=actor("edu_window"),
        )
        db.session.commit()
        return {
            "item": item.id,
            "pending": pending.id,
            "delivered": delivered.id,
            "voucher": result.voucher_no,
        }


def _version(app, pk):
    from app.verification.models import VerificationRequest

    with app.app_context():
        return db.session.get(VerificationRequest, pk).version


def _state(app, pk):
    from app.verification.models import VerificationRequest

    with app.app_context():
        return db.session.get(VerificationRequest, pk).state


def test_window_sends_a_request_through_the_form(app, setup, login):
    with app.app_context():
        item = published_item(setup)
        db.session.commit()
        item_id = item.id
    client = login("window_staff")
    assert client.get("/verificationrequestview/new/").status_code == 200
    response = client.post(
        "/verificationrequestview/new/",
        data={
            "item_id": item_id,
            "case_no": "AJ-100",
            "issuer_unit_id": setup.unit("xiuying_edu"),
            "material_kind": "approval",
            "material_name": "建设项目批复",
            "complexity": "general",
            "channel": "window",
            "applicant_name": "张三丰",
            "id_type": "id_card",
            "id_number": ID_NUMBER,
        },
    )
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "AJ-100" in page and "2026-03-02 10:30" in page
    assert not any(value in page for value in CLEAR)


def test_form_errors_are_shown_in_chinese_and_nothing_is_written(app, setup, login):
    client = login("window_staff")
    page = client.post("/verificationrequestview/new/", data={"case_no": ""})
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "办件编号" in text
    from app.verification.models import VerificationRequest

    with app.app_context():
        assert db.session.query(VerificationRequest).count() == 0


def test_pages_and_api_show_the_applicant_masked(app, ids, login, api_token):
    client = login("edu_operator")
    pages = [
        client.get("/verificationrequestview/list/").get_data(as_text=True),
        client.get(f"/verificationrequestview/show/{ids['pending']}").get_data(as_text=True),
        client.get("/verificationrequestview/queue/").get_data(as_text=True),
    ]
    api = app.test_client()
    headers = api_token("edu_operator")
    pages.append(api.get("/api/v1/verification_request/", headers=headers).get_data(as_text=True))
    for page in pages:
        assert not any(value in page for value in CLEAR)
    assert "AJ-1" in pages[2]


def test_issuing_unit_sees_the_applicant_on_request(app, ids, login):
    page = login("edu_window").post(f"/verificationrequestview/applicant/{ids['pending']}")
    assert page.status_code == 200 and ID_NUMBER in page.get_data(as_text=True)
    refused = login("longhua_operator").post(f"/verificationrequestview/applicant/{ids['pending']}")
    assert refused.status_code in (302, 403)


@pytest.mark.parametrize("username", ["unit_operator2", "haitang_window", "county_coordinator2"])
def test_units_and_regions_outside_the_request_get_404(app, ids, login, api_token, username):
    client = login(username)
    pk = ids["pending"]
    assert client.get(f"/verificationrequestview/show/{pk}").status_code == 404
    # A coordinator may not write at all (403); a unit's staff may, but not here (404).
    writes = {403} if username.startswith("county") else {404}
    assert client.post(f"/verificationrequestview/applicant/{pk}").status_code in writes
    assert client.post(f"/verificationrequestview/step/{pk}/return").status_code in writes
    api = app.test_client().get(f"/api/v1/verification_request/{pk}", headers=api_token(username))
    assert api.status_code == 404


def test_issuing_unit_verifies_by_upload_and_the_requester_opens_the_result(app, ids, login):
    pk = ids["pending"]
    client = login("edu_window")
    response = client.post(
        f"/verificationrequestview/step/{pk}/verify",
        data={
            "version": _version(app, pk),
            "conclusion": "属实",
            "result": (io.BytesIO(PDF), "结果.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    assert _state(app, pk) == "verified"
    from app.verification.models import VerificationResult

    with app.app_context():
        voucher = db.session.query(VerificationResult).filter_by(request_id=pk).one().voucher_no
    window = login("window_staff")
    show = window.get(f"/verificationrequestview/show/{pk}").get_data(as_text=True)
    assert voucher in show and "open-result" in show
    page = window.get(f"/verificationrequestview/result/{voucher}/AJ-1")
    assert page.status_code == 200 and voucher in page.get_data(as_text=True)
    download = window.get(f"/verificationrequestview/result/{voucher}/AJ-1/file")
    assert download.status_code == 200 and download.data == PDF
    download.close()


def test_upload_that_is_not_a_pdf_changes_nothing(app, ids, login):
    pk = ids["pending"]
    response = login("edu_window").post(
        f"/verificationrequestview/step/{pk}/verify",
        data={"version": _version(app, pk), "result": (io.BytesIO(b"<html>"), "x.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code in (302, 400)
    assert _state(app, pk) == "pending"


@pytest.mark.parametrize(
    ("username", "case_no"),
    [
        ("window_staff", "AJ-1"),  # the requester, but another case
        ("edu_window", "AJ-2"),  # the issuer, after delivery
        ("county_coordinator", "AJ-2"),  # the region's coordinator
        ("unit_operator2", "AJ-2"),  # another unit
    ],
)
def test_result_is_404_for_another_case_or_anyone_but_requester_and_approver(
    app, ids, login, api_token, username, case_no
):
    voucher = ids["voucher"]
    client = login(username)
    assert client.get(f"/verificationrequestview/result/{voucher}/{case_no}").status_code == 404
    assert (
        client.get(f"/verificationrequestview/result/{voucher}/{case_no}/file").status_code == 404
    )
    api = app.test_client().get(
        f"/api/v1/verification_request/result?voucher_no={voucher}&case_no={case_no}",
        headers=api_token(username),
    )
    assert api.status_code == 404


def test_approving_unit_checks_a_voucher_against_its_case(app, ids, login, api_token):
    client = login("longhua_operator")
    redirect = client.get(
        f"/verificationrequestview/voucher/?voucher_no={ids['voucher']}&case_no=AJ-2"
    )
    assert client.get(redirect.headers["Location"]).status_code == 200
    api = app.test_client().get(
        f"/api/v1/verification_request/result?voucher_no={ids['voucher']}&case_no=AJ-2",
        headers=api_token("longhua_operator"),
    )
    assert api.status_code == 200 and api.json["case_no"] == "AJ-2"


def test_api_return_and_reroute_in_one_click(app, ids, api_token, setup):
    pk = ids["pending"]
    api = app.test_client()
    returned = api.post(
        f"/api/v1/verification_request/{pk}/return",
        json={
            "version": _version(app, pk),
            "reason": "不属本单位职责",
            "suggested_unit_id": setup.unit("haitang_market"),
        },
        headers=api_token("edu_operator"),
    )
    assert returned.status_code == 200 and returned.json["state"] == "returned"
    refused = api.post(
        f"/api/v1/verification_request/{pk}/reroute",
        json={"version": _version(app, pk)},
        headers=api_token("edu_operator"),
    )
    assert refused.status_code == 403
    rerouted = api.post(
        f"/api/v1/verification_request/{pk}/reroute",
        json={"version": _version(app, pk)},
        headers=api_token("window_staff"),
    )
    assert rerouted.status_code == 200 and rerouted.json["id"] != pk
    assert _state(app, pk) == "rerouted"


def test_api_ask_and_stale_version(app, ids, api_token, setup):
    api = app.test_client()
    asked = api.post(
        "/api/v1/verification_request/ask",
        json={
            "item_id": ids["item"],
            "case_no": "AJ-500",
            "issuer_unit_id": setup.unit("xiuying_edu"),
            "material_kind": "certificate",
            "material_name": "无犯罪记录证明",
            "applicant_name": "李四",
            "id_type": "id_card",
            "id_number": ID_NUMBER,
        },
        headers=api_token("window_staff"),
    )
    assert asked.status_code == 201 and asked.json["due_at"] == "2026-03-02 10:30"
    stale = api.post(
        f"/api/v1/verification_request/{asked.json['id']}/return",
        json={"version": 99, "reason": "x"},
        headers=api_token("edu_window"),
    )
    assert stale.status_code == 409


def test_queue_and_figures_pages(app, ids, login):
    page = login("edu_operator").get("/verificationrequestview/queue/").get_data(as_text=True)
    assert "incoming-queue" in page and "AJ-1" in page
    figures = login("county_coordinator").get("/verificationfigures/show/")
    assert figures.status_code == 200
    assert "海口市秀英区教育局" in figures.get_data(as_text=True)


def test_roles_without_the_permission_are_refused(app, ids, login):
    for username in ("legal_reviewer", "audit_admin"):
        client = login(username)
        response = client.get("/verificationrequestview/queue/")
        assert response.status_code in (302, 403)
    # A coordinator follows the requests but cannot send one.
    assert login("county_coordinator").get("/verificationrequestview/new/").status_code in (
        302,
        403,
    )


def test_api_verify_takes_the_result_as_multipart_and_refuses_other_units(app, ids, api_token):
    pk = ids["pending"]
    api = app.test_client()
    outsider = api.post(
        f"/api/v1/verification_request/{pk}/verify",
        data={"version": _version(app, pk), "result": (io.BytesIO(PDF), "r.pdf")},
        content_type="multipart/form-data",
        headers=api_token("haitang_window"),
    )
    assert outsider.status_code == 404
    bad = api.post(
        f"/api/v1/verification_request/{pk}/verify",
        data={"version": _version(app, pk), "result": (io.BytesIO(b"GIF89a"), "r.pdf")},
        content_type="multipart/form-data",
        headers=api_token("edu_operator"),
    )
    assert bad.status_code == 422 and _state(app, pk) == "pending"
    done = api.post(
        f"/api/v1/verification_request/{pk}/verify",
        data={"version": _version(app, pk), "result": (io.BytesIO(PDF), "r.pdf")},
        content_type="multipart/form-data",
        headers=api_token("edu_operator"),
    )
    assert done.status_code == 200 and done.json["state"] == "verified"
