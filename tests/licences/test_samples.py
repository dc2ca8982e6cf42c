"""Sample files: content checked, size limited, stored under a generated name outside the web
root, served only within reach; path tricks in names refused."""

from __future__ import annotations

import io

import pytest

from app.extensions import db
from app.licences.models import LicenceEntry
from tests.licences.factories import JPEG, PDF, PNG, make_entry


def _upload(client, headers, entry_id, name, data):
    with client.application.app_context():  # the version the uploader loaded
        version = db.session.get(LicenceEntry, entry_id).version
    return client.post(
        f"/api/v1/licence_entry/{entry_id}/sample",
        headers=headers,
        data={"file": (io.BytesIO(data), name), "version": str(version)},
        content_type="multipart/form-data",
    )


@pytest.fixture
def entry_id(world, app):
    with app.app_context():
        return make_entry(world.unit("xiuying_market"))


@pytest.mark.parametrize(
    ("name", "data"),
    [("样本.pdf", PDF), ("a.PNG", PNG), ("b.jpeg", JPEG)],
    ids=["pdf", "png", "jpeg"],
)
def test_pdf_png_jpeg_samples_are_stored_under_generated_names(
    app, api_token, entry_id, samples_dir, name, data
):
    client = app.test_client()
    headers = api_token("unit_operator")
    assert _upload(client, headers, entry_id, name, data).status_code == 200
    with app.app_context():
        entry = db.session.get(LicenceEntry, entry_id)
        assert entry.sample_filename == name
        assert entry.sample_stored_name != name
        stored = samples_dir / entry.sample_stored_name
        assert stored.read_bytes() == data
    download = client.get(f"/api/v1/licence_entry/{entry_id}/sample", headers=headers)
    assert download.status_code == 200 and download.data == data
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert "attachment" in download.headers["Content-Disposition"]
    download.close()


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("样本.pdf", PNG),  # extension says PDF, content is PNG
        ("样本.png", b"<html><script>alert(1)</script></html>"),
        ("样本.exe", PDF),
        ("样本.pdf.html", PDF),
        ("样本", PDF),
        ("样本.pdf", b""),
    ],
    ids=["png-as-pdf", "html-as-png", "exe", "double-extension", "no-extension", "empty"],
)
def test_wrong_type_is_refused(app, api_token, entry_id, samples_dir, name, data):
    response = _upload(app.test_client(), api_token("unit_operator"), entry_id, name, data)
    assert response.status_code == 422
    assert not samples_dir.exists() or not any(samples_dir.iterdir())


@pytest.mark.parametrize(
    "name",
    [
        "../../etc/passwd.pdf",
        "..\\..\\win.pdf",
        "sub/dir.pdf",
        "/abs.pdf",
        "..pdf",
        ".hidden.pdf",
        "a\x00.pdf",
        "c:evil.pdf",
    ],
)
def test_path_tricks_in_names_are_refused(app, api_token, entry_id, samples_dir, name):
    response = _upload(app.test_client(), api_token("unit_operator"), entry_id, name, PDF)
    assert response.status_code == 422
    with app.app_context():
        assert db.session.get(LicenceEntry, entry_id).sample_stored_name is None


def test_oversize_sample_is_refused(app, api_token, entry_id):
    previous = app.config["LICENCE_SAMPLE_MAX_BYTES"]
    app.config["LICENCE_SAMPLE_MAX_BYTES"] = 1024
    try:
        response = _upload(
            app.test_client(), api_token("unit_operator"), entry_id, "big.pdf", PDF + b"0" * 2000
        )
    finally:
        app.config["LICENCE_SAMPLE_MAX_BYTES"] = previous
    assert response.status_code == 422
    assert "MB" in response.json["message"]


def test_sample_of_other_unit_is_404_in_ui_and_api(world, app, api_token, login, entry_id):
    client = app.test_client()
    assert _upload(client, api_token("unit_operator"), entry_id, "a.pdf", PDF).status_code == 200
    other = api_token("unit_operator2")
    assert client.get(f"/api/v1/licence_entry/{entry_id}/sample", headers=other).status_code == 404
    assert _upload(client, other, entry_id, "b.pdf", PDF).status_code == 404
    assert login("unit_operator2").get(f"/licenceentryview/sample/{entry_id}").status_code == 404
    own = login("unit_operator").get(f"/licenceentryview/sample/{entry_id}")
    assert own.status_code == 200 and own.data == PDF
    own.close()


def test_sample_uploaded_with_the_add_form(world, app, login, samples_dir):
    from tests.licences.factories import type_code_for

    with app.app_context():
        code = type_code_for(world.unit("xiuying_market"), 21)
    form = {
        "name": "样本证照",
        "type_code": code,
        "issuing_unit": str(world.unit("xiuying_market")),
        "holder_category": "person",
        "validity_rule": "per_issue",
        "trust_level": "sealed",
    }
    client = login("unit_operator")
    bad = client.post(
        "/licenceentryview/add",
        data={**form, "sample_upload": (io.BytesIO(PDF), "../x.pdf")},
        content_type="multipart/form-data",
    )
    # Refused: the form again with the reason (what was typed kept), nothing created.
    assert bad.status_code == 200 and "alert-danger" in bad.get_data(as_text=True)
    with app.app_context():
        assert db.session.query(LicenceEntry).filter_by(type_code=code).count() == 0
    good = client.post(
        "/licenceentryview/add",
        data={**form, "sample_upload": (io.BytesIO(PNG), "样本.png")},
        content_type="multipart/form-data",
    )
    assert good.status_code == 302
    with app.app_context():
        entry = db.session.query(LicenceEntry).filter_by(type_code=code).one()
        assert entry.sample_mimetype == "image/png"
        assert (samples_dir / entry.sample_stored_name).is_file()


