"""通报: the draft .docx lists the overdue orders of the scope and period by unit (opened and its
text read), the issued version is checked by content and archived with its hash, and it is
visible within reach and to the units it names, to nobody else."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from pathlib import Path

import pytest
from docx import Document
from sqlalchemy import select

from app.core.actor import system_actor
from app.core.errors import Forbidden, OutOfReach, ValidationError
from app.core.unit_of_work import unit_of_work
from app.extensions import db
from app.supervision import notices, services
from app.supervision.models import SupervisionNotice
from tests.supervision.factories import actor, check_point, county_supervisor, findings, item, plan


@pytest.fixture
def evidence_dir(app, tmp_path):
    previous = app.config["SUPERVISION_EVIDENCE_DIR"]
    app.config["SUPERVISION_EVIDENCE_DIR"] = str(tmp_path / "files")
    yield Path(app.config["SUPERVISION_EVIDENCE_DIR"])
    app.config["SUPERVISION_EVIDENCE_DIR"] = previous


def _overdue_order(world, clock, unit_key="xiuying_market"):
    """An order issued on 2026-06-01 (2 working days), overdue by 2026-06-15."""
    clock(dt.datetime(2026, 6, 1, 2, 0, tzinfo=dt.UTC))
    item(world, unit_key, published=True)
    row = plan(world, [check_point("elements_missing")])
    db.session.commit()
    with unit_of_work(db.session, system_actor()):
        services.run_checks(db.session, row.id, actor=system_actor())
        (finding,) = findings(row.id)
        order = services.issue_order(
            db.session, finding.id, working_days=2, version=None, actor=system_actor()
        )
    clock(dt.datetime(2026, 6, 15, 2, 0, tzinfo=dt.UTC))
    return order


def _docx_text(data: bytes) -> str:
    document = Document(io.BytesIO(data))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        parts += [cell.text for row in table.rows for cell in row.cells]
    return "\n".join(parts)


def test_the_draft_lists_the_overdue_orders_by_unit(ctx, world, clock):
    order = _overdue_order(world, clock)
    supervisor = actor("supervisor")
    with unit_of_work(db.session, supervisor):
        name, data = notices.draft_notice(
            db.session,
            region_id=world.region("460000"),
            start="2026-06-01",
            end="2026-06-30",
            actor=supervisor,
        )
    text = _docx_text(data)
    assert name.endswith(".docx")
    assert "海口市秀英区市场监督管理局" in text and order.finding.subject in text
    assert order.deadline.due_date.isoformat() in text
    assert "文号：〔" in text and "逾期未整改" in text
    # Outside the period: nothing to circulate.
    with unit_of_work(db.session, supervisor):
        _name, empty = notices.draft_notice(
            db.session,
            region_id=world.region("460000"),
            start="2026-01-01",
            end="2026-05-31",
            actor=supervisor,
        )
    assert "海口市秀英区市场监督管理局" not in _docx_text(empty)


def test_only_a_supervisor_drafts_and_only_within_reach(ctx, world, clock):
    _overdue_order(world, clock)
    coordinator = actor("county_coordinator")
    with pytest.raises(Forbidden):
        notices.draft_notice(
            db.session,
            region_id=world.region("460105"),
            start="2026-06-01",
            end="2026-06-30",
            actor=coordinator,
        )
    county_supervisor(world, "sup_haitang", "460202")
    other = actor("sup_haitang")
    with pytest.raises(OutOfReach):
        notices.draft_notice(
            db.session,
            region_id=world.region("460105"),
            start="2026-06-01",
            end="2026-06-30",
            actor=other,
        )


def _issued(world, data: bytes, name="通报.docx"):
    supervisor = actor("supervisor")
    with unit_of_work(db.session, supervisor):
        return notices.issue_notice(
            db.session,
            region_id=world.region("460000"),
            start="2026-06-01",
            end="2026-06-30",
            title="关于整改逾期的通报",
            filename=name,
            data=data,
            actor=supervisor,
        )


def test_the_issued_notice_is_archived_with_its_hash_and_units(ctx, world, clock, evidence_dir):
    _overdue_order(world, clock)
    supervisor = actor("supervisor")
    with unit_of_work(db.session, supervisor):
        _name, data = notices.draft_notice(
            db.session,
            region_id=world.region("460000"),
            start="2026-06-01",
            end="2026-06-30",
            actor=supervisor,
        )
    notice = _issued(world, data)
    assert notice.sha256 == hashlib.sha256(data).hexdigest() and notice.order_count == 1
    assert [u.id for u in notice.units] == [world.unit("xiuying_market")]
    assert (evidence_dir / notice.stored_name).read_bytes() == data
    assert notice.issued_by == "supervisor"


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("通报.docx", b"%PDF-1.4 not a word document"),
        ("通报.docx", b"PK\x03\x04" + b"\x00" * 40),  # a ZIP header, not a document
        ("通报.pdf", b"%PDF-1.4"),
    ],
)
def test_an_upload_that_is_not_a_word_document_is_refused(
    ctx, world, clock, evidence_dir, name, content
):
    _overdue_order(world, clock)
    with pytest.raises(ValidationError):
        _issued(world, content, name)
    assert db.session.execute(select(SupervisionNotice)).first() is None
    assert not evidence_dir.exists() or not any(evidence_dir.iterdir())


def test_the_notice_is_seen_by_the_units_it_names_and_within_reach_only(
    app, world, clock, evidence_dir, login
):
    with app.app_context():
        _overdue_order(world, clock)
        supervisor = actor("supervisor")
        with unit_of_work(db.session, supervisor):
            _name, data = notices.draft_notice(
                db.session,
                region_id=world.region("460000"),
                start="2026-06-01",
                end="2026-06-30",
                actor=supervisor,
            )
        notice_id = _issued(world, data).id
    for username in ("unit_operator", "county_coordinator", "supervisor", "province_admin"):
        client = login(username)
        assert "关于整改逾期的通报" in client.get("/supervisionnotices/list/").get_data(
            as_text=True
        )
        response = client.get(f"/supervisionnotices/download/{notice_id}")
        assert response.status_code == 200, username
        assert response.data == data
        response.close()
    for username in ("unit_operator2", "county_coordinator2"):
        client = login(username)
        assert "关于整改逾期的通报" not in client.get("/supervisionnotices/list/").get_data(
            as_text=True
        )
        assert client.get(f"/supervisionnotices/download/{notice_id}").status_code == 404


def test_the_pages_draft_and_issue(app, world, clock, evidence_dir, login):
    with app.app_context():
        _overdue_order(world, clock)
    client = login("supervisor")
    form = {
        "region_id": world.region("460000"),
        "period_start": "2026-06-01",
        "period_end": "2026-06-30",
    }
    draft = client.post("/supervisionnotices/draft/", data=form)
    assert draft.status_code == 200 and "海口市秀英区市场监督管理局" in _docx_text(draft.data)
    issued = client.post(
        "/supervisionnotices/issue/",
        data={**form, "title": "正式通报", "file": (io.BytesIO(draft.data), "正式通报.docx")},
        content_type="multipart/form-data",
    )
    assert issued.status_code == 302
    refused = login("unit_operator").post("/supervisionnotices/draft/", data=form)
    assert refused.status_code in (302, 403)
