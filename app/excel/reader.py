"""Reading spreadsheets: safety checks, header detection and row-by-row reading with calamine.

``python-calamine`` reads .xlsx, .xlsm and old .xls (also when an .xls was renamed .xlsx) about
five times faster than openpyxl's read-only mode; rows are taken one at a time from
``iter_rows`` and never collected into one list. Before calamine sees a file, :func:`inspect_file`
decides what it really is from its first bytes (not its name), and for a zip-based workbook
decompresses every member once with a cap on the total size, so a zip bomb is refused without
being inflated, and notes the cells holding formulas (calamine only sees their cached result).
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any
from xml.etree import ElementTree as ET

import python_calamine
from flask_babel import gettext as _

from app.core.errors import DomainError
from app.excel.spec import Column, ListSpec, normalise_header

XLSX, XLS = "xlsx", "xls"
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
HEADER_SCAN_ROWS = 30
_CELL_REF = re.compile(r"([A-Z]+)(\d+)")
_NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


class BadFile(DomainError):
    """The upload is not a workbook the engine can read; nothing was changed."""

    status = 422


@dataclass
class FileFacts:
    kind: str  # XLSX or XLS
    formulas: dict[str, set[tuple[int, int]]] = field(default_factory=dict)  # sheet → cells


def inspect_file(path: str, *, max_bytes: int, max_uncompressed: int) -> FileFacts:
    """What the file really is; raise :class:`BadFile` with a clear message otherwise."""
    import os

    size = os.path.getsize(path)
    if size == 0:
        raise BadFile(_("The file is empty."))
    if size > max_bytes:
        raise BadFile(
            _("The file is %(size)s MB; the limit is %(limit)s MB.")
            % {"size": f"{size / 1048576:.1f}", "limit": f"{max_bytes / 1048576:g}"}
        )
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
    try:
        return FileFacts(XLSX, _scan_zip(path, max_uncompressed))
    except zipfile.BadZipFile:
        raise BadFile(_("The workbook is damaged (the zip container cannot be read).")) from None


def _scan_zip(path: str, cap: int) -> dict[str, set[tuple[int, int]]]:
    with zipfile.ZipFile(path) as archive:
        infos = archive.infolist()
        names = {info.filename for info in infos}
        if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
            raise BadFile(
                _(
                    "This is a zip archive, not an Excel workbook (perhaps a renamed file). "
                    "Upload the .xlsx saved by Excel or WPS."
                )
            )
        too_big = BadFile(
            _(
                "The workbook unpacks to more than %(limit)d MB and is refused "
                "(a compressed bomb or far too much data)."
            )
            % {"limit": round(cap / 1048576)}
        )
        if len(infos) > 10_000 or sum(info.file_size for info in infos) > cap:
            raise too_big
        total = 0
        with_formulas = []
        for info in infos:
            is_sheet = info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml")
            tail = b""
            found = False
            # The declared sizes can lie: count what really comes out, and stop at the cap.
            with archive.open(info) as member:
                while chunk := member.read(1 << 20):
                    total += len(chunk)
                    if total > cap:
                        raise too_big
                    if is_sheet and not found:
                        window = tail + chunk
                        found = b"<f>" in window or b"<f " in window or b"<f/>" in window
                        tail = chunk[-8:]
            if found:
                with_formulas.append(info.filename)
        if not with_formulas:
            return {}
        sheet_names = _sheet_paths(archive)
        return {
            sheet_names.get(name, name): _formula_cells(archive, name) for name in with_formulas
        }


def _sheet_paths(archive: zipfile.ZipFile) -> dict[str, str]:
    """Worksheet member path → sheet name, from workbook.xml and its relationships."""
    workbook = ET.fromstring(archive.read("xl/workbook.xml"))  # noqa: S314 - size-checked
    rels = ET.fromstring(archive.read("xl/_rels/workbook.xml.rels"))  # noqa: S314
    targets = {}
    for rel in rels:
        target = rel.get("Target", "")
        target = target.lstrip("/") if target.startswith("/") else "xl/" + target
        targets[rel.get("Id")] = str(PurePosixPath(target))
    result = {}
    for sheet in workbook.iterfind("m:sheets/m:sheet", _NS):
        path = targets.get(sheet.get(f"{{{_REL_NS}}}id"))
        if path:
            result[path] = sheet.get("name", "")
    return result


def _formula_cells(archive: zipfile.ZipFile, member: str) -> set[tuple[int, int]]:
    """(0-based row, 0-based column) of every cell with a formula in one worksheet."""
    cells = set()
    with archive.open(member) as handle:
        for _event, element in ET.iterparse(handle):  # noqa: S314 - size-checked member
            if element.tag.endswith("}c"):
                if any(child.tag.endswith("}f") for child in element):
                    match = _CELL_REF.match(element.get("r", ""))
                    if match:
                        cells.add((int(match.group(2)) - 1, _column_index(match.group(1))))
                element.clear()
    return cells


def _column_index(letters: str) -> int:
    index = 0
    for letter in letters:
        index = index * 26 + ord(letter) - 64
    return index - 1


def open_workbook(path: str) -> python_calamine.CalamineWorkbook:
    try:
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


def detect_layouts(path: str, spec: ListSpec) -> list[SheetLayout]:
    """Every sheet's header row and a proposed column mapping (from headers and synonyms).

    The header is the row among the first rows whose cells name the most of the spec's columns,
    so title rows above it are skipped. Merged header cells count for every column they cover,
    and a header cell merged down over a row of sub-headers is found from that row too.
    """
    lookup: dict[str, str] = {}
    for column in spec.columns:
        for name in column.names():
            lookup.setdefault(name, column.key)
    layouts = []
    workbook = open_workbook(path)
    try:
        for meta in workbook.sheets_metadata:
            if str(meta.typ).rsplit(".", 1)[-1] != "WorkSheet":
                continue
            hidden = str(meta.visible).rsplit(".", 1)[-1] != "Visible"
            sheet = workbook.get_sheet_by_name(meta.name)
            layouts.append(_layout(sheet, meta.name, hidden, lookup))
    finally:
        workbook.close()
    return layouts


def _layout(sheet: Any, name: str, hidden: bool, lookup: dict[str, str]) -> SheetLayout:
    layout = SheetLayout(name=name, hidden=hidden)
    start = sheet.start
    if start is None or sheet.height == 0:
        layout.empty = True
        return layout
    top, left = start
    grid: list[list[Any]] = []
    for index, row in enumerate(sheet.iter_rows()):
        if index >= HEADER_SCAN_ROWS:
            break
        grid.append([None] * left + list(row))
    merges = sheet.merged_cell_ranges or []
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


def iter_sheet_rows(sheet: Any, layout: SheetLayout) -> Iterator[tuple[int, list[Any]]]:
    """(1-based row number, cells by absolute column index) of each data row, one at a time."""
    start = sheet.start
    if start is None:
        return
    top, left = start
    pad = [None] * left
    for index, row in enumerate(sheet.iter_rows()):
        absolute = top + index
        if absolute < layout.data_row:
            continue
        yield absolute + 1, (pad + row) if left else row


def missing_required(spec: ListSpec, layouts: list[SheetLayout]) -> list[tuple[str, Column]]:
    """(sheet, column) of required columns no used sheet maps."""
    missing = []
    for layout in layouts:
        mapped = set(layout.mapping.values())
        missing.extend(
            (layout.name, c)
            for c in spec.columns
            if c.required and not c.readonly and c.key not in mapped
        )
    return missing
