"""Reading spreadsheets: safety checks, header detection and row-by-row reading with calamine.

``python-calamine`` reads .xlsx, .xlsm and old .xls (also when an .xls was renamed .xlsx) about
five times faster than openpyxl's read-only mode; rows are taken one at a time from
``iter_rows`` and never collected into one list. Before calamine sees a file, :func:`inspect_file`
decides what it really is from its first bytes (not its name), and for a zip-based workbook
decompresses every member once with a cap on the total size, so a zip bomb is refused without
being inflated, and collects the merged cells of the worksheets. The cells holding formulas
(calamine only sees their cached result) are found where the rows are read.

Whatever goes wrong while a file is read (damaged XML, a missing part, an entity declaration,
calamine's own errors) is a :class:`BadFile` saying the file cannot be read (:func:`reading`),
never an error of the server; the caps (per part, shared strings, in total, cells per slice)
are :class:`BadFile` too, with their own message.
"""

from __future__ import annotations

import contextlib
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import python_calamine
from flask_babel import gettext as _

from app.core.errors import DomainError
from app.excel import slices
from app.excel.spec import Column, ListSpec, normalise_header

XLSX, XLS = "xlsx", "xls"
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
HEADER_SCAN_ROWS = 30
HEAD_SLICE_BYTES = 256 << 10  # enough XML for the first rows of any list

#: A stored file as the reader takes it: its path, or its content (a file kept encrypted is
#: opened in memory, never written in clear: ``ListSpec.sealed``).
Source = str | bytes


def open_zip(source: Source) -> zipfile.ZipFile:
    """The zip archive of an .xlsx source (each call its own handle: threads read apart)."""
    return zipfile.ZipFile(io.BytesIO(source) if isinstance(source, bytes) else source)


class BadFile(DomainError):
    """The upload is not a workbook the engine can read; nothing was changed."""

    status = 422


def unreadable(reason: object) -> BadFile:
    return BadFile(_("The file cannot be read: %(reason)s") % {"reason": str(reason)[:120]})


@contextlib.contextmanager
def reading(cap: int = 0, max_cells: int = 0) -> Iterator[None]:
    """Turn every error of reading a file into a :class:`BadFile` (the caps' own messages, or
    "the file cannot be read"); a :class:`DomainError` passes as it is."""
    try:
        yield
    except DomainError:
        raise
    except slices.TooBig:
        raise _too_big(cap) from None
    except slices.TooManyCells as error:
        raise _too_many_cells(error.cells, error.cap or max_cells) from None
    except (KeyboardInterrupt, SystemExit, GeneratorExit):
        raise
    except zipfile.BadZipFile:
        raise BadFile(_("The workbook is damaged (the zip container cannot be read).")) from None
    except MemoryError:
        raise unreadable(_("too large to read")) from None
    # calamine, expat, zipfile and the slicer raise many types (calamine's panics derive from
    # BaseException)
    except BaseException as error:
        raise unreadable(str(error) or type(error).__name__) from None


@dataclass
class FileFacts:
    kind: str  # XLSX or XLS
    # sheet → merged ranges ((first row, first column), (last row, last column)), 0-based
    merges: dict[str, list[tuple[tuple[int, int], tuple[int, int]]]] = field(default_factory=dict)


def inspect_file(
    path: Source,
    *,
    max_bytes: int,
    max_uncompressed: int,
    max_part: int | None = None,
    max_shared_strings: int | None = None,
) -> FileFacts:
    """What the file really is; raise :class:`BadFile` with a clear message otherwise."""
    import os

    size = len(path) if isinstance(path, bytes) else os.path.getsize(path)
    if size == 0:
        raise BadFile(_("The file is empty."))
    if size > max_bytes:
        raise BadFile(
            _("The file is %(size)s MB; the limit is %(limit)s MB.")
            % {"size": f"{size / 1048576:.1f}", "limit": f"{max_bytes / 1048576:g}"}
        )
    if isinstance(path, bytes):
        head = path[:8]
    else:
        with open(path, "rb") as handle:
            head = handle.read(8)
    if head.startswith(OLE_MAGIC):
        return FileFacts(XLS)
    if not head.startswith(ZIP_MAGIC):
        raise BadFile(
            _(
                "This is not an Excel workbook (.xlsx or .xls). Save it from Excel or WPS "
                "and try again."
            )
        )
    caps = (max_uncompressed, max_part or max_uncompressed, max_shared_strings or max_uncompressed)
    with reading(max_uncompressed):
        return FileFacts(XLSX, _scan_zip(path, *caps))


_DECLARATIONS = (b"<!DOCTYPE", b"<!ENTITY")


