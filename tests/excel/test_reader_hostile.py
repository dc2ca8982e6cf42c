"""Hostile workbooks (security assessment, issue #12.4/#12.5; issue #13): each one is refused with
a clear 4xx (「文件无法读取」 or the cap it broke), through the page and through the API; the
upload is removed from IMPORTS_DIR, the refusal is audited and nothing is imported. Legal XML the
byte slicer cannot cut (comments, CDATA holding ``</row>``) is read correctly instead."""

from __future__ import annotations

import io
import os
import re
import zipfile

import pytest
from sqlalchemy import func, select

from app.core.models import AuditLog
from app.excel import reader, slices
from app.excel.models import ImportBatch
from app.extensions import db
from tests.excel.factories import UNIT_HEADER, credit_code, unit_rows, workbook_bytes
from tests.excel.helpers import post_file, unit_count

SHEET = "xl/worksheets/sheet1.xml"
BILLION_LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
    b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">'
    b'<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">]>'
)


def _valid() -> bytes:
    return unit_rows(["秀英区民政局", credit_code("460105", 1), "460105", "政府部门"])


def _rewrite(data: bytes, changes: dict) -> bytes:
    """The workbook with members replaced (bytes), changed (a function) or removed (None)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    named = dict(changes)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info)
            change = named.pop(info.filename, content)
            if change is None:
                continue
            target.writestr(info.filename, change(content) if callable(change) else change)
        for name, content in named.items():
            target.writestr(name, content)
    return out.getvalue()


def _entity_sheet(xml: bytes) -> bytes:
    body = xml[xml.find(b"<worksheet") :]
    return BILLION_LAUGHS.replace(b"lolz", b"worksheet") + body.replace(b"<t>", b"<t>&lol4;", 1)


def _no_row_numbers(xml: bytes, copies: int) -> bytes:
    """The sheet's rows without r attributes, the last row repeated ``copies`` times."""
    xml = re.sub(rb' r="[A-Z]*\d+"', b"", xml)
    last = xml[xml.rfind(b"<row") : xml.rfind(b"</row>") + 6]
    return xml.replace(last, last * copies)


def _big_strings(xml: bytes) -> bytes:
    filler = b"".join(b"<si><t>%d</t></si>" % n for n in range(120_000))
    return xml.replace(b"</sst>", filler + b"</sst>")


def _far_cell(xml: bytes) -> bytes:
    return xml.replace(b"</row>", b'<c r="XFD1048576"><v>1</v></c></row>', 1)


def _laughing_workbook(xml: bytes) -> bytes:
    return BILLION_LAUGHS.replace(b"lolz", b"workbook") + xml[xml.find(b"<workbook") :]


EXTERNAL_ENTITY = (
    b'<?xml version="1.0"?><!DOCTYPE sst [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    b"<sst><si><t>&x;</t></si></sst>"
)
EMPTY_TABLE = (
    b'<?xml version="1.0"?>'
    b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"></sst>'
)

HOSTILE = {
    "bad workbook.xml": (lambda: _rewrite(_valid(), {"xl/workbook.xml": b"<workbook><s"}), {}),
    "missing workbook.xml.rels": (
        lambda: _rewrite(_valid(), {"xl/_rels/workbook.xml.rels": None}),
        {},
    ),
    "billion laughs in workbook.xml": (
        lambda: _rewrite(_valid(), {"xl/workbook.xml": _laughing_workbook}),
        {},
    ),
    "entities in the sheet": (lambda: _rewrite(_valid(), {SHEET: _entity_sheet}), {}),
    "external entity in the shared strings": (
        lambda: _rewrite(_valid(), {"xl/sharedStrings.xml": EXTERNAL_ENTITY}),
        {},
    ),
    "rows without r over the part cap": (
        lambda: _rewrite(_valid(), {SHEET: lambda xml: _no_row_numbers(xml, 12_000)}),
        {"IMPORT_MAX_PART_MB": 1},
    ),
    "shared-strings amplification": (
        lambda: _rewrite(
            workbook_bytes({"实施单位": [UNIT_HEADER]}),
            {"xl/sharedStrings.xml": _big_strings(EMPTY_TABLE)},
        ),
        {"IMPORT_MAX_SHARED_STRINGS_MB": 1},
    ),
    "zip bomb part": (
        lambda: _rewrite(_valid(), {"xl/media/zeros.bin": b"\0" * (3 << 20)}),
        {"IMPORT_MAX_PART_MB": 1},
    ),
    "a cell far away from the others": (lambda: _rewrite(_valid(), {SHEET: _far_cell}), {}),
}
EXPECTED = {
    "rows without r over the part cap": "1 MB",
    "shared-strings amplification": "1 MB",
    "zip bomb part": "1 MB",
    "a cell far away from the others": "5,000,000",
}


def _files(app) -> set[str]:
    return {name for name in os.listdir(app.config["IMPORTS_DIR"]) if name != "jobs"}


def _refusals(app) -> int:
    with app.app_context():
        return db.session.scalar(
            select(func.count())
            .select_from(AuditLog)
            .where(AuditLog.action == "import", AuditLog.object_id == "")
        )


@pytest.fixture
def caps(app):
    saved = dict(app.config)

    def set_caps(values):
        app.config.update(values)

    yield set_caps
    for key in ("IMPORT_MAX_PART_MB", "IMPORT_MAX_SHARED_STRINGS_MB"):
        app.config[key] = saved.get(key)


def _assert_refused(app, response, name, files, refusals, units):
    assert 400 <= response.status_code < 500
    expected = EXPECTED.get(name, "文件无法读取")
    text = response.json["message"] if response.is_json else response.get_data(as_text=True)
    assert expected in text, text[:2000]
    assert _files(app) == files  # the upload is gone
    assert _refusals(app) == refusals + 1  # and the refusal audited
    assert unit_count(app) == units
    with app.app_context():
        assert db.session.query(ImportBatch).count() == 0


