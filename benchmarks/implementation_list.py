"""Benchmark of the spreadsheet engine on a province-sized implementation list.

    python -m benchmarks.implementation_list                 # 100,000 rows on SQLite
    python -m benchmarks.implementation_list --rows 20000
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test python -m benchmarks.implementation_list

It builds a fresh database (a temporary SQLite file, or a new PostgreSQL database next to the one
DATABASE_URL names, dropped afterwards) holding the Hainan region tree, 500 implementing units and
200 basic-catalogue entries; writes a realistic 24-column .xlsx with one row per (unit, entry)
pair and Chinese text of realistic length; then measures, each phase in its own process so that
its peak RSS is its own:

* ``parse``: reading the file alone with python-calamine, row by row (the floor; the fastest
  of three runs);
* ``import``: upload + preview + confirm through the engine (every row new);
* ``reimport``: the same file again, preview only (everything unchanged);
* ``export``: the whole list streamed to .xlsx.

openpyxl writes every text inline in the sheet; Excel and WPS write each distinct text once into
a shared-strings table and refer to it from the cells. The same rows saved that way are read
and imported too, into a database of their own (``--no-shared`` skips them).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

UNITS = 500
ENTRIES = 200
DEPARTMENTS = [
    "市场监督管理局",
    "教育局",
    "民政局",
    "人力资源和社会保障局",
    "卫生健康委员会",
    "住房和城乡建设局",
    "交通运输局",
    "司法局",
    "农业农村局",
    "自然资源和规划局",
    "生态环境局",
    "文化广电旅游体育局",
    "应急管理局",
    "水务局",
    "商务局",
    "退役军人事务局",
    "医疗保障局",
    "行政审批服务局",
    "公安局",
    "财政局",
]
ITEM_WORDS = [
    "食品经营",
    "药品零售",
    "建筑工程施工",
    "道路运输经营",
    "娱乐场所经营",
    "民办学校设立",
    "医疗机构执业",
    "排污",
    "取水",
    "林木采伐",
    "城镇污水排入排水管网",
    "户外广告设置",
    "临时占用城市道路",
    "特种设备使用",
    "养老机构备案",
    "社会团体成立",
    "出版物零售",
    "农药经营",
    "种子生产经营",
    "渔业捕捞",
]
SUFFIXES = ["许可", "登记", "审批", "核准", "备案", "认定", "许可证核发", "变更", "延续", "注销"]
LAWS = [
    "《中华人民共和国行政许可法》",
    "《中华人民共和国食品安全法》",
    "《中华人民共和国药品管理法》",
    "《中华人民共和国道路运输条例》",
    "《娱乐场所管理条例》",
    "《中华人民共和国民办教育促进法》",
    "《医疗机构管理条例》",
    "《中华人民共和国水法》",
    "《海南省优化营商环境条例》",
]


def _text(rng: random.Random, words: list[str], low: int, high: int) -> str:
    size = rng.randint(low, high)
    out = ""
    while len(out) < size:
        out += rng.choice(words)
    return out[:size]


FILLER = [
    "申请人应当",
    "具备相应的",
    "经营场所",
    "和设施设备",
    "，并符合",
    "国家有关规定",
    "的条件；",
    "提交申请材料",
    "齐全、符合法定形式",
    "，有健全的",
    "管理制度",
    "和专业技术人员",
    "。",
]


def _database(url: str | None) -> tuple[str, callable]:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from tests.conftest import fresh_database_url

    if url and url.startswith("postgres"):
        os.environ["DATABASE_URL"] = url
        return fresh_database_url("bench")
    os.environ.pop("DATABASE_URL", None)
    return fresh_database_url("bench")


_APPS: dict = {}


def _app(url: str, imports_dir: str):
    """One app per process (FAB's security views can be registered once)."""
    if url in _APPS:
        return _APPS[url]
    os.environ["DATABASE_URL"] = url
    from app import create_app

    _APPS[url] = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "IMPORTS_DIR": imports_dir,
            "JOBS_EAGER": True,
            "IMPORT_MAX_MB": 100,
            "IMPORT_MAX_ROWS": 1_000_000,
            "RATELIMIT_ENABLED": False,
        }
    )
    return _APPS[url]