def _scan_zip(
    path: Source, cap: int, part_cap: int, strings_cap: int
) -> dict[str, list[tuple[tuple[int, int], tuple[int, int]]]]:
    """Inflate every member once, with caps on the total and on each part (the shared strings
    have their own, every sheet's slices read them); refuse document type declarations (entity
    payloads); collect each worksheet's merged cells (written after its rows)."""
    with open_zip(path) as archive:
        infos = archive.infolist()
        names = {info.filename for info in infos}
        if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
            raise BadFile(
                _(
                    "This is a zip archive, not an Excel workbook (perhaps a renamed file). "
                    "Upload the .xlsx saved by Excel or WPS."
                )
            )
        too_big = _too_big(cap)
        if len(infos) > 10_000 or sum(info.file_size for info in infos) > cap:
            raise too_big
        total = 0
        merges_by_member: dict[str, list[tuple[tuple[int, int], tuple[int, int]]]] = {}
        for info in infos:
            is_sheet = info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml")
            is_xml = info.filename.endswith((".xml", ".rels"))
            limit = strings_cap if info.filename.endswith("sharedStrings.xml") else part_cap
            tail = b""
            after_rows: list[bytes] | None = None
            size = 0
            # The declared sizes can lie: count what really comes out, and stop at the cap.
            with archive.open(info) as member:
                while chunk := member.read(4 << 20):
                    total += len(chunk)
                    size += len(chunk)
                    if total > cap:
                        raise too_big
                    if size > limit:
                        raise _part_too_big(info.filename, limit)
                    if is_xml and any(d in chunk or d in tail + chunk[:16] for d in _DECLARATIONS):
                        raise unreadable(_("it declares entities (a document type)"))
                    if not is_sheet:
                        tail = chunk[-16:]
                        continue
                    # Search the chunk, and its seam with the previous one, without copying
                    # the chunk.
                    if after_rows is not None:
                        after_rows.append(chunk)
                    elif b"sheetData" in chunk or b"sheetData" in tail + chunk[:16]:
                        window = tail + chunk
                        end = _rows_end(window)
                        if end >= 0:
                            after_rows = [window[end:]]
                    tail = chunk[-16:]
            if after_rows:
                merges_by_member[info.filename] = _merged_ranges(b"".join(after_rows))
        sheet_names = _sheet_paths(archive)
        return {sheet_names.get(name, name): m for name, m in merges_by_member.items() if m}


_MERGE = re.compile(rb"<(?:\w+:)?mergeCell\s+ref=\"([A-Z]+)(\d+):([A-Z]+)(\d+)\"")


def _rows_end(xml: bytes) -> int:
    """Where a worksheet's rows end (after ``</sheetData>`` or ``<sheetData/>``), or -1."""
    start = 0
    while (found := xml.find(b"sheetData", start)) >= 0:
        start = found + len(b"sheetData")
        if xml[xml.rfind(b"<", 0, found) :].startswith(b"</"):  # </sheetData>, </x:sheetData>
            return xml.find(b">", start) + 1
        if xml[start : start + 2] == b"/>":  # <sheetData/>
            return start + 2
    return -1


def _merged_ranges(xml: bytes) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    return [
        (
            (int(r1) - 1, _column_index(c1.decode())),
            (int(r2) - 1, _column_index(c2.decode())),
        )
        for c1, r1, c2, r2 in _MERGE.findall(xml)
    ]


def _sheet_paths(archive: zipfile.ZipFile) -> dict[str, str]:
    """Worksheet member path → sheet name."""
    return {member: name for name, member in slices.sheet_members(archive)[0].items()}


_column_index = slices.column_index


def open_workbook(path: Source) -> python_calamine.CalamineWorkbook:
    try:
        if isinstance(path, bytes):
            return python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(path))
        return python_calamine.CalamineWorkbook.from_path(path)
    except python_calamine.PasswordError:
        raise BadFile(
            _("The workbook is protected by a password; remove it and try again.")
        ) from None
    except Exception as error:  # calamine raises several unrelated types for damaged files
        raise BadFile(
            _("The workbook cannot be read (%(reason)s).") % {"reason": str(error)[:120]}
        ) from None


# -- headers -------------------------------------------------------------------------------------


@dataclass
class SheetLayout:
    """A sheet as the engine understands it: where its header is and what each column means."""

    name: str
    hidden: bool = False
    header_row: int | None = None  # 0-based absolute row index of the header
    data_row: int = 0  # 0-based absolute index of the first data row
    headers: list[str] = field(default_factory=list)  # source header text by column index
    mapping: dict[int, str] = field(default_factory=dict)  # column index → column key
    empty: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "hidden": self.hidden,
            "header_row": self.header_row,
            "data_row": self.data_row,
            "headers": self.headers,
            "mapping": {str(k): v for k, v in self.mapping.items()},
            "empty": self.empty,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SheetLayout:
        return cls(
            name=data["name"],
            hidden=data.get("hidden", False),
            header_row=data.get("header_row"),
            data_row=data.get("data_row", 0),
            headers=list(data.get("headers", [])),
            mapping={int(k): v for k, v in (data.get("mapping") or {}).items()},
            empty=data.get("empty", False),
        )


