"""Big .xlsx sheets are read slice by slice (app.excel.slices): the rows, their numbers, shared
strings, dates, formulas and merged header cells come out exactly as when calamine reads the
whole sheet, and an import read through many small slices behaves like one read whole."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile

import pytest
from openpyxl import Workbook

from app.excel import reader, slices
from tests.excel.factories import (
    UNIT_HEADER,
    credit_code,
    share_strings,
    unit_rows,
    workbook_bytes,
)
from tests.excel.helpers import post_file, unit_count


def _big_workbook(path, rows=400):
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "清单"
    sheet.append(["2024 年清单"])
    sheet.merge_cells("A1:E1")
    sheet.append(["名称", "编码", "期限", "日期", "备注"])
    for n in range(rows):
        if n == 150:
            sheet.append([])  # a blank row in the middle
            continue
        sheet.append(
            [
                f"事项{n % 37}<&>“引号”",  # shared strings repeat, XML specials escaped
                f"46{n:010d}",
                n % 30,
                dt.datetime(2025, 1, 1) + dt.timedelta(days=n),
                True if n % 2 else None,
            ]
        )
    sheet["C300"] = "=1+1"
    workbook.save(path)


def _whole(path, name):
    import python_calamine

    sheet = python_calamine.CalamineWorkbook.from_path(path).get_sheet_by_name(name)
    top, left = sheet.start
    return [(top + i, [None] * left + row) for i, row in enumerate(sheet.to_python())]


def test_slices_give_the_rows_calamine_reads_whole_with_their_numbers(tmp_path):
    path = str(tmp_path / "big.xlsx")
    _big_workbook(path)
    source = slices.XlsxSlices(path, "清单", cap=1 << 30, slice_bytes=4096)
    parts = list(slices.prefetched(source))
    assert len(parts) > 10  # really cut
    rows = []
    for part in parts:
        top, left = part.sheet.start
        rows.extend((top + i, [None] * left + row) for i, row in enumerate(part.sheet.to_python()))
    whole = _whole(path, "清单")
    # The whole sheet pads the blank row; the slices skip what lies between two slices.
    assert [r for r in rows if any(c not in (None, "") for c in r[1])] == [
        r for r in whole if any(c not in (None, "") for c in r[1])
    ]
    assert rows[2][1][0] == "事项0<&>“引号”" and isinstance(rows[2][1][3], dt.date)
    assert parts[-1].done == 1.0
    formulas = set().union(*(part.formulas for part in parts))
    assert formulas == {(299, 2)}


def _rows_of_slices(path, name, slice_bytes=4096):
    rows = []
    for part in slices.prefetched(
        slices.XlsxSlices(path, name, cap=1 << 30, slice_bytes=slice_bytes)
    ):
        top, left = part.sheet.start
        rows.extend((top + i, [None] * left + row) for i, row in enumerate(part.sheet.to_python()))
    return [r for r in rows if any(c not in (None, "") for c in r[1])]


def _rewrite_sheet(path, change):
    with zipfile.ZipFile(path) as source:
        members = {info.filename: source.read(info) for info in source.infolist()}
    members["xl/worksheets/sheet1.xml"] = change(members["xl/worksheets/sheet1.xml"])
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for member, data in members.items():
            target.writestr(member, data)


@pytest.mark.parametrize("quotes", ["double", "single"])
def test_each_slice_gets_the_shared_strings_it_uses_and_reads_them_as_the_whole_sheet(
    tmp_path, monkeypatch, quotes
):
    """A big shared-strings table (as Excel and WPS write) goes to each slice with only the
    entries its cells refer to; cells written in a way the short scan does not read (single
    quotes) get the whole table. Either way every text reads as in the whole sheet."""
    monkeypatch.setattr(slices._SharedStrings, "SMALL", 0)  # this table counts as big
    path = str(tmp_path / "shared.xlsx")
    _big_workbook(str(tmp_path / "inline.xlsx"))
    share_strings(str(tmp_path / "inline.xlsx"), path)
    table = _shared_strings_xml(path)
    if quotes == "single":
        _rewrite_sheet(path, lambda xml: xml.replace(b't="s"', b"t='s'"))
    sizes = []
    original = slices._SharedStrings.for_slice
    monkeypatch.setattr(
        slices._SharedStrings,
        "for_slice",
        lambda self, rows: sizes.append(len(out := original(self, rows))) or out,
    )
    rows = _rows_of_slices(path, "清单")
    assert rows == [r for r in _whole(path, "清单") if any(c not in (None, "") for c in r[1])]
    assert rows[2][1][0] == "事项0<&>“引号”"
    assert len(sizes) > 10
    if quotes == "double":
        assert min(sizes) < len(table)  # slices got their own, smaller tables
    else:
        assert set(sizes) == {len(table)}  # the whole table, to be safe


@pytest.mark.parametrize(
    "entries",
    [
        [b"<si><t>a</t></si>", b"<si><t>b</t></si>", b"<si><r><t>c</t></r></si>"],
        [b'<si foo="1"><t>a</t></si>', b"<si/>", b"<si><t>c&amp;</t></si>"],  # the slow way
    ],
)
def test_a_slice_table_keeps_the_entries_its_cells_use_at_their_places(monkeypatch, entries):
    monkeypatch.setattr(slices._SharedStrings, "SMALL", 0)
    xml = b'<?xml version="1.0"?>\n<sst count="3">' + b"".join(entries) + b"</sst>"
    table = slices._SharedStrings.split(xml)
    assert table.whole() == xml
    rows = b'<row r="2"><c r="A2" t="s"><v>2</v></c><c r="B2" t="s"><v>2</v></c></row>'
    part = table.for_slice(rows)
    assert part.startswith(b'<?xml version="1.0"?>\n<sst count="3">') and part.endswith(b"</sst>")
    assert part.count(b"<si") == 3 and entries[2] in part
    assert entries[0] not in part
    assert table.for_slice(rows) == part  # the table is left as it was for the next slice
    first = table.for_slice(rows.replace(b"<v>2</v>", b"<v>0</v>"))
    assert first.count(b"<si") == 1 and first.endswith(entries[0] + b"</sst>")  # no tail
    numbers = table.for_slice(b'<row r="3"><c r="A3"><v>7</v></c></row>')
    assert numbers == b'<?xml version="1.0"?>\n<sst count="3"></sst>'


def test_reader_rows_keep_absolute_positions_when_the_data_starts_below_and_right(tmp_path):
    path = str(tmp_path / "offset.xlsx")
    workbook = Workbook()
    sheet = workbook.active
    sheet["C3"], sheet["D4"] = "a", "b"
    workbook.save(path)
    facts = reader.FileFacts(reader.XLSX)
    rows = [(i, cells) for i, cells, _f, _d in reader.sheet_rows(path, facts, "Sheet", cap=1 << 30)]
    assert rows[0][0] == 2 and rows[0][1][2] == "a"
    assert rows[1][0] == 3 and rows[1][1][3] == "b"


def _without_row_numbers(data: bytes) -> bytes:
    """The same workbook with the r attributes of rows and cells removed (some writers)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            content = source.read(info)
            if info.filename.startswith("xl/worksheets/"):
                content = re.sub(rb' r="[A-Z]*\d+"', b"", content)
            target.writestr(info, content)
    return out.getvalue()


