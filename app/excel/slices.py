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

Cutting by bytes is only safe where a ``</row>`` in the bytes is the end of a row: a slice with
a comment, a CDATA section or a processing instruction is cut by an XML parser instead
(:class:`_ParsedSheetXml`: expat, streamed) from there to the end of the sheet. Rows that carry
no ``r`` attribute (rare writers) get the number calamine would give them written in, so their
slices read as the whole sheet does. Every slice is
bounded: at most ``MAX_PENDING`` bytes of XML wait for a cut (a longer row or comment is refused)
and the cells calamine would lay out for a slice are counted before it does (``max_cells``).
No document type declaration (and so no entity) is accepted in any part.
"""

from __future__ import annotations

import bisect
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
from xml.parsers import expat

import python_calamine

SLICE_BYTES = 12 << 20  # inflated XML per slice: ~6,000 rows of a 24-column list
MAX_PENDING = 64 << 20  # XML that may wait for a cut: one row (or comment) longer is refused
MAX_HEAD = 8 << 20  # XML before <sheetData> (columns, views): copied into every slice
MAX_CELLS = 5_000_000  # cells calamine lays out for one slice (its range is dense)
_CHUNK = 1 << 20
_NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_ROOT = re.compile(rb"<(?:(\w+):)?worksheet\b")
_DIMENSION = re.compile(rb"<(?:\w+:)?dimension\b[^>]*/>")
_DATE1904 = re.compile(rb"date1904=\"(1|true)\"")
_CELL_REF = re.compile(r"([A-Z]+)(\d+)")
_DECLARATION = re.compile(rb"\s*<\?xml\s[^>]*\?>")
# A start tag (attribute values may hold ">"); group 1 is "/" for an empty element.
_TAG = re.compile(rb"<[^\s>/!?]+(?:\s+[^\s=/>]+\s*=\s*(?:\"[^\"]*\"|'[^']*'))*\s*(/?)>")
_ROW_NUMBER = re.compile(rb"<(?:\w+:)?row r=\"(\d+)\"")
_ROW_TAG = re.compile(rb"<((?:\w+:)?row)((?:\s+[^\s=/>]+\s*=\s*(?:\"[^\"]*\"|'[^']*'))*)(\s*/?>)")
_R_ATTRIBUTE = re.compile(rb"\sr\s*=\s*[\"'](\d+)[\"']")
_REFS = re.compile(rb"\sr=[\"']([A-Z]+)(\d+)[\"']")
# Searched with a literal start (" r=\""), which re scans for quickly: 12 MB in ~10 ms.
_TWO_LETTERS = re.compile(rb' r="[A-Z]{2}')
_THREE_LETTERS = re.compile(rb' r="[A-Z]{3}')


class SliceError(Exception):
    """The sheet's XML cannot be read (not well-formed, not a worksheet, a row too long)."""


class TooBig(Exception):
    """The sheet inflates past the configured cap."""


class TooManyCells(Exception):
    """One slice would make calamine lay out more cells than the cap."""

    def __init__(self, cells: int, cap: int) -> None:
        super().__init__(cells, cap)
        self.cells, self.cap = cells, cap


class _Unsafe(Exception):
    """The bytes from ``offset`` on cannot be cut by bytes alone."""

    def __init__(self, offset: int) -> None:
        super().__init__(offset)
        self.offset = offset


def parse_xml(data: bytes) -> ET.Element:
    """A small part (workbook, relationships) as an element tree; a document type declaration
    (the way to entities, and so to entity expansion) is refused before parsing."""
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise SliceError("document type declaration")
    try:
        return ET.fromstring(data)  # noqa: S314 - no DTD (checked above), size-capped part
    except ET.ParseError as error:
        raise SliceError(str(error)) from None