def detect_layouts(
    path: Source, spec: ListSpec, facts: FileFacts, *, cap: int, max_cells: int = slices.MAX_CELLS
) -> list[SheetLayout]:
    """Every sheet's header row and a proposed column mapping (from headers and synonyms).

    The header is the row among the first rows whose cells name the most of the spec's columns,
    so title rows above it are skipped. Merged header cells count for every column they cover,
    and a header cell merged down over a row of sub-headers is found from that row too. Only the
    first rows of each sheet are read (an .xlsx sheet through a small slice, see
    :mod:`app.excel.slices`).
    """
    lookup: dict[str, str] = {}
    for column in spec.columns:
        for name in column.names():
            lookup.setdefault(name, column.key)
    with reading(cap, max_cells):
        if facts.kind == XLSX:
            return _xlsx_layouts(path, facts, lookup, cap, max_cells)
        layouts = []
        workbook = open_workbook(path)
        try:
            for meta in workbook.sheets_metadata:
                if str(meta.typ).rsplit(".", 1)[-1] != "WorkSheet":
                    continue
                hidden = str(meta.visible).rsplit(".", 1)[-1] != "Visible"
                sheet = workbook.get_sheet_by_name(meta.name)
                top, grid = _top_rows(sheet)
                merges = sheet.merged_cell_ranges or []
                layouts.append(_layout(top, grid, merges, meta.name, hidden, lookup))
        finally:
            workbook.close()
        return layouts


def _xlsx_layouts(
    path: Source, facts: FileFacts, lookup: dict[str, str], cap: int, max_cells: int
) -> list[SheetLayout]:
    """The layouts of an .xlsx file's worksheets from the first slice of each: the workbook's
    parts (shared strings above all) are read once for all its sheets, and calamine never
    opens the whole workbook inside the request."""
    with open_zip(path) as archive:
        sheets, _parts, hidden = slices.worksheets(archive)
    layouts, previous = [], None
    for name in sheets:
        source = slices.XlsxSlices(
            path,
            name,
            cap=cap,
            slice_bytes=HEAD_SLICE_BYTES,
            max_cells=max_cells,
            parts_of=previous,
        )
        try:
            loaded = source.next_slice()
        finally:
            source.close()
        previous = source
        top, grid = _top_rows(loaded.sheet) if loaded else (0, [])
        merges = facts.merges.get(name, [])
        layouts.append(_layout(top, grid, merges, name, name in hidden, lookup))
    return layouts


def _top_rows(sheet: Any) -> tuple[int, list[list[Any]]]:
    """The first used row's index and the first rows (absolute columns) of a sheet."""
    start = sheet.start
    if start is None or sheet.height == 0:
        return 0, []
    top, left = start
    pad = [None] * left
    return top, [pad + row for row in sheet.to_python(nrows=HEADER_SCAN_ROWS)]


def _layout(
    top: int,
    grid: list[list[Any]],
    merges: list[tuple[tuple[int, int], tuple[int, int]]],
    name: str,
    hidden: bool,
    lookup: dict[str, str],
) -> SheetLayout:
    layout = SheetLayout(name=name, hidden=hidden)
    if not grid:
        layout.empty = True
        return layout
    # Spread each merged cell's value over the cells it covers (within the scanned rows).
    for (r1, c1), (r2, c2) in merges:
        if r1 - top >= len(grid) or r1 < top:
            continue
        value = grid[r1 - top][c1] if c1 < len(grid[r1 - top]) else None
        for r in range(r1, min(r2, top + len(grid) - 1) + 1):
            cells = grid[r - top]
            cells.extend([None] * (c2 + 1 - len(cells)))
            for c in range(c1, c2 + 1):
                if cells[c] in (None, ""):
                    cells[c] = value
    best, best_score = None, 0
    for index, cells in enumerate(grid):
        score = len({lookup[n] for n in (normalise_header(v) for v in cells) if n in lookup})
        if score > best_score:
            best, best_score = index, score
    if best is None or best_score < 2:
        layout.header_row = None
        layout.headers = [str(v or "") for v in (grid[0] if grid else [])]
        return layout
    header_row = top + best
    headers = [str(v if v is not None else "").strip() for v in grid[best]]
    # A group header merged across columns one row above (办结时限 over 法定 | 承诺) joins in.
    above = grid[best - 1] if best > 0 else []
    data_row = header_row + 1
    for (r1, _c1), (r2, _c2) in merges:
        if r1 <= header_row <= r2:
            data_row = max(data_row, r2 + 1)
    mapping: dict[int, str] = {}
    for column, text in enumerate(headers):
        candidates = [text]
        if column < len(above) and above[column] not in (None, "") and above[column] != text:
            candidates.insert(0, f"{above[column]}{text}")
        for candidate in candidates:
            key = lookup.get(normalise_header(candidate))
            if key and key not in mapping.values():
                mapping[column] = key
                break
    layout.header_row, layout.data_row = header_row, data_row
    layout.headers, layout.mapping = headers, mapping
    return layout


