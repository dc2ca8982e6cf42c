"""Reading a big .xlsx sheet with python-calamine in bounded memory, one slice of rows at a time.

python-calamine has no streaming API: ``get_sheet_by_name`` builds the whole sheet in memory
(about 3 KB per row of 24 Chinese text cells: ~290 MB at its peak for 100,000 rows) before the
first row can be read. This module cuts the worksheet's XML into slices of whole ``<row>``
elements as it inflates it, wraps each slice in a minimal workbook (the original styles and
shared strings, so numbers, dates and shared texts read exactly as in the original) and lets
calamine read that. Rows keep their ``r`` attributes, so row and column positions stay those of
the original sheet. The next slice is cut and loaded by a helper thread while the engine checks
the rows of the current one (calamine releases the GIL while it parses), so reading overlaps
with checking and at most two slices are in memory.

A sheet whose rows carry no ``r`` attribute (rare writers) is read whole, as before.
"""

from __future__ import annotations

import contextlib
import io
import queue
import re
import threading
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import IO, Any
from xml.etree import ElementTree as ET

import python_calamine

SLICE_BYTES = 12 << 20  # inflated XML per slice: ~6,000 rows of a 24-column list
_CHUNK = 1 << 20
_NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_ROOT = re.compile(rb"<(?:(\w+):)?worksheet\b")
_DIMENSION = re.compile(rb"<(?:\w+:)?dimension\b[^>]*/>")
_DATE1904 = re.compile(rb"date1904=\"(1|true)\"")
_CELL_REF = re.compile(r"([A-Z]+)(\d+)")


class SliceError(Exception):
    """The sheet's XML is not what an .xlsx writer produces; the caller reads it whole."""


class TooBig(Exception):
    """The sheet inflates past the configured cap."""


@dataclass
class Slice:
    """One loaded slice: calamine's sheet and the formula cells (row, column) it holds."""

    sheet: Any
    formulas: set[tuple[int, int]]
    done: float  # fraction of the sheet's XML read so far


def sheet_members(archive: zipfile.ZipFile) -> tuple[dict[str, str], dict[str, str]]:
    """Sheet name → worksheet member, and the workbook's other parts (styles, shared strings)."""
    workbook = ET.fromstring(archive.read("xl/workbook.xml"))  # noqa: S314 - size-checked upload
    rels = ET.fromstring(archive.read("xl/_rels/workbook.xml.rels"))  # noqa: S314
    targets, parts = {}, {}
    for rel in rels:
        target = rel.get("Target", "")
        target = target.lstrip("/") if target.startswith("/") else "xl/" + target
        path = str(PurePosixPath(target))
        targets[rel.get("Id")] = path
        kind = rel.get("Type", "").rsplit("/", 1)[-1]
        if kind in ("styles", "sharedStrings"):
            parts[kind] = path
    sheets = {}
    for sheet in workbook.iterfind("m:sheets/m:sheet", _NS):
        path = targets.get(sheet.get(_REL))
        if path:
            sheets[sheet.get("name", "")] = path
    return sheets, parts


_OOXML = "application/vnd.openxmlformats-officedocument.spreadsheetml."
_RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    f'<Override PartName="/xl/workbook.xml" ContentType="{_OOXML}sheet.main+xml"/>'
    f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{_OOXML}worksheet+xml"/>'
    f'<Override PartName="/xl/styles.xml" ContentType="{_OOXML}styles+xml"/>'
    f'<Override PartName="/xl/sharedStrings.xml" ContentType="{_OOXML}sharedStrings+xml"/>'
    "</Types>"
).encode()
_PACKAGE_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    f'<Relationship Id="rId1" Type="{_RELS}officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
).encode()
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    f'<Relationship Id="rId1" Type="{_RELS}worksheet" Target="worksheets/sheet1.xml"/>'
    f'<Relationship Id="rId2" Type="{_RELS}styles" Target="styles.xml"/>'
    f'<Relationship Id="rId3" Type="{_RELS}sharedStrings" Target="sharedStrings.xml"/>'
    "</Relationships>"
).encode()
_EMPTY_STRINGS = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="0" '
    b'uniqueCount="0"/>'
)
_EMPTY_STYLES = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    b'<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"/>'
)