def seed(url: str, imports_dir: str) -> dict:
    """Schema, regions, units and basic entries; returns what the generator needs."""
    from sqlalchemy import insert, select

    from app.catalogue import services as catalogue
    from app.catalogue.models import BasicCatalogueEntry, ItemType
    from app.core.cli import prepare_database
    from app.core.codes import make_credit_code
    from app.core.demo import seed_regions
    from app.core.models import Region, Unit
    from app.extensions import db

    app = _app(url, imports_dir)
    rng = random.Random(20261122)
    with app.app_context():
        prepare_database()
        seed_regions(db.session, "46", with_townships=False)
        catalogue.ensure_item_types(db.session)
        db.session.commit()
        counties = db.session.execute(
            select(Region.id, Region.code, Region.name).where(Region.level == "county")
        ).all()
        units = []
        for n in range(UNITS):
            region_id, code, name = counties[n % len(counties)]
            units.append(
                {
                    "name": f"{name}{DEPARTMENTS[n % len(DEPARTMENTS)]}"
                    + ("" if n < len(counties) * len(DEPARTMENTS) else f"第{n}分局"),
                    "credit_code": make_credit_code("11", code, f"{n + 1:08d}"),
                    "region_id": region_id,
                    "kind": "department",
                    "exercise_level": "4",
                    "active": True,
                    "version": 1,
                }
            )
        db.session.execute(insert(Unit), units)
        types = db.session.execute(select(ItemType.id, ItemType.name)).all()
        entries = []
        for n in range(ENTRIES):
            type_id, type_name = types[n % 7]
            entries.append(
                {
                    "basic_code": f"46{n % 100:02d}{n:05d}000",
                    "name": rng.choice(ITEM_WORDS) + rng.choice(SUFFIXES),
                    "item_type_id": type_id,
                    "source": "provincial",
                    "status": "active",
                    "legal_basis": "、".join(rng.sample(LAWS, 2))
                    + "第"
                    + str(rng.randint(5, 80))
                    + "条",
                    "acceptance_conditions": _text(rng, FILLER, 60, 160),
                    "application_materials": _text(rng, FILLER, 40, 120),
                    "legal_time_limit_days": rng.choice([5, 10, 15, 20, 30, 60]),
                    "handling_process": "受理—审查—决定—送达",
                    "fee_standard": rng.choice(["不收费", "按《海南省行政事业性收费目录》执行"]),
                    "complaint_phone": "12345",
                    "form_content": "申请表",
                    "version": 1,
                    "_type": type_name,
                }
            )
        db.session.execute(
            insert(BasicCatalogueEntry),
            [{k: v for k, v in e.items() if k != "_type"} for e in entries],
        )
        db.session.commit()
        unit_rows = db.session.execute(select(Unit.name, Unit.credit_code)).all()
    return {
        "units": [tuple(r) for r in unit_rows],
        "entries": entries,
    }


