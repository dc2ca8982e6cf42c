"""Reading a sheet slice by slice (app.excel.slices) gives exactly the rows calamine reads from the
whole sheet, for generated sheets: rows and cells with and without ``r`` attributes, comments and
CDATA sections holding ``</row>`` (issue #13), processing instructions, shared and inline strings,
numbers, and any slice size."""

from __future__ import annotations

import tempfile
import zipfile
from unittest import mock
from xml.sax.saxutils import escape

import python_calamine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.excel import slices

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
TEXT = st.text(alphabet='ab中文<&>" ', min_size=1, max_size=6)

cells = st.lists(
    st.tuples(
        st.booleans(),  # with an r attribute
        st.integers(0, 2),  # columns skipped before it
        st.sampled_from(["number", "shared", "inline", "cdata"]),
        st.integers(0, 999),
        TEXT,
        st.booleans(),  # a comment after it
    ),
    max_size=5,
)
rows = st.lists(
    st.tuples(
        st.booleans(),  # with an r attribute
        st.integers(0, 3),  # rows skipped before it
        cells,
        st.sampled_from(["", "comment", "instruction"]),  # after the row
    ),
    min_size=1,
    max_size=40,
)


def _letters(index: int) -> str:
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(65 + rest) + name
    return name


def _sheet(generated, strings: list[str]) -> bytes:
    parts, number = [], 0
    for numbered, skipped, row_cells, after in generated:
        number += 1 + (skipped if numbered else 0)
        out = [f'<row r="{number}">' if numbered else "<row>"]
        column = -1
        for with_r, gap, kind, value, text, comment in row_cells:
            column += 1 + (gap if with_r else 0)
            ref = f' r="{_letters(column)}{number}"' if with_r else ""
            if kind == "number":
                out.append(f"<c{ref}><v>{value}</v></c>")
            elif kind == "shared":
                out.append(f'<c{ref} t="s"><v>{value % len(strings)}</v></c>')
            elif kind == "inline":
                out.append(f'<c{ref} t="inlineStr"><is><t>{escape(text)}</t></is></c>')
            else:
                out.append(f'<c{ref} t="inlineStr"><is><t><![CDATA[{text}</row>]]></t></is></c>')
            if comment:
                out.append("<!-- </c></row> -->")
        out.append("</row>")
        if after == "comment":
            out.append("<!-- <row r='1'></row> -->")
        elif after == "instruction":
            out.append("<?keep </row>?>")
        parts.append("".join(out))
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN}">'
        f'<dimension ref="A1"/><sheetData>{"".join(parts)}</sheetData></worksheet>'
    ).encode()


def _workbook(path: str, sheet: bytes, strings: list[str]) -> None:
    table = "".join(f"<si><t>{escape(text)}</t></si>" for text in strings)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("[Content_Types].xml", slices._CONTENT_TYPES)
        package.writestr("_rels/.rels", slices._PACKAGE_RELS)
        package.writestr("xl/workbook.xml", slices._workbook_xml(False))
        package.writestr("xl/_rels/workbook.xml.rels", slices._WORKBOOK_RELS)
        package.writestr("xl/styles.xml", slices._EMPTY_STYLES)
        package.writestr("xl/sharedStrings.xml", f'<sst xmlns="{MAIN}">{table}</sst>'.encode())
        package.writestr("xl/worksheets/sheet1.xml", sheet)


def _used(sheet) -> list[tuple[int, list]]:
    if sheet.start is None:
        return []
    top, left = sheet.start
    used = []
    for index, row in enumerate(sheet.to_python()):
        cells = [None if cell == "" else cell for cell in [None] * left + row]
        while cells and cells[-1] is None:
            cells.pop()
        if cells:
            used.append((top + index, cells))
    return used


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    generated=rows,
    strings=st.lists(TEXT, min_size=1, max_size=30),
    slice_bytes=st.integers(16, 4096),
    split_table=st.booleans(),
)
def test_slice_by_slice_reading_equals_the_whole_sheet(
    generated, strings, slice_bytes, split_table
):
    with tempfile.NamedTemporaryFile(suffix=".xlsx") as handle:
        _workbook(handle.name, _sheet(generated, strings), strings)
        whole = _used(
            python_calamine.CalamineWorkbook.from_path(handle.name).get_sheet_by_name("s")
        )
        # A big table is handed to each slice with only its own entries: make this one count.
        with mock.patch.object(slices._SharedStrings, "SMALL", 0 if split_table else 1 << 20):
            source = slices.XlsxSlices(handle.name, "s", cap=1 << 30, slice_bytes=slice_bytes)
            sliced = [row for part in slices.prefetched(source) for row in _used(part.sheet)]
    assert sliced == whole