def _workbook_xml(date1904: bool) -> bytes:
    return (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        b'<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        b'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        + (b'<workbookPr date1904="1"/>' if date1904 else b"")
        + b'<sheets><sheet name="s" sheetId="1" r:id="rId1"/></sheets></workbook>'
    )


class _SheetXml:
    """The worksheet's XML, inflated chunk by chunk and cut after whole rows."""

    def __init__(self, archive: zipfile.ZipFile, member: str, cap: int) -> None:
        self.info = archive.getinfo(member)
        self.stream = archive.open(member)
        self.cap = cap
        self.read_bytes = 0
        self.buffer = b""
        self.finished = False
        head = self._fill_until(b"sheetData")
        root = _ROOT.search(head)
        if root is None:
            raise SliceError("no worksheet element")
        prefix = (root.group(1) + b":") if root.group(1) else b""
        self.row_end = b"</" + prefix + b"row>"
        self.data_end = b"</" + prefix + b"sheetData>"
        self.row_start = b"<" + prefix + b"row"
        start = head.find(b"<" + prefix + b"sheetData")
        if start < 0:
            raise SliceError("no sheetData element")
        close = head.find(b">", start)
        self.prefix_xml = _DIMENSION.sub(b"", head[:start])
        if head[close - 1 : close] == b"/":  # <sheetData/>: no rows at all
            self.open_tag = b"<" + prefix + b"sheetData>"
            self.buffer, self.finished = b"", True
        else:
            self.open_tag = head[start : close + 1]
            self.buffer = head[close + 1 :]
        self.close_xml = self.data_end + b"</" + prefix + b"worksheet>"

    def _read(self, size: int = _CHUNK) -> bytes:
        # Few big reads: each read lets go of the GIL and has to win it back from the thread
        # checking rows, which can take a switch interval (5 ms) every time.
        chunk = self.stream.read(max(size, _CHUNK))
        self.read_bytes += len(chunk)
        if self.read_bytes > self.cap:
            raise TooBig()
        return chunk

    def _fill_until(self, token: bytes) -> bytes:
        data = b""
        while token not in data:
            chunk = self._read()
            if not chunk:
                raise SliceError(f"no {token!r}")
            data += chunk
        # Make sure the opening tag is complete.
        while b">" not in data[data.find(token) :]:
            chunk = self._read()
            if not chunk:
                raise SliceError("truncated")
            data += chunk
        return data

    def next_rows(self, size: int) -> bytes | None:
        """Whole rows worth about ``size`` bytes of XML, or None at the end of the data."""
        parts, length, tail = [self.buffer], len(self.buffer), self.buffer[-32:]
        while not self.finished and length < size:
            chunk = self._read(size - length)
            if not chunk:
                self.finished = True
                break
            parts.append(chunk)
            length += len(chunk)
            if self.data_end in chunk or self.data_end in tail + chunk[:32]:
                self.finished = True
            tail = chunk[-32:]
        buffer = b"".join(parts) if len(parts) > 1 else parts[0]
        del parts
        if self.finished:
            end = buffer.find(self.data_end, max(0, len(buffer) - length - 64))
            if end >= 0:
                buffer = buffer[:end]
        if len(buffer) > size:
            cut = buffer.rfind(self.row_end, 0, size)
            if cut < 0:  # a row bigger than a slice: take it whole
                cut = buffer.find(self.row_end)
            if cut >= 0:
                cut += len(self.row_end)
                self.buffer = buffer[cut:]
                return buffer[:cut]
            if not self.finished:  # not even one whole row yet: read on
                self.buffer = buffer
                return self.next_rows(size * 2)
        if not self.finished:
            cut = buffer.rfind(self.row_end)
            if cut < 0:
                self.buffer = buffer
                return self.next_rows(size * 2)
            cut += len(self.row_end)
            self.buffer = buffer[cut:]
            return buffer[:cut]
        self.buffer = b""
        return buffer if buffer.strip() else None

    @property
    def done(self) -> float:
        return min(self.read_bytes / max(self.info.file_size, 1), 1.0)

    def close(self) -> None:
        self.stream.close()


