"""Evidence files on the rectify step (整改佐证): checked by content before anything is written,
stored outside the web root, kept only when the step commits, and shown only within reach."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.core.audit import AuditAction
from app.core.models import AuditLog
from app.extensions import db
from app.ratings.models import RectificationTicket, TicketEvidence
from tests.ratings.factories import rated_item, rating

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture
def evidence_dir(app, tmp_path):
    previous = app.config["RATING_EVIDENCE_DIR"]
    app.config["RATING_EVIDENCE_DIR"] = str(tmp_path / "evidence")
    yield Path(app.config["RATING_EVIDENCE_DIR"])
    app.config["RATING_EVIDENCE_DIR"] = previous


@pytest.fixture
def ticket_id(app, world):
    with app.app_context():
        item = rated_item(world)
        poor = rating(item.id, "2", rated_at=dt.datetime(2026, 3, 6, 16, 0))
        db.session.commit()
        return poor.ticket.id


def _version(app, ticket_id):
    with app.app_context():
        return db.session.get(RectificationTicket, ticket_id).version


def _rectify(app, client, ticket_id, *uploads):
    client.post(
        f"/rectificationticketview/step/{ticket_id}/verify",
        data={"valid": "1", "version": _version(app, ticket_id)},
    )
    return client.post(
        f"/rectificationticketview/step/{ticket_id}/rectify",
        data={
            "note": "增开窗口",
            "version": _version(app, ticket_id),
            "evidence": [(io.BytesIO(data), name) for name, data in uploads],
        },
        content_type="multipart/form-data",
        follow_redirects=True,
    )


def _stored(evidence_dir):
    return sorted(evidence_dir.glob("*")) if evidence_dir.exists() else []


def _evidence(app):
    with app.app_context():
        return db.session.execute(select(TicketEvidence)).scalars().all()


def test_the_handler_attaches_evidence_and_downloads_it_without_caching_audited(
    app, login, ticket_id, evidence_dir
):
    client = login("unit_operator")
    _rectify(app, client, ticket_id, ("整改通知.pdf", PDF), ("现场照片.png", PNG))
    rows = _evidence(app)
    assert [row.filename for row in rows] == ["整改通知.pdf", "现场照片.png"]
    assert len(_stored(evidence_dir)) == 2
    assert not any("整改" in path.name for path in _stored(evidence_dir))
    page = client.get(f"/rectificationticketview/show/{ticket_id}").get_data(as_text=True)
    assert "整改通知.pdf" in page and "现场照片.png" in page
    response = client.get(f"/rectificationticketview/evidence/{ticket_id}/{rows[0].id}")
    assert response.status_code == 200 and response.data == PDF
    assert response.headers["Cache-Control"] == "no-store"
    assert response.mimetype == "application/pdf"
    response.close()
    with app.app_context():
        reads = (
            db.session.execute(
                select(AuditLog).where(
                    AuditLog.object_type == "TicketEvidence",
                    AuditLog.action == AuditAction.EXPORT.value,
                )
            )
            .scalars()
            .all()
        )
    assert [str(read.object_id) for read in reads] == [str(rows[0].id)]


def test_a_wrong_file_type_is_refused_in_chinese_and_nothing_is_written(
    app, login, ticket_id, evidence_dir
):
    client = login("unit_operator")
    page = _rectify(app, client, ticket_id, ("照片.png", PNG), ("通知.pdf", PNG))
    assert "文件内容不是 PDF 格式。" in page.get_data(as_text=True)
    page = client.post(
        f"/rectificationticketview/step/{ticket_id}/rectify",
        data={
            "note": "增开窗口",
            "version": _version(app, ticket_id),
            "evidence": [(io.BytesIO(b"MZ..."), "说明.exe")],
        },
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert "文件必须是 PDF、PNG 或 JPEG 格式。" in page.get_data(as_text=True)
    assert _stored(evidence_dir) == [] and _evidence(app) == []
    with app.app_context():
        assert db.session.get(RectificationTicket, ticket_id).state == "rectify"


@pytest.mark.parametrize("username", ["unit_operator2", "county_coordinator2"])
def test_evidence_outside_reach_is_404(app, login, world, ticket_id, evidence_dir, username):
    _rectify(app, login("unit_operator"), ticket_id, ("整改通知.pdf", PDF))
    (evidence,) = _evidence(app)
    url = f"/rectificationticketview/evidence/{ticket_id}/{evidence.id}"
    response = login(username).get(url)
    assert response.status_code == 404 and response.data != PDF


def test_evidence_of_another_ticket_is_404_through_ones_own(
    app, login, world, ticket_id, evidence_dir
):
    client = login("unit_operator")
    _rectify(app, client, ticket_id, ("整改通知.pdf", PDF))
    (evidence,) = _evidence(app)
    with app.app_context():
        other = rating(rated_item(world).id, "1").ticket.id
        db.session.commit()
    response = client.get(f"/rectificationticketview/evidence/{other}/{evidence.id}")
    assert response.status_code == 404


def test_a_failure_after_the_write_leaves_no_file(app, login, ticket_id, evidence_dir, monkeypatch):
    from app.core import files

    settle = files.settle_files

    def failing(*args, **kwargs):
        settle(*args, **kwargs)  # the file is written and its fate registered
        raise RuntimeError("disk full")

    monkeypatch.setattr(files, "settle_files", failing)
    client = login("unit_operator")
    with contextlib.suppress(RuntimeError):  # a 500 page or the error itself: no file either way
        _rectify(app, client, ticket_id, ("整改通知.pdf", PDF))
    assert _stored(evidence_dir) == [] and _evidence(app) == []
    with app.app_context():
        assert db.session.get(RectificationTicket, ticket_id).state == "rectify"


# -- the same through the REST API ---------------------------------------------------------------

API = "/api/v1/rectification_ticket"


def _api_rectify(app, client, headers, ticket_id, *uploads, verify=True):
    if verify:
        client.post(
            f"{API}/{ticket_id}/verify",
            headers=headers,
            json={"valid": True, "version": _version(app, ticket_id)},
        )
    return client.post(
        f"{API}/{ticket_id}/rectify",
        headers=headers,
        data={
            "measures": "增开窗口",
            "version": str(_version(app, ticket_id)),
            "evidence": [(io.BytesIO(data), name) for name, data in uploads],
        },
        content_type="multipart/form-data",
    )


def test_the_api_attaches_evidence_to_the_rectify_step_and_serves_it_audited(
    app, api_token, ticket_id, evidence_dir
):
    client, headers = app.test_client(), api_token("unit_operator")
    with app.app_context():
        before = db.session.scalar(select(func.max(AuditLog.id))) or 0
    response = _api_rectify(
        app, client, headers, ticket_id, ("整改通知.pdf", PDF), ("现场照片.png", PNG)
    )
    assert response.status_code == 200, response.json
    assert response.json["state"] == "call_back"
    assert [e["filename"] for e in response.json["evidence"]] == ["整改通知.pdf", "现场照片.png"]
    assert len(_stored(evidence_dir)) == 2
    first = response.json["evidence"][0]["id"]
    download = client.get(f"{API}/{ticket_id}/evidence/{first}", headers=headers)
    assert download.status_code == 200 and download.data == PDF
    assert download.headers["Cache-Control"] == "no-store"
    download.close()
    with app.app_context():
        reads = db.session.execute(
            select(AuditLog.object_id).where(
                AuditLog.id > before,
                AuditLog.object_type == "TicketEvidence",
                AuditLog.action == AuditAction.EXPORT.value,
            )
        ).scalars()
        assert [str(read) for read in reads] == [str(first)]


def test_the_api_refuses_a_file_that_is_not_what_it_claims_and_writes_nothing(
    app, api_token, ticket_id, evidence_dir
):
    client, headers = app.test_client(), api_token("unit_operator")
    response = _api_rectify(app, client, headers, ticket_id, ("照片.png", PNG), ("通知.pdf", PNG))
    assert response.status_code == 422, response.json
    assert "文件内容不是 PDF 格式。" in str(response.json)
    assert _stored(evidence_dir) == [] and _evidence(app) == []
    with app.app_context():
        assert db.session.get(RectificationTicket, ticket_id).state == "rectify"


@pytest.mark.parametrize("username", ["unit_operator2", "county_coordinator2"])
def test_the_api_refuses_evidence_and_its_download_outside_reach(
    app, api_token, ticket_id, evidence_dir, username
):
    client = app.test_client()
    own = api_token("unit_operator")
    client.post(
        f"{API}/{ticket_id}/verify",
        headers=own,
        json={"valid": True, "version": _version(app, ticket_id)},
    )
    outsider = api_token(username)
    refused = _api_rectify(app, client, outsider, ticket_id, ("整改通知.pdf", PDF), verify=False)
    assert refused.status_code == 404
    assert _stored(evidence_dir) == [] and _evidence(app) == []
    done = _api_rectify(app, client, own, ticket_id, ("整改通知.pdf", PDF), verify=False)
    (evidence,) = done.json["evidence"]
    download = client.get(f"{API}/{ticket_id}/evidence/{evidence['id']}", headers=outsider)
    assert download.status_code == 404 and download.data != PDF