def test_sample_of_published_entry_cannot_be_replaced(world, app, api_token):
    with app.app_context():
        entry_id = make_entry(world.unit("xiuying_market"), state="approved")
    response = _upload(app.test_client(), api_token("unit_operator"), entry_id, "a.pdf", PDF)
    assert response.status_code == 409


def test_replacing_a_sample_removes_the_old_file(app, api_token, entry_id, samples_dir):
    client = app.test_client()
    headers = api_token("unit_operator")
    assert _upload(client, headers, entry_id, "a.pdf", PDF).status_code == 200
    assert _upload(client, headers, entry_id, "b.png", PNG).status_code == 200
    files = list(samples_dir.iterdir())
    with app.app_context():
        entry = db.session.get(LicenceEntry, entry_id)
        assert [f.name for f in files] == [entry.sample_stored_name]
        assert entry.sample_filename == "b.png"


def test_a_sample_whose_save_fails_leaves_no_file(app, world, entry_id, samples_dir):
    from app.core.actor import system_actor
    from app.licences import services

    with app.app_context():
        entry = db.session.get(LicenceEntry, entry_id)
        services.attach_sample(
            db.session,
            entry,
            actor=system_actor(),
            version=entry.version,
            filename="a.pdf",
            data=PDF,
            directory=str(samples_dir),
            max_bytes=1024,
        )
        assert len(list(samples_dir.iterdir())) == 1
        db.session.rollback()
    assert list(samples_dir.iterdir()) == []


def test_an_api_sample_over_the_request_limit_is_413_not_500(app, api_token, entry_id):
    headers = api_token("unit_operator")
    previous = app.config["MAX_CONTENT_LENGTH"]
    # 200 KB: the test client keeps bodies under 500 KB in memory (no temporary file left open)
    app.config["MAX_CONTENT_LENGTH"] = 200 * 1024
    try:
        too_big = PDF + b"0" * 300 * 1024
        response = _upload(app.test_client(), headers, entry_id, "样本.pdf", too_big)
    finally:
        app.config["MAX_CONTENT_LENGTH"] = previous
    assert response.status_code == 413
    assert response.json["message"] == "上传的文件超过 0.195 MB 的上限。"


def _failing_after_the_write(monkeypatch) -> None:
    from app.licences.services import samples

    settle = samples._settle_files

    def failing(*args, **kwargs):
        settle(*args, **kwargs)  # the file is written and its fate registered
        raise RuntimeError("disk full")

    monkeypatch.setattr(samples, "_settle_files", failing)


def test_an_add_form_failing_after_the_sample_write_leaves_no_file_and_no_row(
    world, app, login, samples_dir, monkeypatch
):
    from tests.licences.factories import type_code_for

    with app.app_context():
        code = type_code_for(world.unit("xiuying_market"), 22)
    _failing_after_the_write(monkeypatch)
    login("unit_operator").post(
        "/licenceentryview/add",
        data={
            "name": "样本证照",
            "type_code": code,
            "issuing_unit": str(world.unit("xiuying_market")),
            "holder_category": "person",
            "validity_rule": "per_issue",
            "trust_level": "sealed",
            "sample_upload": (io.BytesIO(PNG), "样本.png"),
        },
        content_type="multipart/form-data",
    )
    with app.app_context():
        assert db.session.query(LicenceEntry).filter_by(type_code=code).count() == 0
    assert not samples_dir.exists() or list(samples_dir.iterdir()) == []


def test_an_api_upload_failing_after_the_sample_write_leaves_no_file_and_no_change(
    app, api_token, entry_id, samples_dir, monkeypatch
):
    client = app.test_client()
    headers = api_token("unit_operator")
    _failing_after_the_write(monkeypatch)
    assert _upload(client, headers, entry_id, "a.pdf", PDF).status_code == 500
    assert not samples_dir.exists() or list(samples_dir.iterdir()) == []
    with app.app_context():
        entry = db.session.get(LicenceEntry, entry_id)
        assert entry.sample_stored_name is None and entry.version == 1


def test_the_edit_form_replaces_the_sample_once_and_a_stale_form_leaves_it(
    world, app, login, api_token, entry_id, samples_dir
):
    client = app.test_client()
    assert _upload(client, api_token("unit_operator"), entry_id, "a.pdf", PDF).status_code == 200
    with app.app_context():
        entry = db.session.get(LicenceEntry, entry_id)
        form = {
            "name": entry.name,
            "type_code": entry.type_code,
            "issuing_unit": str(entry.issuing_unit_id),
            "holder_category": entry.holder_category,
            "validity_rule": entry.validity_rule,
            "trust_level": entry.trust_level,
            "lock_version": str(entry.version),
        }
        first = entry.sample_stored_name
    operator = login("unit_operator")
    operator.post(
        f"/licenceentryview/edit/{entry_id}",
        data={**form, "sample_upload": (io.BytesIO(PNG), "b.png")},
        content_type="multipart/form-data",
    )
    with app.app_context():
        entry = db.session.get(LicenceEntry, entry_id)
        assert entry.sample_filename == "b.png" and entry.sample_stored_name != first
        replaced = entry.sample_stored_name
    assert [f.name for f in samples_dir.iterdir()] == [replaced]
    operator.post(  # the same form again: its version is stale now
        f"/licenceentryview/edit/{entry_id}",
        data={**form, "sample_upload": (io.BytesIO(JPEG), "c.jpg")},
        content_type="multipart/form-data",
    )
    with app.app_context():
        assert db.session.get(LicenceEntry, entry_id).sample_filename == "b.png"
    assert [f.name for f in samples_dir.iterdir()] == [replaced]
