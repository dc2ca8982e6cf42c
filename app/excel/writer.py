"""Writing spreadsheets with openpyxl: streaming (write-only) and safe against formula injection."""

from __future__ import annotations

import datetime as dt
import io
import re
import tempfile
import zipfile
from collections.abc import Iterable, Sequence
from typing import IO, Any

from flask import Response, send_file
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font, PatternFill

from app.core.calendar import format_datetime
from app.core.errors import join_messages

# XML 1.0 forbids these control characters; a cell must not carry them (openpyxl refuses the
# whole workbook), so they are left out of every exported text.
_ILLEGAL = dict.fromkeys([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20)])

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
        sheet.append([_text_cell(sheet, _shown(value)) for value in row])
    # Handed to the caller, who streams and closes it.
    output = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115
    workbook.save(output)
    output.seek(0)
    return output


def _shown(value: Any) -> Any:
    """A stored instant (UTC) is written as the pages show it: the province's local time."""
    return format_datetime(value, seconds=True) if isinstance(value, dt.datetime) else value


def _text_cell(sheet: Any, value: Any) -> Any:
    """Every string is written as a string cell, never as a formula.

    openpyxl turns a string starting with ``=`` into a formula, and spreadsheet programs run
    ``+ - @`` as formulas too (formula injection); forcing ``data_type = "s"`` stores the exact
    text as text, so export → import round-trips it unchanged.
    """
    value = safe_cell_value(value)
    if isinstance(value, str):
        value = value.translate(_ILLEGAL)
    if isinstance(value, str) and value.startswith("="):
        # Only "=" makes openpyxl write a formula; any other string is already a string cell,
        # which Excel and WPS show as text whatever its first character (+ - @ included).
        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"
        return cell
    return value


def _column_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index)


_LETTERS = [_column_letter(i) for i in range(1, 257)]


# -- list templates, exports and annotated error copies ----------------------------------------

LISTS_SHEET = "下拉选项"
INSTRUCTIONS_SHEET = "填写说明"
REQUIRED_FILL = PatternFill("solid", fgColor="FCE4D6")
ERROR_FILL = PatternFill("solid", fgColor="FFC7CE")
ERROR_FONT = Font(color="9C0006")
TEMPLATE_ROWS = 5000  # rows the drop-downs cover in a template


def write_list(
    spec: Any,
    records: Iterable[dict[str, Any]],
    *,
    choices: dict[str, Sequence[str]],
    with_instructions: bool = True,
    validation_rows: int | None = None,
) -> IO[bytes]:
    """A list's workbook in the template layout: the data sheet (header in row 1, frozen,
    widths, drop-downs for closed lists), the instructions sheet and the hidden lists sheet.

    Used for the empty template and for exports (streamed, write-only), so an exported file
    imports back unchanged.
    """
    from openpyxl.worksheet.datavalidation import DataValidation

    from app.excel.spec import rows_to_cells

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=spec.title[:31])
    sheet.freeze_panes = "A2"
    for index, column in enumerate(spec.columns, start=1):
        sheet.column_dimensions[_column_letter(index)].width = column.width
    closed = [(i, c) for i, c in enumerate(spec.columns, start=1) if choices.get(c.key)]
    last_row = max(validation_rows or TEMPLATE_ROWS, 2)
    for list_column, (index, column) in enumerate(closed, start=1):
        values = choices[column.key]
        letter = _column_letter(list_column)
        validation = DataValidation(
            type="list",
            formula1=f"'{LISTS_SHEET}'!${letter}$2:${letter}${len(values) + 1}",
            allow_blank=True,
            showErrorMessage=True,
            errorTitle="取值不在列表中",
            error=f"「{column.header}」只能从下拉列表中选择。",
        )
        col = _column_letter(index)
        validation.add(f"{col}2:{col}{last_row}")
        sheet.data_validations.append(validation)
    header_cells = []
    for column in spec.columns:
        cell = WriteOnlyCell(sheet, value=column.header)
        cell.font = HEADER_FONT
        cell.fill = REQUIRED_FILL if column.required else HEADER_FILL
        header_cells.append(cell)
    sheet.append(header_cells)
    if with_instructions:
        _instructions(workbook, spec, choices)
    lists = workbook.create_sheet(title=LISTS_SHEET)
    lists.sheet_state = "hidden"
    columns = [choices[c.key] for _i, c in closed]
    lists.append([c.header for _i, c in closed])
    for position in range(max((len(v) for v in columns), default=0)):
        lists.append([v[position] if position < len(v) else None for v in columns])
    frame = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115
    workbook.save(frame)
    frame.seek(0)
    try:
        return _stream_rows_into(frame, "xl/worksheets/sheet1.xml", rows_to_cells(spec, records))
    finally:
        frame.close()


_DIMENSION = re.compile(r"<dimension [^>]*/>")