def check_cells(rows: bytes, first: int, last: int, cap: int, prefix: bytes = b"") -> None:
    """Refuse a slice whose cells calamine would lay out (a dense range from the first to the
    last cell it refers to) past ``cap``. Every row of a slice has its number (written in where
    the file had none). A cheap bound first (how many letters and digits the references have);
    only a slice past it, or with cells without a reference, is counted row by row."""
    # (~8 ms for each scan of a 12 MB slice: as few as possible)
    cell = b"<" + prefix + b"c"
    cells = rows.count(cell + b" ") + rows.count(cell + b">")
    numbered = rows.count(b' r="')
    unnumbered = cells - (numbered - rows.count(b"<" + prefix + b"row"))
    width = 26
    if _TWO_LETTERS.search(rows):
        width = 16384 if _THREE_LETTERS.search(rows) else 702
    digits = len(str(max(first, last, 1)))
    longer = b" r='" in rows or re.search(rb' r="[A-Z]+\d{%d}' % (digits + 1), rows)
    if not longer and unnumbered <= 0 and 10**digits * width <= cap:
        return
    refs = _REFS.findall(rows)
    numbers = [int(number) for _letters, number in refs] + [first, last]
    columns = [column_index(letters.decode()) for letters, _number in refs] or [0]
    width = max(columns) - min(columns) + 1
    if unnumbered > 0:  # a cell without a reference follows the one before it in its row
        width += max(row.count(cell + b" ") + row.count(cell + b">") for row in rows.split(b"row>"))
    total = (max(numbers) - min(numbers) + 1) * width
    if total > cap:
        raise TooManyCells(total, cap)


@dataclass
class Slice:
    """One loaded slice: calamine's sheet and the formula cells (row, column) it holds."""

    sheet: Any
    formulas: set[tuple[int, int]]
    done: float  # fraction of the sheet's XML read so far


def sheet_members(archive: zipfile.ZipFile) -> tuple[dict[str, str], dict[str, str]]:
    """Sheet name → worksheet member, and the workbook's other parts (styles, shared strings)."""
    sheets, parts, _hidden = worksheets(archive)
    return sheets, parts