class _SharedStrings:
    """A big shared-strings table kept as its entries, to hand each slice only its own."""

    _ENTRY = re.compile(rb"<(?:\w+:)?si\b[^>]*?/>|<(?:\w+:)?si\b.*?</(?:\w+:)?si>", re.S)
    _OPENING = re.compile(rb"<(?:\w+:)?si\b")
    _REFERENCE = re.compile(rb't="s"><v>(\d+)<')  # <c r="A2" s="1" t="s"><v>17</v></c>
    SMALL = 1 << 20  # smaller tables go to every slice whole

    def __init__(self, head: bytes, opening: bytes, entries: list[bytes], tail: bytes) -> None:
        # Entry i is written as opening + entries[i]; an entry no cell of a slice refers to is
        # written empty.
        self.head, self.opening, self.entries, self.tail = head, opening, entries, tail
        self.empty = b"<t></t></si>" if opening else b"<si><t></t></si>"
        self.parts = [self.empty] * len(entries)

    @classmethod
    def split(cls, xml: bytes) -> _SharedStrings | None:
        if len(xml) < cls.SMALL:
            return None
        count = xml.count(b"<si>")
        if count and count == xml.count(b"<si"):  # plain <si> entries (Excel, WPS, openpyxl)
            entries = xml.split(b"<si>")
            head, last = entries.pop(0), entries[-1]
            end = last.rfind(b"</")
            entries[-1], tail = last[:end], last[end:]
            return cls(head, b"<si>", entries, tail)
        entries = cls._ENTRY.findall(xml)  # prefixed or attributed entries: the slow way
        if not entries or len(entries) != len(cls._OPENING.findall(xml)):
            return None  # not what a spreadsheet program writes: every slice gets it whole
        return cls(xml[: xml.find(entries[0])], b"", entries, xml[xml.rfind(b"</") :])

    def whole(self) -> bytes:
        return self.head + self.opening + self.opening.join(self.entries) + self.tail

    def for_slice(self, rows: bytes) -> bytes:
        references = self._REFERENCE.findall(rows)
        if len(references) != rows.count(b't="s"') or b"t='s'" in rows:
            return self.whole()  # cells written another way than the scan reads: to be safe
        parts, entries, size = self.parts, self.entries, len(self.entries)
        used = [index for index in map(int, set(references)) if index < size]
        for index in used:
            parts[index] = entries[index]
        # Entries past the last one the slice uses are left out: files list their texts in
        # order of first use, so early slices need only the start of the table.
        end = max(used, default=-1) + 1
        if not end:
            return self.head + self.tail
        try:
            return self.head + self.opening + self.opening.join(parts[:end]) + self.tail
        finally:
            for index in used:
                parts[index] = self.empty


