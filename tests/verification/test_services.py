"""Verification requests (免证办, seed 003 art. 10–15): asking, deadlines in office time,
verifying with a voucher, returning and sending on, who may read the result and the applicant."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.core import calendar, personal_data
from app.core.errors import Forbidden, InvalidTransition, OutOfReach, StaleRecord, ValidationError
from app.core.models import AuditLog
from app.extensions import db
from app.verification import figures, services
from app.verification.models import VerificationRequest, VerificationResult
from tests.verification.factories import (
    CST,
    ID_NUMBER,
    PDF,
    PNG,
    actor,
    ask,
    published_item,
    version_of,
)


def local(value: dt.datetime) -> dt.datetime:
    return calendar.to_local(value).replace(tzinfo=None)


@pytest.fixture
def item(setup, ctx):
    return published_item(setup)


def verify(request, by="edu_window", content=PDF, name="结果.pdf", **kw):
    return services.verify(
        db.session,
        request.id,
        filename=name,
        content=content,
        conclusion=kw.pop("conclusion", "情况属实"),
        version=kw.pop("version", request.version),
        actor=actor(by),
    )


# -- asking and deadlines --------------------------------------------------------------------


def test_general_window_request_is_due_in_30_office_minutes_and_returned_in_15(setup, item):
    request = ask(setup, item.id)
    assert request.state == "pending"
    assert local(request.verify_deadline.due_at) == dt.datetime(2026, 3, 2, 10, 30)
    assert local(request.return_deadline.due_at) == dt.datetime(2026, 3, 2, 10, 15)
    assert request.requester_unit_id == setup.unit("xiuying_market")
    assert request.issuer_unit_id == setup.unit("xiuying_edu")
    assert request.approver_unit_id == setup.unit("longhua_market")


def test_request_sent_at_1650_on_friday_is_due_next_working_morning(setup, item, clock):
    clock(dt.datetime(2026, 3, 6, 16, 50, tzinfo=CST))
    request = ask(setup, item.id)
    assert local(request.verify_deadline.due_at) == dt.datetime(2026, 3, 9, 9, 20)
    assert local(request.return_deadline.due_at) == dt.datetime(2026, 3, 9, 9, 5)


@pytest.mark.parametrize(
    ("complexity", "channel", "verify_by", "return_by"),
    [
        # Complex or a 承诺件 at a window: 24 natural hours; return still in 15 minutes.
        ("complex", "window", dt.datetime(2026, 3, 3, 10, 0), dt.datetime(2026, 3, 2, 10, 15)),
        # Filed online by the applicant: 24 hours, return in 2 hours.
        ("general", "online", dt.datetime(2026, 3, 3, 10, 0), dt.datetime(2026, 3, 2, 12, 0)),
        # Online and complex: 48 hours.
        ("complex", "online", dt.datetime(2026, 3, 4, 10, 0), dt.datetime(2026, 3, 2, 12, 0)),
    ],
)
def test_complex_and_online_requests_get_their_hours(
    setup, item, complexity, channel, verify_by, return_by
):
    request = ask(setup, item.id, complexity=complexity, channel=channel)
    assert local(request.verify_deadline.due_at) == verify_by
    assert local(request.return_deadline.due_at) == return_by


def test_applicant_id_is_stored_encrypted_and_shown_masked(setup, item):
    since = db.session.scalar(select(func.max(AuditLog.id))) or 0
    request = ask(setup, item.id)
    assert ID_NUMBER.encode() not in request.id_number_enc
    assert personal_data.decrypt(request.id_number_enc, "id_number") == ID_NUMBER
    assert request.id_number_masked != ID_NUMBER and "*" in request.id_number_masked
    assert request.applicant_name_masked != "张三丰"
    logged = db.session.execute(
        select(AuditLog).where(AuditLog.id > since, AuditLog.object_type == "VerificationRequest")
    ).scalars()
    text = " ".join(str(row.before) + str(row.after) + row.summary for row in logged)
    assert ID_NUMBER not in text and "张三丰" not in text
    assert request.id_number_masked in text


def test_request_reports_every_wrong_value_at_once_and_writes_nothing(setup, item):
    with pytest.raises(ValidationError) as caught:
        ask(
            setup,
            item.id,
            case_no=" ",
            material_name="",
            applicant_name="",
            id_number="110105194912310021",
            issuer_unit_id=setup.unit("xiuying_market"),
        )
    assert set(caught.value.errors) >= {
        "case_no",
        "material_name",
        "applicant_name",
        "id_number",
        "issuer_unit_id",
    }
    db.session.rollback()
    assert db.session.scalar(select(VerificationRequest.id)) is None


def test_request_needs_an_item_of_the_published_list(setup, ctx):
    from tests.catalogue.factories import basic_entry
    from tests.catalogue.factories import item as draft_item

    draft = draft_item(setup, "longhua_market", basic_entry(code="460106099999"))
    with pytest.raises(ValidationError) as caught:
        ask(setup, draft.id)
    assert "item_id" in caught.value.errors


def test_only_window_staff_send_requests(setup, item):
    with pytest.raises(Forbidden):
        ask(setup, item.id, by="unit_operator")


# -- answering -------------------------------------------------------------------------------


def test_issuing_unit_verifies_with_a_result_and_a_voucher_for_the_case(setup, item, tmp_path):
    request = ask(setup, item.id, case_no="AJ-1")
    result = verify(request)
    db.session.flush()
    assert request.state == "verified"
    assert result.voucher_no == f"MZB20260302{request.id:06d}"
    assert result.case_no == "AJ-1"
    assert result.mimetype == "application/pdf"
    stored = Path(tmp_path / "results" / result.stored_name)
    assert stored.read_bytes() == PDF
    assert request.verify_deadline.completed_at is not None
    assert request.overdue is False


def test_issuing_unit_operator_may_verify_and_an_image_is_accepted(setup, item):
    request = ask(setup, item.id)
    result = verify(request, by="edu_operator", content=PNG, name="scan.png")
    assert result.mimetype == "image/png"


def test_result_that_is_not_a_pdf_or_image_by_content_changes_nothing(setup, item, tmp_path):
    request = ask(setup, item.id)
    with pytest.raises(ValidationError):
        verify(request, content=b"MZ\x90\x00 not a pdf", name="result.pdf")
    assert request.state == "pending"
    assert not (tmp_path / "results").exists() or not any((tmp_path / "results").iterdir())


def test_requesting_window_cannot_answer_its_own_request(setup, item):
    request = ask(setup, item.id)
    with pytest.raises(Forbidden):
        verify(request, by="window_staff")


def test_unit_outside_the_request_gets_404(setup, item):
    request = ask(setup, item.id)
    with pytest.raises(OutOfReach):
        verify(request, by="haitang_window")
    with pytest.raises(OutOfReach):
        services.load_request(db.session, request.id, actor=actor("unit_operator2"))


def test_stale_version_is_refused(setup, item):
    request = ask(setup, item.id)
    with pytest.raises(StaleRecord):
        verify(request, version=request.version + 1)


def test_answered_request_cannot_be_answered_again(setup, item):
    request = ask(setup, item.id)
    verify(request)
    db.session.flush()
    with pytest.raises(InvalidTransition):
        services.return_request(
            db.session, request.id, reason="x", version=request.version, actor=actor("edu_window")
        )


def test_return_needs_a_reason(setup, item):
    request = ask(setup, item.id)
    with pytest.raises(ValidationError):
        services.return_request(
            db.session, request.id, reason=" ", version=request.version, actor=actor("edu_window")
        )


def test_returned_request_is_sent_on_to_the_suggested_unit_in_one_step(setup, item, clock):
    request = ask(setup, item.id, case_no="AJ-9")
    services.return_request(
        db.session,
        request.id,
        reason="学历证明由市教育局出具",
        suggested_unit_id=setup.unit("haitang_market"),
        suggestion="请转海棠区",
        version=request.version,
        actor=actor("edu_window"),
    )
    db.session.flush()
    assert request.state == "returned"
    assert request.return_deadline.is_overdue() is False
    clock(dt.datetime(2026, 3, 2, 14, 0, tzinfo=CST))
    new = services.reroute(
        db.session, request.id, version=version_of(request.id), actor=actor("window_staff")
    )
    db.session.flush()
    assert request.state == "rerouted"
    assert new.issuer_unit_id == setup.unit("haitang_market")
    assert new.rerouted_from_id == request.id
    assert (new.case_no, new.item_id, new.material_name) == ("AJ-9", item.id, "学历证明")
    assert personal_data.decrypt(new.id_number_enc, "id_number") == ID_NUMBER
    assert local(new.verify_deadline.due_at) == dt.datetime(2026, 3, 2, 14, 30)


def test_only_the_requesting_window_sends_a_returned_request_on(setup, item):
    request = ask(setup, item.id)
    services.return_request(
        db.session,
        request.id,
        reason="不属本单位",
        suggested_unit_id=setup.unit("haitang_market"),
        version=request.version,
        actor=actor("edu_window"),
    )
    db.session.flush()
    with pytest.raises(Forbidden):
        services.reroute(db.session, request.id, version=request.version, actor=actor("edu_window"))


def test_return_without_suggestion_cannot_be_sent_on(setup, item):
    request = ask(setup, item.id)
    services.return_request(
        db.session,
        request.id,
        reason="不属本单位",
        version=request.version,
        actor=actor("edu_window"),
    )
    db.session.flush()
    with pytest.raises(Forbidden):
        services.reroute(
            db.session, request.id, version=request.version, actor=actor("window_staff")
        )


# -- the result: requester and approver only, this case only ---------------------------------


def _delivered(setup, item, case_no="AJ-77"):
    request = ask(setup, item.id, case_no=case_no)
    result = verify(request)
    db.session.flush()
    return request, result


@pytest.mark.parametrize("username", ["window_staff", "longhua_operator"])
def test_requesting_window_and_approving_unit_open_the_result_audited(setup, item, username):
    _request, result = _delivered(setup, item)
    since = db.session.scalar(select(func.max(AuditLog.id))) or 0
    opened, path = services.open_result(
        db.session, result.voucher_no, "AJ-77", actor=actor(username), download=True
    )
    assert opened.id == result.id and path.read_bytes() == PDF
    services.open_result(db.session, result.voucher_no, "AJ-77", actor=actor(username))
    logged = db.session.execute(
        select(AuditLog.summary).where(
            AuditLog.id > since,
            AuditLog.object_type == "VerificationResult",
            AuditLog.object_id == str(result.id),
        )
    ).scalars()
    assert sorted(s.split(":")[0] for s in logged) == [
        "verification result downloaded",
        "verification result viewed",
    ]


@pytest.mark.parametrize(
    "username", ["edu_window", "county_coordinator", "unit_operator2", "province_admin"]
)
def test_everyone_else_gets_404_for_a_result(setup, item, username):
    _request, result = _delivered(setup, item)
    with pytest.raises(OutOfReach):
        services.open_result(db.session, result.voucher_no, "AJ-77", actor=actor(username))


def test_result_cannot_serve_another_case(setup, item):
    _request, result = _delivered(setup, item)
    _other, _ = _delivered(setup, item, case_no="AJ-78")
    with pytest.raises(OutOfReach):
        services.open_result(db.session, result.voucher_no, "AJ-78", actor=actor("window_staff"))


def test_applicant_in_clear_for_the_two_handling_units_only_and_audited(setup, item):
    request = ask(setup, item.id)
    since = db.session.scalar(select(func.max(AuditLog.id))) or 0
    for username in ("window_staff", "edu_operator"):
        applicant = services.reveal_applicant(db.session, request.id, actor=actor(username))
        assert (applicant.name, applicant.id_number) == ("张三丰", ID_NUMBER)
    with pytest.raises(Forbidden):
        services.reveal_applicant(db.session, request.id, actor=actor("longhua_operator"))
    with pytest.raises(OutOfReach):
        services.reveal_applicant(db.session, request.id, actor=actor("unit_operator2"))
    reads = db.session.execute(
        select(AuditLog).where(
            AuditLog.id > since, AuditLog.summary.like("personal data read: verification%")
        )
    ).scalars()
    assert len(list(reads)) == 2


# -- queues, overdue, figures ----------------------------------------------------------------


def test_queue_shows_the_unit_its_requests_least_time_left_first_and_flags_overdue(
    setup, item, clock
):
    complex_ = ask(setup, item.id, complexity="complex")
    general = ask(setup, item.id)
    incoming = services.queue(db.session, actor=actor("edu_operator"))
    assert [r.id for r in incoming] == [general.id, complex_.id]
    assert services.queue(db.session, actor=actor("unit_operator2")) == []
    outgoing = services.queue(db.session, actor=actor("window_staff"), side=services.OUTGOING)
    assert {r.id for r in outgoing} == {general.id, complex_.id}
    assert services.queue(db.session, actor=actor("window_staff")) == []
    clock(dt.datetime(2026, 3, 2, 10, 31, tzinfo=CST))
    assert general.overdue is True and complex_.overdue is False


def test_on_time_rate_per_issuing_unit(setup, item, clock):
    on_time = ask(setup, item.id)
    late = ask(setup, item.id)
    waiting = ask(setup, item.id)
    verify(on_time)
    clock(dt.datetime(2026, 3, 2, 11, 0, tzinfo=CST))
    verify(late)
    db.session.flush()
    rows = figures.on_time_by_unit(db.session, actor=actor("county_coordinator"))
    (edu,) = rows
    assert (edu.requests, edu.answered, edu.on_time, edu.late, edu.open_overdue) == (3, 2, 1, 1, 1)
    assert edu.on_time_rate == 0.5
    assert waiting.overdue is True
    assert figures.on_time_by_unit(db.session, actor=actor("county_coordinator2")) == []


def test_results_table_keeps_one_result_per_request(setup, item):
    request, _result = _delivered(setup, item)
    assert db.session.scalar(
        select(VerificationResult.request_id).where(VerificationResult.request_id == request.id)
    )


def test_a_unit_sharing_a_request_cannot_move_it_out_of_its_reach(setup, item):
    from app.core.unit_of_work import unit_of_work

    request = ask(setup, item.id)
    db.session.commit()
    with pytest.raises(OutOfReach), unit_of_work(db.session, actor("edu_window")):
        loaded = services.load_request(db.session, request.id, actor=actor("edu_window"))
        loaded.issuer_unit_id = setup.unit("haitang_market")
        loaded.issuer_region_id = setup.region("460202")
        db.session.flush()
    # Its own placement it may write (the issuer's answer), as the verify tests show; and the
    # approving unit, which only reads, sees the request too.
    assert services.load_request(db.session, request.id, actor=actor("longhua_operator"))


def test_a_party_cannot_move_another_partys_placement_of_a_shared_request(setup, item):
    from app.core.unit_of_work import unit_of_work

    request = ask(setup, item.id)
    db.session.commit()
    with pytest.raises(OutOfReach), unit_of_work(db.session, actor("edu_window")):
        loaded = services.load_request(db.session, request.id, actor=actor("edu_window"))
        loaded.requester_unit_id = setup.unit("haitang_market")
        loaded.requester_region_id = setup.region("460202")
        db.session.flush()
    # The issuer's own answer (state, reason) is still its to write.
    with unit_of_work(db.session, actor("edu_window")):
        services.return_request(
            db.session, request.id, reason="不属本单位", version=version_of(request.id),
            actor=actor("edu_window"),
        )  # fmt: skip