def worksheets(archive: zipfile.ZipFile) -> tuple[dict[str, str], dict[str, str], set[str]]:
    """Worksheet name → member (in the workbook's order; chart sheets left out), the other
    parts (styles, shared strings) and the names of the hidden worksheets."""
    try:
        workbook = parse_xml(archive.read("xl/workbook.xml"))
        rels = parse_xml(archive.read("xl/_rels/workbook.xml.rels"))
    except KeyError as error:
        raise SliceError(f"missing part {error}") from None
    targets, parts, kinds = {}, {}, {}
    for rel in rels:
        target = rel.get("Target", "")
        target = target.lstrip("/") if target.startswith("/") else "xl/" + target
        path = str(PurePosixPath(target))
        targets[rel.get("Id")] = path
        kind = rel.get("Type", "").rsplit("/", 1)[-1]
        kinds[rel.get("Id")] = kind
        if kind in ("styles", "sharedStrings"):
            parts[kind] = path
    sheets, hidden = {}, set()
    for sheet in workbook.iterfind("m:sheets/m:sheet", _NS):
        member = targets.get(sheet.get(_REL))
        if member and kinds.get(sheet.get(_REL)) == "worksheet":
            name = sheet.get("name", "")
            sheets[name] = member
            if sheet.get("state", "visible") != "visible":
                hidden.add(name)
    return sheets, parts, hidden


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
    """The worksheet's XML, inflated chunk by chunk and cut after whole rows by bytes.

    Raises :class:`_Unsafe` where that is not safe (see the module's docstring)."""

    # What a slice's sheet part is written with around its rows (as in _ParsedSheetXml).
    prefix: bytes
    prefix_xml: bytes
    open_tag: bytes
    close_xml: bytes

    def __init__(self, archive: zipfile.ZipFile, member: str, cap: int) -> None:
        self.info = archive.getinfo(member)
        self.stream = archive.open(member)
        self.cap = cap
        self.read_bytes = 0
        self.buffer = b""
        self.finished = False
        self.first = self.last = 0  # the row numbers of the last slice
        head = self._fill_until(b"sheetData")
        root = _ROOT.search(head)
        if root is None:
            raise _Unsafe(0)
        prefix = (root.group(1) + b":") if root.group(1) else b""
        self.prefix = prefix
        self.row_end = b"</" + prefix + b"row>"
        self.data_end = b"</" + prefix + b"sheetData>"
        self.row_start = b"<" + prefix + b"row"
        self.numbered = self.row_start + b' r="'
        start = head.find(b"<" + prefix + b"sheetData")
        if start < 0:
            raise _Unsafe(0)
        declaration = _DECLARATION.match(head)
        before = head[declaration.end() if declaration else 0 : start]
        if b"<!" in before or b"<?" in before:  # a comment could hide the real sheetData
            raise _Unsafe(0)
        close = head.find(b">", start)
        self.prefix_xml = _DIMENSION.sub(b"", head[:start])
        if head[close - 1 : close] == b"/":  # <sheetData/>: no rows at all
            self.open_tag = b"<" + prefix + b"sheetData>"
            self.buffer, self.finished = b"", True
        else:
            self.open_tag = head[start : close + 1]
            self.buffer = head[close + 1 :]
        self.start = self.read_bytes - len(self.buffer)  # where the buffer starts in the XML
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
            if not chunk or len(data) > MAX_HEAD:
                raise _Unsafe(0)
            data += chunk
        # Make sure the opening tag is complete.
        while b">" not in data[data.find(token) :]:
            chunk = self._read()
            if not chunk:
                raise _Unsafe(0)
            data += chunk
        return data

    def _cut(self, rows: bytes) -> bytes:
        """Hand out ``rows`` (the start of the buffer) once they are safe to cut by bytes."""
        if b"<!" in rows or b"<?" in rows:
            raise _Unsafe(self.start)
        if rows.count(self.row_start) != rows.count(self.numbered):
            numbered = self._numbered(rows)
            self.start += len(rows)
            return numbered
        self.start += len(rows)
        first = _ROW_NUMBER.match(rows, rows.find(self.row_start))
        last = _ROW_NUMBER.match(rows, rows.rfind(self.row_start))
        self.first = int(first.group(1)) if first else 0
        self.last = int(last.group(1)) if last else self.first
        return rows

    def _numbered(self, rows: bytes) -> bytes:
        """``rows`` with the number calamine gives a row without ``r`` (the one after the row
        before) written in. Tags are found by bytes: with no comment, CDATA section or
        processing instruction, every "<" in the XML starts a tag."""
        number, first, count = self.last, None, 0

        def tag(match: re.Match[bytes]) -> bytes:
            nonlocal number, first, count
            count += 1
            given = _R_ATTRIBUTE.search(match.group(2))
            if given:
                number = int(given.group(1))
                written = match.group(0)
            else:
                number += 1
                written = b'<%s r="%d"%s%s' % (
                    match.group(1),
                    number,
                    match.group(2),
                    match.group(3),
                )
            first = number if first is None else first
            return written

        numbered = _ROW_TAG.sub(tag, rows)
        if count != rows.count(self.row_start):  # a row tag the pattern does not read
            raise _Unsafe(self.start)
        self.first, self.last = first or 0, number
        return numbered

    def next_rows(self, size: int) -> bytes | None:
        """Whole rows worth about ``size`` bytes of XML, or None at the end of the data."""
        if size > MAX_PENDING:
            raise SliceError("a row longer than the limit")
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
                rows = self._cut(buffer[:cut])
                self.buffer = buffer[cut:]
                return rows
            if not self.finished:  # not even one whole row yet: read on
                self.buffer = buffer
                return self.next_rows(size * 2)
        if not self.finished:
            cut = buffer.rfind(self.row_end)
            if cut < 0:
                self.buffer = buffer
                return self.next_rows(size * 2)
            cut += len(self.row_end)
            rows = self._cut(buffer[:cut])
            self.buffer = buffer[cut:]
            return rows
        self.buffer = b""
        return self._cut(buffer) if buffer.strip() else None

    @property
    def done(self) -> float:
        return min(self.read_bytes / max(self.info.file_size, 1), 1.0)

    def close(self) -> None:
        self.stream.close()


