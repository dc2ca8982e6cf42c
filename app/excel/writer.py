"""Writing spreadsheets with openpyxl: streaming (write-only) and safe against formula injection."""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Iterable, Sequence
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font, PatternFill

HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")


def safe_cell_value(value: Any) -> Any:
    """A value as it may go into a cell (timezone-aware datetimes made naive)."""
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.replace(tzinfo=None)
    return value


def stream_workbook(
    sheet_title: str,
    headers: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    column_widths: Sequence[int] | None = None,
) -> IO[bytes]:
    """Write one sheet in constant memory (openpyxl write-only) to a temporary file.

    Returns the file positioned at its start; the caller sends it and closes it.
    """
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=sheet_title[:31])
    sheet.freeze_panes = "A2"
    for index, width in enumerate(column_widths or [], start=1):
        sheet.column_dimensions[_column_letter(index)].width = width
    header_cells = []
    for header in headers:
        cell = WriteOnlyCell(sheet, value=header)
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
        header_cells.append(cell)
    sheet.append(header_cells)
    for row in rows:
        sheet.append([_text_cell(sheet, value) for value in row])
    # Handed to the caller, who streams and closes it.
    output = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115
    workbook.save(output)
    output.seek(0)
    return output


def _text_cell(sheet: Any, value: Any) -> Any:
    """Every string is written as a string cell, never as a formula.

    openpyxl turns a string starting with ``=`` into a formula, and spreadsheet programs run
    ``+ - @`` as formulas too (formula injection); forcing ``data_type = "s"`` stores the exact
    text as text, so export → import round-trips it unchanged.
    """
    value = safe_cell_value(value)
    if isinstance(value, str):
        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"
        return cell
    return value


def _column_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index)