def _stream_rows_into(frame: IO[bytes], member: str, rows: Iterable[Sequence[Any]]) -> IO[bytes]:
    """Write the data rows straight into the data sheet's XML, in constant memory.

    openpyxl builds the frame (header, widths, frozen pane, drop-downs, the other sheets); its
    write-only cell writer costs ~50 µs a cell, which is most of a 100,000-row export, so the
    data rows are written here as plain XML: numbers as numbers, every string as an inline
    string — never a formula, whatever its first character (= + - @).
    """
    output = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115
    with (
        zipfile.ZipFile(frame) as source,
        zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as target,
    ):
        for info in source.infolist():
            if info.filename != member:
                target.writestr(info, source.read(info))
                continue
            head, tail = source.read(info).decode("utf-8").split("</sheetData>", 1)
            head = _DIMENSION.sub("", head)
            with target.open(member, "w", force_zip64=True) as out:
                out.write(head.encode("utf-8"))
                buffer: list[str] = []
                for number, row in enumerate(rows, start=2):
                    buffer.append(_row_xml(number, row))
                    if len(buffer) >= 500:
                        out.write("".join(buffer).encode("utf-8"))
                        buffer.clear()
                out.write("".join(buffer).encode("utf-8"))
                out.write(("</sheetData>" + tail).encode("utf-8"))
    output.seek(0)
    return output


def _row_xml(number: int, values: Sequence[Any]) -> str:
    parts = [f'<row r="{number}">']
    for index, value in enumerate(values):
        if value is None or value == "":
            continue
        ref = f"{_LETTERS[index]}{number}"
        if isinstance(value, bool):
            parts.append(f'<c r="{ref}" t="b"><v>{int(value)}</v></c>')
        elif isinstance(value, (int, float)):
            parts.append(f'<c r="{ref}"><v>{value}</v></c>')
        else:
            text = str(_shown(value))
            text = (
                text.translate(_ILLEGAL)
                .replace("&", "&amp;")
                .replace("<", "&lt;")
                .replace(">", "&gt;")
            )
            parts.append(
                f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'
            )
    parts.append("</row>")
    return "".join(parts)


def _instructions(workbook: Any, spec: Any, choices: dict[str, Sequence[str]]) -> None:
    sheet = workbook.create_sheet(title=INSTRUCTIONS_SHEET)
    for letter, width in zip("ABCDE", (22, 48, 10, 40, 28), strict=True):
        sheet.column_dimensions[letter].width = width
    for note in spec.instructions:
        sheet.append([note])
    if spec.instructions:
        sheet.append([])
    header = []
    for text in ("列名", "含义", "是否必填", "允许的取值", "示例"):
        cell = WriteOnlyCell(sheet, value=text)
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
        header.append(cell)
    sheet.append(header)
    for column in spec.columns:
        allowed = "、".join(choices.get(column.key) or ())
        if not allowed and column.kind == "integer":
            bounds = []
            if column.min_value is not None:
                bounds.append(f"≥ {column.min_value}")
            if column.max_value is not None:
                bounds.append(f"≤ {column.max_value}")
            allowed = "整数" + ("，" + "，".join(bounds) if bounds else "")
        elif not allowed and column.max_length:
            allowed = f"文本，最多 {column.max_length} 字"
        if column.readonly:
            allowed = (allowed + "；" if allowed else "") + "只读，导入时不修改"
        sheet.append(
            [
                _text_cell(sheet, column.header),
                _text_cell(sheet, column.meaning),
                "必填" if column.required else "选填",
                _text_cell(sheet, allowed),
                _text_cell(sheet, column.example),
            ]
        )


def write_annotated(
    source_rows: Iterable[tuple[str, Iterable[Sequence[Any]]]],
    errors: dict[tuple[str, int], dict[int, str]],
    *,
    in_memory: bool = False,
) -> IO[bytes]:
    """A copy of the uploaded sheets with every error cell highlighted and commented, and the
    row's messages in an extra last column. ``errors``: (sheet, 1-based row) → column → message.
    ``in_memory``: the copy never spills into a temporary file (a sealed list's personal data).
    """
    from openpyxl.comments import Comment

    workbook = Workbook(write_only=True)
    for sheet_name, rows in source_rows:
        sheet = workbook.create_sheet(title=sheet_name[:31])
        for number, cells in enumerate(rows, start=1):
            row_errors = errors.get((sheet_name, number), {})
            out = []
            width = max([len(cells), *(c + 1 for c in row_errors if c >= 0)])
            for index in range(width):
                value = cells[index] if index < len(cells) else None
                cell = _text_cell(sheet, value)
                if index in row_errors:
                    cell = WriteOnlyCell(sheet, value=safe_cell_value(value))
                    if isinstance(value, str):
                        cell.data_type = "s"
                    cell.fill, cell.font = ERROR_FILL, ERROR_FONT
                    cell.comment = Comment(row_errors[index], "zwfw", width=300, height=80)
                out.append(cell)
            if row_errors:
                note = WriteOnlyCell(sheet, value=join_messages(row_errors.values()))
                note.data_type, note.font = "s", ERROR_FONT
                out.append(note)
            sheet.append(out)
    output: IO[bytes] = (
        io.BytesIO() if in_memory else tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115
    )
    workbook.save(output)
    output.seek(0)
    return output


XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def list_download(
    title: str, headers: list[str], rows: Iterable[Sequence[Any]], filename_stem: str
) -> Response:
    """The filtered-list export of every ``ZwModelView`` as .xlsx (registered at start-up as
    core's list writer)."""
    return xlsx_response(stream_workbook(title, headers, rows), f"{filename_stem}.xlsx")


def xlsx_response(output: IO[bytes], filename: str) -> Response:
    """Send a workbook file as a download; the file is closed when the response is."""
    response = send_file(output, mimetype=XLSX_MIMETYPE, as_attachment=True, download_name=filename)
    response.call_on_close(output.close)
    return response