class XlsxSlices:
    """The slices of one worksheet of an .xlsx file, each loaded by calamine."""

    def __init__(
        self, path: str, sheet_name: str, *, cap: int, slice_bytes: int | None = None
    ) -> None:
        self.archive = zipfile.ZipFile(path)
        sheets, parts = sheet_members(self.archive)
        if sheet_name not in sheets:
            raise SliceError("unknown sheet")
        self.styles = self.archive.read(parts["styles"]) if "styles" in parts else _EMPTY_STYLES
        self.strings = (
            self.archive.read(parts["sharedStrings"])
            if "sharedStrings" in parts
            else _EMPTY_STRINGS
        )
        self.shared = _SharedStrings.split(self.strings)
        if self.shared is not None:
            self.strings = b""  # kept as entries instead
        self.workbook = _workbook_xml(
            bool(_DATE1904.search(self.archive.read("xl/workbook.xml")[:4096]))
        )
        self.xml = _SheetXml(self.archive, sheets[sheet_name], cap)
        # Cells that refer to shared strings are short in the XML (about 800 bytes a row of
        # 24 columns against 2 KB inline): a third of the XML keeps a slice's rows, and so its
        # memory, about the same (measured: 4 MB slices peak at 348 MB, 6 MB at ~400 MB).
        self.slice_bytes = slice_bytes or (
            SLICE_BYTES // 3 if self.shared is not None else SLICE_BYTES
        )

    def _strings_for(self, rows: bytes) -> bytes:
        """The shared-strings part for one slice: the table as it is for small tables; for big
        ones (Excel and WPS write every text once there) only the entries the slice refers to,
        the others left empty. Indexes stay those of the file; calamine then holds and copies a
        slice's strings, not the whole file's, for every slice (measured: 431 → 225 MB reading
        100,000 rows with 224,000 shared strings)."""
        if self.shared is None:
            return self.strings
        return self.shared.for_slice(rows)

    def _package(self, rows: bytes) -> io.BytesIO:
        """The slice as a minimal workbook, in memory; its rows are copied once, into it."""
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as package:
            package.writestr("[Content_Types].xml", _CONTENT_TYPES)
            package.writestr("_rels/.rels", _PACKAGE_RELS)
            package.writestr("xl/workbook.xml", self.workbook)
            package.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
            package.writestr("xl/styles.xml", self.styles)
            package.writestr("xl/sharedStrings.xml", self._strings_for(rows))
            with package.open("xl/worksheets/sheet1.xml", "w") as sheet:
                for part in (self.xml.prefix_xml, self.xml.open_tag, rows, self.xml.close_xml):
                    sheet.write(part)
        out.seek(0)
        return out

    def next_slice(self) -> Slice | None:
        rows = self.xml.next_rows(self.slice_bytes)
        if rows is None:
            return None
        first = rows.find(self.xml.row_start)
        if first >= 0 and b' r="' not in rows[first : rows.find(b">", first)]:
            raise SliceError("rows without r attributes")
        # One pass for "<f" (formulas are rare); only then look for the formula tag itself.
        has_formula = b"<f" in rows and (b"<f>" in rows or b"<f " in rows)
        formulas = _slice_formula_cells(rows) if has_formula else set()
        package = self._package(rows)
        del rows
        workbook = python_calamine.CalamineWorkbook.from_object(package)
        try:
            sheet = workbook.get_sheet_by_name("s")
        finally:
            workbook.close()
        return Slice(sheet, formulas, self.xml.done)

    def close(self) -> None:
        self.xml.close()
        self.archive.close()


def column_index(letters: str) -> int:
    """0-based index of a column's letters (A → 0, AA → 26)."""
    index = 0
    for letter in letters:
        index = index * 26 + ord(letter) - 64
    return index - 1


def formula_cells(xml: IO[bytes]) -> set[tuple[int, int]]:
    """(0-based row, 0-based column) of the cells holding a formula in worksheet XML. Rows and
    cells without an ``r`` attribute follow the one before them, as spreadsheet programs (and
    calamine) read them."""
    cells = set()
    row = column = -1
    for event, element in ET.iterparse(xml, events=("start", "end")):  # noqa: S314 - capped
        tag = element.tag
        if event == "start":
            if tag.endswith("}c"):
                match = _CELL_REF.match(element.get("r", ""))
                if match:
                    row, column = int(match.group(2)) - 1, column_index(match.group(1))
                else:
                    column += 1
            elif tag.endswith("}row"):
                number = element.get("r")
                row, column = (int(number) - 1 if number else row + 1), -1
        elif tag.endswith("}c"):
            if any(child.tag.endswith("}f") for child in element):
                cells.add((row, column))
            element.clear()
        elif tag.endswith("}row"):
            element.clear()
    return cells


def _slice_formula_cells(rows: bytes) -> set[tuple[int, int]]:
    wrapped = b'<d xmlns="' + _NS["m"].encode() + b'">' + rows + b"</d>"
    return formula_cells(io.BytesIO(wrapped))


def prefetched(slices: XlsxSlices) -> Iterator[Slice]:
    """The slices in order, the next one cut and loaded by a helper thread meanwhile."""
    handoff: queue.Queue[Any] = queue.Queue(maxsize=1)
    stop = threading.Event()

    def produce() -> None:
        try:
            while not stop.is_set():
                item = slices.next_slice()
                handoff.put(item)
                if item is None:
                    return
        except BaseException as error:  # handed to the reading thread
            handoff.put(error)

    worker = threading.Thread(target=produce, name="xlsx-slices", daemon=True)
    worker.start()
    try:
        while True:
            item = handoff.get()
            if item is None:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
            del item
    finally:
        stop.set()
        while worker.is_alive():  # let a blocked put() finish, then the thread ends
            with contextlib.suppress(queue.Empty):
                handoff.get(timeout=0.1)
        slices.close()