@pytest.mark.parametrize("name", list(HOSTILE))
def test_a_hostile_workbook_is_refused_through_the_api(world, api_token, app, caps, name):
    build, settings = HOSTILE[name]
    caps(settings)
    files, refusals, units = _files(app), _refusals(app), unit_count(app)
    response = post_file(app.test_client(), api_token("province_admin"), build())
    _assert_refused(app, response, name, files, refusals, units)


@pytest.mark.parametrize("name", list(HOSTILE))
def test_a_hostile_workbook_is_refused_through_the_upload_page(world, login, app, caps, name):
    build, settings = HOSTILE[name]
    caps(settings)
    client = login("province_admin")
    files, refusals, units = _files(app), _refusals(app), unit_count(app)
    response = client.post(
        "/excel/units/upload",
        data={"file": (io.BytesIO(build()), "单位.xlsx")},
        content_type="multipart/form-data",
    )
    _assert_refused(app, response, name, files, refusals, units)


def test_a_sheet_broken_after_its_first_slice_is_refused_without_row_errors(
    world, api_token, app, monkeypatch
):
    monkeypatch.setattr(slices, "SLICE_BYTES", 2048)
    monkeypatch.setattr(reader, "HEAD_SLICE_BYTES", 2048)  # the upload reads the first rows only
    rows = [
        [f"秀英区第{n}局", credit_code("460105", 100 + n), "460105", "政府部门"] for n in range(300)
    ]
    data = _rewrite(
        unit_rows(*rows), {SHEET: lambda xml: xml.replace(b'<row r="250"', b'<row r="250"><c', 1)}
    )
    before = unit_count(app)
    response = post_file(app.test_client(), api_token("province_admin"), data)
    assert response.json["status"] == "rejected"
    assert "文件无法读取" in response.json["message"]
    assert response.json["counts"]["invalid"] == 0 and not response.json["errors"]
    assert unit_count(app) == before


@pytest.mark.parametrize("construct", ["comment", "cdata", "instruction"])
def test_legal_xml_holding_a_row_end_is_read_as_xml(world, api_token, app, monkeypatch, construct):
    """Issue #13: a comment, a CDATA section or a processing instruction holding ``</row>``
    made the byte slicer cut inside it and the background job die."""
    monkeypatch.setattr(slices, "SLICE_BYTES", 2048)
    rows = [
        [f"秀英区第{n}局", credit_code("460105", 100 + n), "460105", "政府部门", None, f"联络员{n}"]
        for n in range(300)
    ]
    rows[250][1] = "BAD-CODE"

    def change(xml: bytes) -> bytes:
        if construct == "comment":
            return xml.replace(b"</row>", b"</row><!-- a </row> in a comment -->")
        if construct == "instruction":
            return xml.replace(b"</row>", b"</row><?note </row> ?>")
        return re.sub("<t>(联络员\\d+)</t>".encode(), b"<t><![CDATA[\\1</row>]]></t>", xml)

    data = _rewrite(unit_rows(*rows), {SHEET: change})
    before = unit_count(app)
    preview = post_file(app.test_client(), api_token("province_admin"), data).json
    assert preview["status"] == "rejected", preview
    assert preview["counts"]["new"] == 299 and preview["counts"]["invalid"] == 1
    assert [(e["row"], e["column"]) for e in preview["errors"]] == [(252, "统一社会信用代码")]
    assert unit_count(app) == before


@pytest.mark.parametrize("page", ["abc", "-3", "1e9"])
def test_a_history_page_that_is_not_a_number_shows_the_first_page(world, login, app, page):
    client = login("province_admin")
    response = client.get(f"/excel/implementation_list/?page={page}")
    assert response.status_code == 200  # was 500 (int("abc"))


def test_clean_text_strips_invisible_characters_and_keeps_lines_only_where_they_belong():
    from app.excel.spec import Column, clean_text, convert

    assert clean_text("秀英区\u202e民政\u200b局\u0007\ufeff ") == "秀英区民政局"
    assert clean_text("第一行\r\n第二行\t乙", multiline=True) == "第一行\n第二行\t乙"
    assert clean_text("第一行\r\n第二行\t乙") == "第一行 第二行 乙"
    assert convert(Column("basis", "设定依据"), "《条例》\n第三条\u202e") == "《条例》\n第三条"
    assert convert(Column("name", "单位名称", max_length=128), "甲\n乙\u2066") == "甲 乙"
    assert convert(Column("name", "单位名称"), "\u200b\u0007") is None


def test_invisible_characters_are_stripped_from_imported_cells_and_file_names(
    world, api_token, app
):
    code = credit_code("460105", 7)
    data = _rewrite(
        unit_rows(["秀英区民政局", code, "460105", "政府部门", None, "张三"]),
        {SHEET: lambda xml: xml.replace("民政".encode(), "民\u202e政\u200b_x0007_".encode())},
    )
    client, headers = app.test_client(), api_token("province_admin")
    preview = post_file(client, headers, data, name="单位\u202e\u0007xlsx.exe.xlsx").json
    assert preview["counts"]["new"] == 1, preview
    with app.app_context():
        batch = db.session.get(ImportBatch, preview["id"])
        assert batch.file_name == "单位xlsx.exe.xlsx"
    client.post(f"/api/v1/unit_list/import/{preview['id']}/confirm", headers=headers)
    with app.app_context():
        from app.core.models import Unit

        assert (
            db.session.scalar(select(Unit.name).where(Unit.credit_code == code)) == "秀英区民政局"
        )