class _ParsedSheetXml:
    """The worksheet's XML cut by an XML parser (expat, streamed): comments, CDATA sections and
    processing instructions are read as XML reads them, and a row without an ``r`` attribute
    gets the number calamine would give it (the one after the row before). Rows that start
    before ``skip`` (already handed out by :class:`_SheetXml`) are numbered, not handed out."""

    prefix: bytes
    prefix_xml: bytes
    open_tag: bytes
    close_xml: bytes

    def __init__(self, archive: zipfile.ZipFile, member: str, cap: int, skip: int = 0) -> None:
        self.info = archive.getinfo(member)
        self.stream = archive.open(member)
        self.cap, self.skip = cap, skip
        self.read_bytes = 0
        self.data, self.base = bytearray(), 0  # the XML not handed out yet, from offset base
        self.rows: list[tuple[int, int, bool]] = []  # (offset, number, has r) of waiting rows
        self.offsets: list[int] = []
        self.number = 0
        self.first = self.last = 0
        self.depth = 0
        self.root = self.data_name = ""
        self.data_at: int | None = None  # where <sheetData> starts
        self.end: int | None = None  # where the rows end
        self.eof = False
        parser = expat.ParserCreate()
        parser.StartElementHandler = self._start
        parser.EndElementHandler = self._end
        parser.StartDoctypeDeclHandler = self._doctype
        self.parser = parser
        while self.data_at is None:
            if self.eof or len(self.data) > MAX_HEAD:
                raise SliceError("no sheetData")
            self._feed()
        tag = _TAG.match(self.data, self.data_at)
        if tag is None:
            raise SliceError("sheetData tag")
        name = self.data_name.encode()
        self.prefix = name[: -len(b"sheetData")]
        self.prefix_xml = _DIMENSION.sub(b"", bytes(self.data[: self.data_at]))
        self.open_tag = b"<" + name + b">"
        if not tag.group(1):
            self.open_tag = tag.group(0)
        self.close_xml = b"</" + name + b"></" + self.root.encode() + b">"
        self._drop(tag.end())

    def _doctype(self, *_args: object) -> None:
        raise SliceError("document type declaration")

    def _start(self, name: str, attributes: dict[str, str]) -> None:
        self.depth += 1
        if self.depth == 1:
            self.root = name
        elif self.data_at is None:
            if self.depth == 2 and name.rpartition(":")[2] == "sheetData":
                self.data_at, self.data_name = self.parser.CurrentByteIndex, name
        elif self.depth == 3 and self.end is None and name.rpartition(":")[2] == "row":
            number = attributes.get("r")
            if number is not None and not number.isdigit():
                raise SliceError("row number")
            self.number = int(number) if number is not None else self.number + 1
            offset = self.parser.CurrentByteIndex
            if offset >= self.skip:
                self.rows.append((offset, self.number, number is not None))
                self.offsets.append(offset)

    def _end(self, name: str) -> None:
        if self.depth == 2 and self.data_at is not None and self.end is None:
            self.end = self.parser.CurrentByteIndex
        self.depth -= 1

    def _feed(self) -> None:
        chunk = self.stream.read(_CHUNK)
        self.read_bytes += len(chunk)
        if self.read_bytes > self.cap:
            raise TooBig()
        self.data += chunk
        try:
            self.parser.Parse(chunk, not chunk)
        except expat.ExpatError as error:
            raise SliceError(str(error)) from None
        self.eof = not chunk

    def _drop(self, offset: int) -> None:
        """Forget the XML before ``offset``."""
        del self.data[: offset - self.base]
        self.base = offset

    def next_rows(self, size: int) -> bytes | None:
        """Whole rows worth about ``size`` bytes of XML (at least one), or None at the end."""
        while self.end is None and not (
            len(self.offsets) > 1 and self.offsets[-1] - self.offsets[0] >= size
        ):
            if self.eof:
                raise SliceError("the rows do not end")
            if not self.rows and self.base < self.skip:
                self._drop(min(self.skip, self.base + len(self.data)))
            if len(self.data) > MAX_PENDING:
                raise SliceError("a row longer than the limit")
            self._feed()
        if not self.rows:
            return None
        first = self.offsets[0]
        if self.end is not None and self.offsets[-1] - first < size:
            count, cut = len(self.rows), self.end
        else:
            count = max(bisect.bisect_right(self.offsets, first + size) - 1, 1)
            cut = self.offsets[count]
        taken, self.rows = self.rows[:count], self.rows[count:]
        del self.offsets[:count]
        parts: list[bytes | bytearray] = []
        position = first
        for offset, number, numbered in taken:
            if not numbered:  # <row ...> → <row r="n" ...>, as calamine counts it
                name_end = offset + 1 + len(self._row_name(offset))
                parts += [
                    self.data[position - self.base : name_end - self.base],
                    b' r="%d"' % number,
                ]
                position = name_end
        parts.append(self.data[position - self.base : cut - self.base])
        self.first, self.last = taken[0][1], taken[-1][1]
        self._drop(cut)
        return b"".join(parts)

    def _row_name(self, offset: int) -> bytes:
        at = offset - self.base + 1
        end = at
        while self.data[end : end + 1] not in (b" ", b">", b"/", b"\t", b"\n", b"\r", b""):
            end += 1
        return bytes(self.data[at:end])

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

    # The workbook's parts every slice repeats: read by _read_parts or taken from ``parts_of``.
    styles: bytes
    strings: bytes
    shared: _SharedStrings | None
    workbook: bytes

    def __init__(
        self,
        path: str | bytes,
        sheet_name: str,
        *,
        cap: int,
        slice_bytes: int | None = None,
        max_cells: int = MAX_CELLS,
        parts_of: XlsxSlices | None = None,
    ) -> None:
        """``parts_of``: another sheet's slices of the same file, whose styles and shared
        strings are taken instead of reading them again (header detection reads every sheet)."""
        self.archive = zipfile.ZipFile(io.BytesIO(path) if isinstance(path, bytes) else path)
        try:
            self._open(sheet_name, cap, slice_bytes, max_cells, parts_of)
        except BaseException:
            self.archive.close()
            raise

    def _open(
        self,
        sheet_name: str,
        cap: int,
        slice_bytes: int | None,
        max_cells: int,
        parts_of: XlsxSlices | None,
    ) -> None:
        sheets, parts = sheet_members(self.archive)
        if sheet_name not in sheets:
            raise SliceError("unknown sheet")
        for part in parts.values():
            if part not in self.archive.NameToInfo:
                raise SliceError(f"missing part {part}")
        if parts_of is not None:
            self.styles, self.strings = parts_of.styles, parts_of.strings
            self.shared, self.workbook = parts_of.shared, parts_of.workbook
        else:
            self._read_parts(parts)
        self.member, self.cap, self.max_cells = sheets[sheet_name], cap, max_cells
        self.xml: _SheetXml | _ParsedSheetXml
        try:
            self.xml = _SheetXml(self.archive, self.member, cap)
        except _Unsafe:
            self.xml = _ParsedSheetXml(self.archive, self.member, cap)
        # Cells that refer to shared strings are short in the XML (about 800 bytes a row of
        # 24 columns against 2 KB inline): a third of the XML keeps a slice's rows, and so its
        # memory, about the same (measured: 4 MB slices peak at 348 MB, 6 MB at ~400 MB).
        self.slice_bytes = slice_bytes or (
            SLICE_BYTES // 3 if self.shared is not None else SLICE_BYTES
        )

    def _read_parts(self, parts: dict[str, str]) -> None:
        self.styles = self.archive.read(parts["styles"]) if "styles" in parts else _EMPTY_STYLES
        self.strings = (
            self.archive.read(parts["sharedStrings"])
            if "sharedStrings" in parts
            else _EMPTY_STRINGS
        )
        for xml in (self.styles, self.strings):
            if b"<!DOCTYPE" in xml or b"<!ENTITY" in xml:
                raise SliceError("document type declaration")
        self.shared = _SharedStrings.split(self.strings)
        if self.shared is not None:
            self.strings = b""  # kept as entries instead
        self.workbook = _workbook_xml(
            bool(_DATE1904.search(self.archive.read("xl/workbook.xml")[:4096]))
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
        try:
            rows = self.xml.next_rows(self.slice_bytes)
        except _Unsafe as unsafe:  # from here on, the parser cuts
            self.xml.close()
            self.xml = _ParsedSheetXml(self.archive, self.member, self.cap, skip=unsafe.offset)
            rows = self.xml.next_rows(self.slice_bytes)
        if rows is None:
            return None
        check_cells(rows, self.xml.first, self.xml.last, self.max_cells, self.xml.prefix)
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
