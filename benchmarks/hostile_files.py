"""What hostile workbooks cost the server (security assessment, issue #12.4/#12.5).

    python -m benchmarks.hostile_files [--keep DIR]

Builds each hostile file of the assessment at its real size, then measures, each in a process of
its own (peak RSS per file): the web request's part of an upload (``inspect_file`` and the header
detection, as ``services.upload`` runs them with the default caps) and, for a file the upload
accepts, the background job's reading of every sheet (``sheet_rows``). Prints the outcome, the
time and the peak RSS growth over the process's start, and fails when a file makes the process
grow by more than ``BOUND_MB``.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

BOUND_MB = 200
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
HEAD = f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN}"><sheetData>'.encode()
TAIL = b"</sheetData></worksheet>"
HEADER = "".join(
    f'<c t="inlineStr"><is><t>{text}</t></is></c>'
    for text in ("单位名称", "统一社会信用代码", "所属区划代码", "单位类型")
).encode()


def _package(path: str, sheets: dict[str, object], strings: object = None) -> None:
    """An .xlsx file; a sheet or the strings table is bytes or a function writing to a stream
    (so that hundreds of MB of XML never sit in this process)."""
    from app.excel import slices

    names = list(sheets)
    rels = "".join(
        f'<Relationship Id="rId{n + 10}" Type="http://schemas.openxmlformats.org/officeDocument/'
        f'2006/relationships/worksheet" Target="worksheets/sheet{n + 1}.xml"/>'
        for n in range(len(names))
    )
    workbook = (
        f'<?xml version="1.0"?><workbook xmlns="{MAIN}" xmlns:r="http://schemas.openxmlformats.org/'
        'officeDocument/2006/relationships"><sheets>'
        + "".join(
            f'<sheet name="{name}" sheetId="{n + 1}" r:id="rId{n + 10}"/>'
            for n, name in enumerate(names)
        )
        + "</sheets></workbook>"
    )
    base_rels = slices._WORKBOOK_RELS.decode().split('<Relationship Id="rId1"')[0]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as package:
        package.writestr("[Content_Types].xml", slices._CONTENT_TYPES)
        package.writestr("_rels/.rels", slices._PACKAGE_RELS)
        package.writestr("xl/workbook.xml", workbook)
        package.writestr(
            "xl/_rels/workbook.xml.rels",
            base_rels
            + '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/'
            '2006/relationships/sharedStrings" Target="sharedStrings.xml"/>'
            + rels
            + "</Relationships>",
        )
        for n, content in enumerate(sheets.values()):
            _write(package, f"xl/worksheets/sheet{n + 1}.xml", content)
        _write(package, "xl/sharedStrings.xml", strings or slices._EMPTY_STRINGS)


def _write(package: zipfile.ZipFile, name: str, content: object) -> None:
    if isinstance(content, bytes):
        package.writestr(name, content)
        return
    with package.open(name, "w", force_zip64=True) as stream:
        content(stream)


def _rows(count: int, numbered: bool, between: bytes = b"") -> object:
    """A sheet of ``count`` rows; rows without numbers are all the same (as in the assessment's
    file, which they make compress to almost nothing)."""

    def write(stream) -> None:
        stream.write(HEAD + (b'<row r="1">' if numbered else b"<row>") + HEADER + b"</row>")
        block = []
        same = '<row><c t="inlineStr"><is><t>秀英区民政局</t></is></c><c><v>1</v></c></row>'
        for n in range(2, count + 2):
            if numbered:
                row = f'<row r="{n}"><c t="inlineStr"><is><t>第{n}局</t></is></c></row>'
            else:
                row = same
            block.append(row.encode() + between)
            if len(block) == 10_000:
                stream.write(b"".join(block))
                block = []
        stream.write(b"".join(block) + TAIL)

    return write


def _strings(megabytes: int) -> object:
    def write(stream) -> None:
        stream.write(f'<?xml version="1.0"?><sst xmlns="{MAIN}">'.encode())
        entry = b"<si><t>" + "政务服务事项".encode() * 20 + b"</t></si>"
        for _ in range(megabytes * 1048576 // len(entry)):
            stream.write(entry)
        stream.write(b"</sst>")

    return write


def _shared_sheet(index: int) -> bytes:
    cells = "".join(f'<c t="s"><v>{index * 1000 + n}</v></c>' for n in range(4))
    return HEAD + f"<row>{cells}</row>".encode() + TAIL


def _zeros(stream) -> None:
    for _ in range(300):
        stream.write(b"\0" * 1048576)


BILLION_LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE workbook [<!ENTITY lol0 "lol">'
    + b"".join(b'<!ENTITY lol%d "%s">' % (n, b"&lol%d;" % (n - 1) * 10) for n in range(1, 10))
    + b"]>"
)


def _laughing(xml: bytes) -> bytes:
    body = xml[xml.find(b"<workbook") :]
    return BILLION_LAUGHS + body.replace("实施单位".encode(), b"&lol9;", 1)


def build(folder: Path) -> dict[str, str]:
    """The hostile files (name → path)."""
    files = {
        "rows without r, over the part cap": {"实施单位": _rows(4_400_000, False)},
        "rows without r, under the part cap": {"实施单位": _rows(2_400_000, False)},
        "comments holding </row>": {"实施单位": _rows(450_000, True, b"<!-- </row> -->")},
        "63 MB shared strings, 40 sheets": {f"表{n}": _shared_sheet(n) for n in range(40)},
        "300 MB zero part (zip bomb)": {"实施单位": _rows(10, True)},
        "billion laughs in workbook.xml": {"实施单位": _rows(10, True)},
        "a cell at XFD1048576": {
            "实施单位": HEAD + b'<row r="1"><c r="A1"><v>1</v></c>'
            b'<c r="XFD1048576"><v>1</v></c></row>' + TAIL
        },
    }
    paths = {}
    for n, (name, sheets) in enumerate(files.items()):
        path = str(folder / f"hostile-{n}.xlsx")
        strings = _strings(63) if "shared strings" in name else None
        _package(path, sheets, strings)
        if "zip bomb" in name:
            with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as package:
                _write(package, "xl/media/zeros.bin", _zeros)
        if "laughs" in name:
            _replace(path, "xl/workbook.xml", _laughing)
        paths[name] = path
    return paths


def _replace(path: str, member: str, change) -> None:
    with zipfile.ZipFile(path) as source:
        members = {info.filename: source.read(info) for info in source.infolist()}
    members[member] = change(members[member])
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, content in members.items():
            target.writestr(name, content)


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(path: str) -> dict:
    """In this process: the upload's reading, then (if accepted) the job's reading."""
    import config
    from app import create_app
    from app.core.spreadsheet import UnitListSpec
    from app.excel import reader

    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "RATELIMIT_ENABLED": False})
    mb = 1048576
    limits = {
        "max_bytes": config.IMPORT_MAX_MB * mb,
        "max_uncompressed": config.IMPORT_MAX_UNCOMPRESSED_MB * mb,
        "max_part": config.IMPORT_MAX_PART_MB * mb,
        "max_shared_strings": config.IMPORT_MAX_SHARED_STRINGS_MB * mb,
    }
    cap, cells = limits["max_uncompressed"], config.IMPORT_MAX_SLICE_CELLS
    with zipfile.ZipFile(path) as archive:
        inflated = max(info.file_size for info in archive.infolist())
    result = {"size_mb": Path(path).stat().st_size / mb, "part_mb": inflated / mb}
    with app.test_request_context():
        start_mb = _peak_mb()
        started = time.perf_counter()
        try:
            facts = reader.inspect_file(path, **limits)
            layouts = reader.detect_layouts(path, UnitListSpec(), facts, cap=cap, max_cells=cells)
            result["upload"] = f"accepted ({len(layouts)} sheets)"
        except reader.BadFile as error:
            result["upload"] = f"refused: {str(error)[:70]}"
            layouts = []
        result["upload_s"] = time.perf_counter() - started
        result["upload_growth_mb"] = _peak_mb() - start_mb
        started = time.perf_counter()
        rows, parts = 0, {}
        try:
            for layout in layouts:
                for _row in reader.sheet_rows(
                    path, facts, layout.name, cap=cap, max_cells=cells, parts=parts
                ):
                    rows += 1
            result["read"] = f"{rows} rows" if layouts else ""
        except reader.BadFile as error:
            result["read"] = f"refused: {str(error)[:70]}"
        result["read_s"] = time.perf_counter() - started
        result["growth_mb"] = _peak_mb() - start_mb
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    parser.add_argument("--keep", help="build the files in this folder and keep them")
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure)))
        return
    with tempfile.TemporaryDirectory(prefix="hostile-") as temporary:
        folder = Path(args.keep or temporary)
        folder.mkdir(parents=True, exist_ok=True)
        failed = []
        for name, path in build(folder).items():
            child = subprocess.run(  # noqa: S603 - this interpreter, our own module
                [sys.executable, "-m", "benchmarks.hostile_files", "--measure", path],
                capture_output=True,
                text=True,
                check=False,
                cwd=str(Path(__file__).resolve().parents[1]),
            )
            if child.returncode != 0:
                print(child.stderr[-3000:])
                failed.append(name)
                continue
            result = json.loads(child.stdout.strip().splitlines()[-1])
            print(
                f"{name:<36} {result['size_mb']:6.2f} MB (part {result['part_mb']:4.0f} MB)  "
                f"upload {result['upload_s']:5.2f} s "
                f"+{result['upload_growth_mb']:4.0f} MB  {result['upload']}"
            )
            if result["read"]:
                print(f"{'':<59}job    {result['read_s']:5.2f} s  {result['read']}")
            print(f"{'':<59}peak RSS growth {result['growth_mb']:.0f} MB")
            if result["growth_mb"] > BOUND_MB:
                failed.append(name)
    if failed:
        raise SystemExit(f"over {BOUND_MB} MB of growth or failed: {', '.join(failed)}")


if __name__ == "__main__":
    main()
