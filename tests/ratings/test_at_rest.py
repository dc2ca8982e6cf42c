"""Raters' personal data never lies in clear on disk: the engine keeps a ratings import's upload,
its preview plan and its annotated error copy sealed (``RatingSpec.sealed``), and every step —
preview, confirm, history downloads, withdrawal — still works from the sealed files."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from app.core.models import AuditLog
from app.ratings.models import Rating, RectificationTicket
from tests.ratings.test_spreadsheet import URL, _count, _upload, _workbook, codes, eager_jobs

__all__ = ["codes", "eager_jobs"]  # fixtures shared with the spreadsheet tests

PHONE, ID_NUMBER, NAME = "13877776666", "460100198807076543", "欧阳娜娜"


def _rows(code: str, *, bad: bool = False) -> list[list[Any]]:
    return [
        ["PJ-REST-1", code, None, "BJ91", NAME, PHONE, ID_NUMBER, "PC",
         "2026-03-06 16:00", "不满意", "排队太久"],
        ["PJ-REST-2", code if not bad else "11460105MB0123456X4999999999999", None, "BJ92",
         "李四", "13900002222", None, "移动端", "2026-03-06 17:00", "满意", None],
    ]  # fmt: skip


def _clear_texts(path: Path) -> list[bytes]:
    """A stored file's bytes as they lie on disk, and, if it is a zip (an .xlsx), every member
    inflated: an .xlsx holds its cells compressed, so a raw scan alone would prove nothing."""
    data = path.read_bytes()
    texts = [data]
    if data.startswith(b"PK"):
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            texts += [archive.read(name) for name in archive.namelist()]
    return texts


def _files_holding_personal_data(directory: str) -> list[str]:
    found = []
    for path in Path(directory).rglob("*"):
        if not path.is_file():
            continue
        for text in _clear_texts(path):
            if any(value.encode() in text for value in (PHONE, ID_NUMBER, NAME)):
                found.append(path.name)
                break
    return found


def test_no_file_under_imports_holds_a_raters_phone_or_id_after_preview_and_confirm(
    app, codes, api_token
):
    client, headers = app.test_client(), api_token("county_coordinator")
    imports = app.config["IMPORTS_DIR"]
    rejected = _upload(client, headers, _workbook(*_rows(codes[0], bad=True)))
    assert rejected.json["status"] == "rejected", rejected.json  # an annotated copy was written
    preview = _upload(client, headers, _workbook(*_rows(codes[0])))
    assert preview.json["counts"]["new"] == 2, preview.json
    assert _files_holding_personal_data(imports) == []
    done = client.post(f"{URL}/{preview.json['id']}/confirm", headers=headers)
    assert done.json["status"] == "applied", done.json
    assert _files_holding_personal_data(imports) == []
    with app.app_context():
        from app.extensions import db

        names = db.session.execute(
            select(Rating.rating_no).where(Rating.rating_no.like("PJ-REST-%"))
        ).scalars()
        assert sorted(names) == ["PJ-REST-1", "PJ-REST-2"]


def test_the_original_and_the_error_copy_download_in_clear_and_the_read_is_audited(
    app, codes, api_token, login
):
    client, headers = app.test_client(), api_token("county_coordinator")
    rejected = _upload(client, headers, _workbook(*_rows(codes[0], bad=True))).json["id"]
    page = login("county_coordinator")
    original = page.get(f"/excel/ratings/{rejected}/original")
    assert original.status_code == 200
    cells = [c for row in load_workbook(io.BytesIO(original.data)).active.values for c in row]
    assert PHONE in cells and ID_NUMBER in cells
    errors = page.get(f"/excel/ratings/{rejected}/errors")
    assert errors.status_code == 200
    cells = [c for row in load_workbook(io.BytesIO(errors.data)).active.values for c in row]
    assert PHONE in cells and any("实施编码" in str(c) for c in cells)
    with app.app_context():
        from app.extensions import db

        reads = db.session.scalar(
            select(func.count())
            .select_from(AuditLog)
            .where(
                AuditLog.object_type == "ImportBatch",
                AuditLog.object_id == str(rejected),
                AuditLog.action == "security",
            )
        )
        assert reads == 2
    for path in ("/original", "/errors"):
        other = login("county_coordinator2").get(f"/excel/ratings/{rejected}{path}")
        assert other.status_code == 404


def test_a_sealed_file_altered_on_disk_is_refused_not_read(app, codes, api_token):
    client, headers = app.test_client(), api_token("county_coordinator")
    preview = _upload(client, headers, _workbook(*_rows(codes[0]))).json
    with app.app_context():
        from app.excel.models import ImportBatch
        from app.extensions import db

        stored = db.session.get(ImportBatch, preview["id"]).stored_name
    stem = stored.split(".")[0]
    altered = sorted(Path(app.config["IMPORTS_DIR"]).glob(f"{stem}*"))
    assert [path.suffix for path in altered] == [".plan", ".xlsx"]  # the upload and its plan
    for path in altered:
        data = bytearray(path.read_bytes())
        data[40] ^= 1
        path.write_bytes(bytes(data))
    done = client.post(f"{URL}/{preview['id']}/confirm", headers=headers)
    assert done.json["status"] == "failed", done.json
    assert "存储的文件无法打开" in done.json["message"]
    assert _count(app, RectificationTicket) == 0


@pytest.mark.parametrize("purpose", ["a.xlsx", "a.plan"])
def test_seal_binds_the_name_and_the_key(app, purpose):
    from app.core import personal_data

    with app.app_context():
        sealed = personal_data.seal(b"PK 13877776666", purpose)
        assert b"13877776666" not in sealed
        assert personal_data.unseal(sealed, purpose) == b"PK 13877776666"
        with pytest.raises(personal_data.PersonalDataError):
            personal_data.unseal(sealed, "b" + purpose)