def test_sheets_without_row_numbers_are_read_whole(world, api_token, app, monkeypatch):
    monkeypatch.setattr(slices, "SLICE_BYTES", 2048)
    rows = [
        [f"秀英区第{n}局", credit_code("460105", 100 + n), "460105", "政府部门"] for n in range(40)
    ]
    data = _without_row_numbers(unit_rows(*rows))
    client, headers = app.test_client(), api_token("province_admin")
    preview = post_file(client, headers, data).json
    assert preview["counts"]["new"] == 40, preview
    assert preview["counts"]["invalid"] == 0


def test_an_import_read_in_many_slices_names_the_right_rows(world, api_token, app, monkeypatch):
    monkeypatch.setattr(slices, "SLICE_BYTES", 2048)
    rows = [
        [f"秀英区第{n}局", credit_code("460105", 100 + n), "460105", "政府部门"] for n in range(300)
    ]
    rows[250][1] = "BAD-CODE"
    data = workbook_bytes({"实施单位": [["实施单位名单"], UNIT_HEADER, *rows]})
    client, headers = app.test_client(), api_token("province_admin")
    before = unit_count(app)
    preview = post_file(client, headers, data).json
    assert preview["counts"] == {
        "total": 300,
        "new": 299,
        "changed": 0,
        "unchanged": 0,
        "invalid": 1,
    }
    assert [(e["row"], e["column"]) for e in preview["errors"]] == [(253, "统一社会信用代码")]
    assert unit_count(app) == before


@pytest.mark.parametrize(("row", "numbered"), [(5, True), (280, True), (280, False)])
def test_a_formula_in_any_slice_is_a_row_error(world, api_token, app, monkeypatch, row, numbered):
    """Found slice by slice, and also in a sheet whose rows carry no numbers (read whole)."""
    monkeypatch.setattr(slices, "SLICE_BYTES", 2048)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "实施单位"
    sheet.append(UNIT_HEADER)
    for n in range(300):
        sheet.append([f"秀英区第{n}局", credit_code("460105", 100 + n), "460105", "政府部门"])
    sheet.cell(row=row, column=6, value='="张"&"三"')
    out = io.BytesIO()
    workbook.save(out)
    data = out.getvalue() if numbered else _without_row_numbers(out.getvalue())
    client, headers = app.test_client(), api_token("province_admin")
    preview = post_file(client, headers, data).json
    assert preview["counts"]["invalid"] == 1
    # Without numbers a cell follows the one before it: the formula, written after column D
    # with E empty, is then in column E (行使层级), for calamine as for the formula finder.
    column = "联络员" if numbered else "行使层级"
    assert (preview["errors"][0]["row"], preview["errors"][0]["column"]) == (row, column)
    assert "公式" in preview["errors"][0]["message"]


def _shared_strings_xml(path):
    with zipfile.ZipFile(path) as archive:
        return archive.read("xl/sharedStrings.xml")
