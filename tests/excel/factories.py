"""Workbooks built by the tests themselves (openpyxl), as counties would send them."""

from __future__ import annotations

import io
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