def sheet_rows(
    path: Source,
    facts: FileFacts,
    name: str,
    *,
    cap: int,
    max_cells: int = slices.MAX_CELLS,
    parts: dict[str, Any] | None = None,
) -> Iterator[tuple[int, list[Any], set[tuple[int, int]], float]]:
    """(0-based row index, cells by absolute column index, formula cells (row, column) near it,
    fraction of the sheet read) of every used row of a sheet, one at a time.

    An .xlsx sheet is read slice by slice (bounded memory, the next slice loaded meanwhile);
    an .xls sheet (at most 65,536 rows) is read whole. Any error of reading is a
    :class:`BadFile` (the rows already yielded are then not to be trusted: callers refuse the
    whole file). ``parts``: a dict kept by the caller across the sheets of one file, so that the
    workbook's styles and shared strings are read once for all of them.
    """
    with reading(cap, max_cells):
        if facts.kind == XLSX:
            kept = parts if parts is not None else {}
            source = slices.XlsxSlices(
                path, name, cap=cap, max_cells=max_cells, parts_of=kept.get("slices")
            )
            kept["slices"] = source
            for part in slices.prefetched(source):
                yield from _rows_of(part.sheet, part.formulas, part.done)
            return
        workbook = open_workbook(path)
        try:
            sheet = workbook.get_sheet_by_name(name)
        finally:
            workbook.close()
        yield from _rows_of(sheet, set(), 1.0)


def _rows_of(
    sheet: Any, formulas: set[tuple[int, int]], done: float
) -> Iterator[tuple[int, list[Any], set[tuple[int, int]], float]]:
    start = sheet.start
    if start is None:
        return
    top, left = start
    pad = [None] * left
    # to_python starts at the first used cell (iter_rows would start at row 0 with the columns
    # from the first used one: python-calamine 0.9 pads only the rows).
    for index, row in enumerate(sheet.to_python()):
        yield top + index, (pad + row) if left else row, formulas, done


def data_rows(
    path: Source,
    facts: FileFacts,
    layout: SheetLayout,
    *,
    cap: int,
    max_cells: int = slices.MAX_CELLS,
    parts: dict[str, Any] | None = None,
) -> Iterator[tuple[int, list[Any], set[tuple[int, int]], float]]:
    """The rows below the header: (1-based row number, cells, formula cells, fraction read)."""
    rows = sheet_rows(path, facts, layout.name, cap=cap, max_cells=max_cells, parts=parts)
    for index, cells, formulas, done in rows:
        if index >= layout.data_row:
            yield index + 1, cells, formulas, done


def _too_big(cap: int) -> BadFile:
    return BadFile(
        _(
            "The workbook unpacks to more than %(limit)d MB and is refused "
            "(a compressed bomb or far too much data)."
        )
        % {"limit": round(cap / 1048576)}
    )


def _part_too_big(part: str, cap: int) -> BadFile:
    return BadFile(
        _(
            "The part %(part)s of the workbook unpacks to more than %(limit)d MB and is refused "
            "(a compressed bomb or far too much data)."
        )
        % {"part": part[:80], "limit": round(cap / 1048576)}
    )


def _too_many_cells(cells: int, cap: int) -> BadFile:
    return BadFile(
        _(
            "A sheet spreads its cells over %(cells)s positions in one stretch of rows (the "
            "limit is %(limit)s); the file is refused. Delete the stray far-away cells and save "
            "it again."
        )
        % {"cells": f"{cells:,}", "limit": f"{cap:,}"}
    )


def missing_required(spec: ListSpec, layouts: list[SheetLayout]) -> list[tuple[str, Column]]:
    """(sheet, column) of required columns no used sheet maps."""
    missing: list[tuple[str, Column]] = []
    for layout in layouts:
        mapped = set(layout.mapping.values())
        missing.extend(
            (layout.name, c)
            for c in spec.columns
            if c.required and not c.readonly and c.key not in mapped
        )
    return missing