def generate(path: str, rows: int, data: dict) -> None:
    """The .xlsx a county would send: the template's 24 columns, every row valid and new."""
    from openpyxl import Workbook

    from app.catalogue.spreadsheet import DEPTH_LABELS, ImplementationListSpec

    rng = random.Random(7)
    spec = ImplementationListSpec()
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("实施清单")
    sheet.append([c.header for c in spec.columns])
    units, entries = data["units"], data["entries"]
    count = 0
    for entry in entries:
        for unit_name, credit_code in units:
            if count >= rows:
                break
            promised = max(1, entry["legal_time_limit_days"] // rng.choice([1, 2, 3, 4]))
            online = rng.random() < 0.3
            sheet.append(
                [
                    entry["name"],
                    entry["basic_code"],
                    entry["_type"],
                    unit_name,
                    credit_code,
                    None,
                    "县级",
                    entry["legal_time_limit_days"],
                    promised,
                    rng.choice(["即办件", "承诺件"]),
                    0 if online else rng.randint(1, 2),
                    DEPTH_LABELS["4"] if online else rng.choice(list(DEPTH_LABELS.values())[:3]),
                    "是" if online else "否",
                    "工作日上午 9:00-12:00，下午 14:30-17:30（法定节假日除外）",
                    f"{unit_name[:6]}政务服务中心{rng.randint(1, 3)}楼{rng.randint(1, 40)}号窗口",
                    f"0898-{rng.randint(60000000, 69999999)}",
                    rng.choice(["张", "王", "李", "赵", "陈"])
                    + rng.choice(["伟", "芳", "娜", "敏", "静"]),
                    _text(rng, FILLER, 40, 120),
                    "证照样本见附件",
                    entry["legal_basis"],
                    entry["acceptance_conditions"],
                    entry["fee_standard"],
                    entry["complaint_phone"],
                    None,
                ]
            )
            count += 1
    workbook.save(path)


# -- phases (each in its own process) -------------------------------------------------------------


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def phase(name: str, url: str, imports_dir: str, path: str) -> dict:
    from sqlalchemy import func, select

    from app.catalogue.models import ImplementationItem
    from app.core.actor import system_actor
    from app.core.unit_of_work import unit_of_work
    from app.excel import reader, services
    from app.extensions import db

    result: dict = {"phase": name}
    if name == "seed":  # a second database (FAB's views register once per process)
        seed(url, imports_dir)
        return result
    if name == "share":  # here, not in the parent: a child's peak RSS starts at its parent's
        from tests.excel.factories import share_strings

        target = path.removesuffix(".xlsx") + "-shared.xlsx"
        result.update(texts=share_strings(path, target), target=target)
        return result
    if name == "parse":
        started = time.perf_counter()
        workbook = reader.open_workbook(path)
        rows = 0
        for sheet_name in workbook.sheet_names:
            for _row in workbook.get_sheet_by_name(sheet_name).iter_rows():
                rows += 1
        result.update(rows=rows, seconds=time.perf_counter() - started)
        result["peak_rss_mb"] = _peak_mb()
        return result
    app = _app(url, imports_dir)
    with app.app_context():
        actor = system_actor()
        spec = services.spec_for("implementation_list")
        if name in ("import", "reimport"):
            started = time.perf_counter()
            with open(path, "rb") as handle, unit_of_work(db.session, actor):
                batch = services.upload(
                    db.session, actor=actor, spec=spec, file_name="bench.xlsx", stream=handle
                )
            uploaded = time.perf_counter()
            with unit_of_work(db.session, actor):
                services.start_preview(db.session, actor=actor, batch=batch, spec=spec)
            previewed = time.perf_counter()
            db.session.expire_all()
            batch = db.session.get(type(batch), batch.id)
            result.update(
                rows=batch.total_rows,
                counts=[
                    batch.new_rows,
                    batch.changed_rows,
                    batch.unchanged_rows,
                    batch.invalid_rows,
                ],
                upload_s=uploaded - started,
                preview_s=previewed - uploaded,
            )
            if name == "import":
                assert batch.status == "previewed", (batch.status, batch.message)
                with unit_of_work(db.session, actor):
                    services.start_confirm(db.session, actor=actor, batch=batch)
                db.session.expire_all()
                batch = db.session.get(type(batch), batch.id)
                assert batch.status == "applied", (batch.status, batch.message)
                result["confirm_s"] = time.perf_counter() - previewed
            result["seconds"] = time.perf_counter() - started
            result["stored_rows"] = db.session.scalar(
                select(func.count()).select_from(ImplementationItem)
            )
        elif name == "export":
            started = time.perf_counter()
            with unit_of_work(db.session, actor):
                output, rows = services.export(db.session, actor=actor, spec=spec)
            size = len(output.read())
            output.close()
            result.update(rows=rows, seconds=time.perf_counter() - started, bytes=size)
    result["peak_rss_mb"] = _peak_mb()
    return result


def _run_phase(name: str, url: str, imports_dir: str, path: str) -> dict:
    child = subprocess.run(  # noqa: S603 - this interpreter, our own module
        [
            sys.executable,
            "-m",
            "benchmarks.implementation_list",
            "--phase",
            name,
            "--url",
            url,
            "--imports",
            imports_dir,
            "--file",
            path,
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=str(Path(__file__).resolve().parents[1]),
    )
    if child.returncode != 0:
        print(child.stderr[-3000:])
        raise SystemExit(f"phase {name} failed")
    return json.loads(child.stdout.strip().splitlines()[-1])


def _measure(name: str, url: str, imports_dir: str, path: str) -> dict:
    """A phase's figures; the parse (the floor, and the ratio's divisor) is the fastest of
    three runs, so that a slow moment of the machine does not flatter the ratio."""
    if name != "parse":
        return _run_phase(name, url, imports_dir, path)
    runs = [_run_phase(name, url, imports_dir, path) for _ in range(3)]
    return min(runs, key=lambda run: run["seconds"])


def _report(label: str, result: dict) -> None:
    rate = result["rows"] / result["seconds"] if result["seconds"] else 0
    extra = ""
    if "confirm_s" in result:
        extra = (
            f"  (upload+checks {result['upload_s']:.1f} s, "
            f"preview {result['preview_s']:.1f} s, "
            f"confirm {result['confirm_s']:.1f} s; stored {result['stored_rows']})"
        )
    elif "counts" in result:
        extra = f"  (new/changed/unchanged/invalid = {result['counts']})"
    print(
        f"{label:16s} {result['rows']:>8d} rows  {result['seconds']:6.1f} s  "
        f"{rate:>9.0f} rows/s  peak RSS {result['peak_rss_mb']:.0f} MB{extra}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--no-shared", action="store_true", help="skip the shared-strings file")
    parser.add_argument("--phase", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--imports", help=argparse.SUPPRESS)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        print(json.dumps(phase(args.phase, args.url, args.imports, args.file)))
        return
    server = os.environ.get("DATABASE_URL")  # the app's set-up points it at the bench database
    url, drop = _database(server)
    imports_dir = tempfile.mkdtemp(prefix="zwfw-bench-imports-")
    try:
        path = os.path.join(imports_dir, "implementation-list.xlsx")
        try:
            started = time.perf_counter()
            data = seed(url, imports_dir)
            seeded = time.perf_counter()
            generate(path, args.rows, data)
            generated = time.perf_counter()
            size_mb = os.path.getsize(path) / 1048576
            print(f"database: {url.split('@')[-1]}  (seeded in {seeded - started:.1f} s)")
            written = generated - seeded
            print(
                f"file: {args.rows} rows × 24 columns, {size_mb:.1f} MB "
                f"(written in {written:.1f} s)"
            )
            print(f"machine: {os.cpu_count()} CPUs, python {sys.version.split()[0]}")
            results = {}
            for name in ("parse", "import", "reimport", "export"):
                results[name] = _measure(name, url, imports_dir, path)
                _report(name, results[name])
            ratio = results["import"]["seconds"] / results["parse"]["seconds"]
            print(f"import / parse = {ratio:.1f}×")
        finally:
            drop()
        if args.no_shared:
            return
        made = _run_phase("share", url, imports_dir, path)
        shared, texts = made["target"], made["texts"]
        size_mb = os.path.getsize(shared) / 1048576
        print(f"same rows with shared strings: {texts} texts, {size_mb:.1f} MB (as Excel saves)")
        url, drop = _database(server)
        try:
            _run_phase("seed", url, imports_dir, shared)
            parsed = _measure("parse", url, imports_dir, shared)
            _report("parse (shared)", parsed)
            imported = _run_phase("import", url, imports_dir, shared)
            _report("import (shared)", imported)
            print(f"import / parse = {imported['seconds'] / parsed['seconds']:.1f}×")
        finally:
            drop()
    finally:  # the files and the plans (drop() removes a SQLite database's folder)
        shutil.rmtree(imports_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
