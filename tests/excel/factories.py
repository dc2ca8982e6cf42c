"""Workbooks built by the tests themselves (openpyxl), as counties would send them."""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from typing import Any

from openpyxl import Workbook

from app.core.codes import make_credit_code

UNIT_HEADER = [
    "单位名称",
    "统一社会信用代码",
    "所属区划代码",
    "单位类型",
    "行使层级",
    "联络员",
    "联络电话",
    "是否启用",
]


def credit_code(region_code: str, n: int) -> str:
    return make_credit_code("11", region_code, f"{n:08d}")


def workbook_bytes(
    sheets: dict[str, Sequence[Sequence[Any]]],
    *,
    hidden: Sequence[str] = (),
    merges: dict[str, Sequence[str]] | None = None,
) -> bytes:
    workbook = Workbook()
    workbook.remove(workbook.active)
    for name, rows in sheets.items():
        sheet = workbook.create_sheet(name)
        for row in rows:
            sheet.append(list(row))
        if name in hidden:
            sheet.sheet_state = "hidden"
        for merge in (merges or {}).get(name, ()):
            sheet.merge_cells(merge)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def unit_rows(*rows: Sequence[Any]) -> bytes:
    return workbook_bytes({"实施单位": [UNIT_HEADER, *rows]})


def share_strings(source: str, target: str) -> int:
    """The same workbook as Excel or WPS would save it: each distinct text once in
    xl/sharedStrings.xml, cells referring to it by index. Returns the number of texts."""
    import zipfile

    with zipfile.ZipFile(source) as archive:
        members = {info.filename: archive.read(info) for info in archive.infolist()}
    table: dict[bytes, int] = {}

    def shared(match: re.Match[bytes]) -> bytes:
        index = table.setdefault(match.group(2), len(table))
        return b'<c r="%s" t="s"><v>%d</v></c>' % (match.group(1), index)

    for name in [n for n in members if n.startswith("xl/worksheets/")]:
        members[name] = re.sub(
            rb'<c r="([A-Z]+[0-9]+)" t="inlineStr"><is>(.*?)</is></c>', shared, members[name]
        )
    members["xl/sharedStrings.xml"] = (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        b'uniqueCount="%d">'
        % len(table)
        + b"".join(b"<si>" + text + b"</si>" for text in table)
        + b"</sst>"
    )
    members["[Content_Types].xml"] = members["[Content_Types].xml"].replace(
        b"</Types>",
        b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
        b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
    )
    members["xl/_rels/workbook.xml.rels"] = members["xl/_rels/workbook.xml.rels"].replace(
        b"</Relationships>",
        b'<Relationship Id="rIdShared" Type="http://schemas.openxmlformats.org/officeDocument/'
        b'2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>',
    )
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return len(table)
