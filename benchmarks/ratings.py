"""Benchmark of ratings (好差评) at a province's scale (about a million ratings a year).

    python -m benchmarks.ratings                          # 100,000 imported, 1,000,000 for figures
    python -m benchmarks.ratings --rows 20000 --ratings 200000
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test python -m benchmarks.ratings
    DATABASE_URL=postgresql://…/empty_db python -m benchmarks.ratings --only figures --in-place

It builds a fresh database (a temporary SQLite file, or a new PostgreSQL database next to the one
DATABASE_URL names, dropped afterwards) with the demo province: regions, 40 units, their ~2,900
implementation items and the demo logins. Each phase runs in its own process so that its peak
RSS is its own:

* ``import``: an .xlsx in the platform's layout with ``--rows`` ratings (4% poor, 70% real-name)
  uploaded, previewed and confirmed through the Excel engine (personal data encrypted, a ticket
  per poor rating, the figures' summary rewritten);
* ``figures``: ``--ratings`` ratings over 300 days of 2026 generated inside the database
  (set-based INSERT … SELECT; the summary rows by one GROUP BY over them), then 20 requests
  of the figures page (by unit, the whole year) as the provincial administrator, a county
  coordinator and a unit operator: p50 / p95.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHANNELS = ["PC端", "移动端", "大厅窗口评价器", "自助终端", "12345热线", "短信"]
CHANNEL_VALUES = ["pc", "mobile", "window", "kiosk", "hotline", "sms"]
LEVELS = ["非常满意", "满意", "基本满意", "不满意", "非常不满意"]
WEIGHTS = [86, 7, 3, 3, 1]


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _database(url: str | None) -> tuple[str, object]:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from tests.conftest import fresh_database_url

    if url and url.startswith("postgres"):
        os.environ["DATABASE_URL"] = url
    else:
        os.environ.pop("DATABASE_URL", None)
    return fresh_database_url("bench")


def _app(url: str, imports_dir: str):
    os.environ["DATABASE_URL"] = url
    from app import create_app

    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "IMPORTS_DIR": imports_dir,
            "JOBS_EAGER": True,
            "IMPORT_MAX_MB": 200,
            "IMPORT_MAX_ROWS": 1_000_000,
            "RATELIMIT_ENABLED": False,
            "WTF_CSRF_ENABLED": False,
        }
    )


def seed(url: str, imports_dir: str) -> dict:
    from flask import current_app

    from app.catalogue import demo as catalogue_demo
    from app.core import demo
    from app.core.actor import system_actor
    from app.core.cli import prepare_database
    from app.core.unit_of_work import unit_of_work
    from app.extensions import appbuilder, db

    app = _app(url, imports_dir)
    with app.app_context():
        prepare_database()
        with unit_of_work(db.session, system_actor()):
            demo.seed_regions(db.session, demo.DEMO_PROVINCE)
            demo.seed_demo_units(db.session)
        demo.seed_demo_users(db.session, appbuilder.sm, current_app.config["DEMO_PASSWORD"])
        catalogue_demo.seed_demo(db.session)
        db.session.commit()
    return {"phase": "seed"}


def _items(db) -> list[tuple[int, int, int, str]]:
    from sqlalchemy import select

    from app.catalogue.models import ImplementationItem

    return db.session.execute(
        select(
            ImplementationItem.id,
            ImplementationItem.unit_id,
            ImplementationItem.region_id,
            ImplementationItem.implementation_code,
        ).where(ImplementationItem.status == "active")
    ).all()


def _workbook(rows: int, codes: list[str], path: str) -> None:
    from openpyxl import Workbook

    rng = random.Random(14)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("评价数据")
    sheet.append(["评价ID", "事项实施编码", "办件编码", "评价人姓名", "手机号码", "身份证号码",
                  "评价来源", "评价时间", "满意度", "评价意见"])  # fmt: skip
    start = dt.datetime(2026, 1, 1, 8, 0)
    for n in range(rows):
        named = rng.random() < 0.7
        level = rng.choices(LEVELS, WEIGHTS)[0]
        sheet.append([
            f"PJ{n:09d}", rng.choice(codes), f"BJ{n:010d}",
            "张" + rng.choice("伟芳娜敏静丽强") if named else None,
            f"138{rng.randint(10000000, 99999999)}" if named else None,
            f"46010019{rng.randint(10**9, 10**10 - 1)}" if named else None,
            rng.choice(CHANNELS),
            (start + dt.timedelta(minutes=rng.randrange(300 * 24 * 60))).strftime("%Y-%m-%d %H:%M"),
            level, "排队时间太长" if level in ("不满意", "非常不满意") else "满意",
        ])  # fmt: skip
    workbook.save(path)


def phase_import(url: str, imports_dir: str, rows: int) -> dict:
    from sqlalchemy import func, select

    from app.core.actor import system_actor
    from app.core.unit_of_work import unit_of_work
    from app.excel import services
    from app.extensions import db
    from app.ratings.models import Rating, RectificationTicket

    app = _app(url, imports_dir)
    with app.app_context():
        path = os.path.join(imports_dir, "ratings-bench.xlsx")
        _workbook(rows, [code for *_rest, code in _items(db)], path)
        actor, spec = system_actor(), services.spec_for("ratings")
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
        assert batch.status == "previewed", (batch.status, batch.message)
        with unit_of_work(db.session, actor):
            services.start_confirm(db.session, actor=actor, batch=batch)
        confirmed = time.perf_counter()
        db.session.expire_all()
        batch = db.session.get(type(batch), batch.id)
        assert batch.status == "applied", (batch.status, batch.message)
        return {
            "phase": "import",
            "rows": rows,
            "upload_s": round(uploaded - started, 1),
            "preview_s": round(previewed - uploaded, 1),
            "confirm_s": round(confirmed - previewed, 1),
            "ratings": db.session.scalar(select(func.count()).select_from(Rating)),
            "tickets": db.session.scalar(select(func.count()).select_from(RectificationTicket)),
            "peak_rss_mb": round(_peak_mb()),
        }


def _fill(db, count: int) -> None:
    """``count`` ratings of 2026 and their summary rows, generated inside the database
    (set-based: one INSERT … SELECT over a series of numbers, joined to small tables of the
    items, days, levels and channels to draw from; the summary is one INSERT … SELECT …
    GROUP BY) instead of a Python loop: 1,000,000 ratings took 64–272 s on the loaded 2-core
    machine, SQLite and PostgreSQL alike."""
    from sqlalchemy import (
        BigInteger,
        Boolean,
        Column,
        Date,
        DateTime,
        Integer,
        MetaData,
        String,
        Table,
        case,
        cast,
        func,
        insert,
        literal,
        select,
    )

    from app.ratings.figures import COUNTS
    from app.ratings.models import Rating, RatingDay, RatingMonth

    session = db.session
    dialect = session.get_bind().dialect.name
    meta = MetaData()
    draws = {
        "item": Table("bench_item", meta, Column("idx", Integer, primary_key=True),
                      Column("item_id", Integer), Column("unit_id", Integer),
                      Column("region_id", Integer), Column("code", String(31))),
        "day": Table("bench_day", meta, Column("idx", Integer, primary_key=True),
                     Column("rated_on", Date), Column("rated_at", DateTime),
                     Column("month", Date)),
        "level": Table("bench_level", meta, Column("idx", Integer, primary_key=True),
                       Column("level", String(1)), Column("poor", Boolean)),
        "channel": Table("bench_channel", meta, Column("idx", Integer, primary_key=True),
                         Column("channel", String(16))),
    }  # fmt: skip
    meta.create_all(session.connection())
    items = _items(db)
    start = dt.date(2026, 1, 1)
    levels = [level for level, weight in zip("54321", WEIGHTS, strict=True) for _n in range(weight)]
    session.execute(insert(draws["item"]), [
        {"idx": n, "item_id": i, "unit_id": u, "region_id": r, "code": c}
        for n, (i, u, r, c) in enumerate(items)
    ])  # fmt: skip
    session.execute(insert(draws["day"]), [
        {"idx": n, "rated_on": start + dt.timedelta(days=n),
         "rated_at": dt.datetime.combine(start + dt.timedelta(days=n), dt.time(2, 0)),
         "month": (start + dt.timedelta(days=n)).replace(day=1)}
        for n in range(300)
    ])  # fmt: skip
    session.execute(insert(draws["level"]), [
        {"idx": n, "level": level, "poor": level in "21"} for n, level in enumerate(levels)
    ])  # fmt: skip
    session.execute(insert(draws["channel"]), [
        {"idx": n, "channel": channel} for n, channel in enumerate(CHANNEL_VALUES)
    ])  # fmt: skip
    if dialect == "postgresql":
        series = func.generate_series(0, count - 1).table_valued("i").render_derived("series")
        numbers = select(cast(series.c.i, BigInteger).label("i"))  # i × stride > 2**31
        numbers = numbers.subquery("numbers")
    else:  # a recursive CTE: SQLite has no generate_series by default
        seed = select(literal(0).label("i")).cte("numbers", recursive=True)
        numbers = seed.union_all(select(seed.c.i + 1).where(seed.c.i < count - 1))
    item, day, level, channel = (draws[k] for k in ("item", "day", "level", "channel"))
    i = numbers.c.i
    # Fixed multipliers spread the draws (prime strides: every item, day and level is used).
    rows = (
        select(
            (literal("F") + cast(i, String)).label("rating_no"),
            item.c.unit_id, item.c.region_id, item.c.item_id, item.c.code,
            *(literal("").label(name) for name in (
                "item_name", "handling_item", "hall", "window", "case_no", "id_type",
                "rater_name_masked", "phone_masked", "id_number_masked", "text")),
            literal("person").label("rater_type"), literal(False).label("real_name"),
            channel.c.channel, day.c.rated_at, day.c.rated_on, level.c.level, level.c.poor,
            literal("import").label("source"),
            literal(dt.datetime(2026, 11, 1)).label("created_at"),
        )
        .select_from(numbers)
        .join(item, item.c.idx == (i * 7919) % len(items))
        .join(day, day.c.idx == (i * 104729) % 300)
        .join(level, level.c.idx == (i * 31) % 100)
        .join(channel, channel.c.idx == (i * 13 + i % 11) % 6)
    )  # fmt: skip
    names = ["rating_no", "unit_id", "region_id", "item_id", "implementation_code",
             "item_name", "handling_item", "hall", "window", "case_no", "id_type",
             "rater_name_masked", "phone_masked", "id_number_masked", "text", "rater_type",
             "real_name", "channel", "rated_at", "rated_on", "level", "poor", "source",
             "created_at"]  # fmt: skip
    session.execute(insert(Rating).from_select(names, rows))
    poor = case((Rating.poor, 1), else_=0)
    summary = select(
        Rating.rated_on, Rating.unit_id, Rating.region_id, Rating.channel,
        func.count().label("ratings"), func.sum(1 - poor).label("good"),
        func.sum(poor).label("poor"),
        *(literal(0).label(name) for name in (
            "invalid", "rectified", "rectified_on_time", "real_name_poor", "called_back",
            "real_name_called_back", "satisfied")),
    ).group_by(Rating.rated_on, Rating.unit_id, Rating.region_id, Rating.channel)  # fmt: skip
    session.execute(
        insert(RatingDay).from_select(
            ["rated_on", "unit_id", "region_id", "channel", "ratings", "good", "poor",
             "invalid", "rectified", "rectified_on_time", "real_name_poor", "called_back",
             "real_name_called_back", "satisfied"],
            summary,
        )
    )  # fmt: skip
    month = draws["day"]
    by_month = (
        select(
            month.c.month, RatingDay.unit_id, RatingDay.region_id, RatingDay.channel,
            *(func.sum(getattr(RatingDay, name)).label(name) for name in COUNTS),
        )
        .join(month, month.c.rated_on == RatingDay.rated_on)
        .group_by(month.c.month, RatingDay.unit_id, RatingDay.region_id, RatingDay.channel)
    )  # fmt: skip
    session.execute(
        insert(RatingMonth).from_select(
            ["month", "unit_id", "region_id", "channel", *COUNTS], by_month
        )
    )
    meta.drop_all(session.connection())
    session.commit()
    if dialect == "postgresql":  # what autovacuum does on a live database
        with session.get_bind().connect() as connection:
            connection.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("ANALYZE")


def phase_figures(url: str, imports_dir: str, count: int) -> dict:
    from sqlalchemy import func, select

    from app.extensions import db
    from app.ratings.models import Rating, RatingDay, RatingMonth

    app = _app(url, imports_dir)
    with app.app_context():
        started = time.perf_counter()
        _fill(db, count)
        filled = time.perf_counter() - started
        stored = db.session.scalar(select(func.count()).select_from(Rating))
        summary_rows = db.session.scalar(select(func.count()).select_from(RatingDay))
        month_rows = db.session.scalar(select(func.count()).select_from(RatingMonth))
    result = {"phase": "figures", "ratings": stored, "summary_rows": summary_rows,
              "month_rows": month_rows, "fill_s": round(filled, 1)}  # fmt: skip
    password = app.config["DEMO_PASSWORD"]
    for username in ("province_admin", "county_coordinator", "unit_operator"):
        client = app.test_client()
        client.post("/login/", data={"username": username, "password": password})
        times, cpu = [], []
        for _n in range(20):
            began, began_cpu = time.perf_counter(), time.process_time()
            response = client.get("/ratingfigures/show/?group_by=unit&period=2026")
            times.append((time.perf_counter() - began) * 1000)
            cpu.append((time.process_time() - began_cpu) * 1000)  # this process's own work
            assert response.status_code == 200, response.status_code
        times.sort()
        cpu.sort()
        result[username] = {
            "p50_ms": round(statistics.median(times)),
            "p95_ms": round(times[int(len(times) * 0.95) - 1]),
            "cpu_p50_ms": round(statistics.median(cpu)),
            "cpu_p95_ms": round(cpu[int(len(cpu) * 0.95) - 1]),
        }
    result["peak_rss_mb"] = round(_peak_mb())
    return result


def _run(name: str, url: str, imports_dir: str, number: int) -> dict:
    child = subprocess.run(  # noqa: S603 - this interpreter, our own module
        [sys.executable, "-m", "benchmarks.ratings", "--phase", name, "--url", url,
         "--imports", imports_dir, "--number", str(number)],
        capture_output=True, text=True, check=False,
        cwd=str(Path(__file__).resolve().parents[1]),
    )  # fmt: skip
    if child.returncode != 0:
        print(child.stderr[-3000:])
        raise SystemExit(f"phase {name} failed")
    return json.loads(child.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--ratings", type=int, default=1_000_000)
    parser.add_argument("--phase")
    parser.add_argument("--url")
    parser.add_argument("--imports")
    parser.add_argument("--number", type=int, default=0)
    parser.add_argument("--only", choices=("import", "figures"), help="run one phase only")
    parser.add_argument(
        "--in-place",
        action="store_true",
        help="use the (empty) PostgreSQL database DATABASE_URL names as it is, neither created "
        "nor dropped here (with --only: one phase per empty database)",
    )
    args = parser.parse_args()
    if args.phase:
        if args.phase == "seed":
            result = seed(args.url, args.imports)
        elif args.phase == "import":
            result = phase_import(args.url, args.imports, args.number)
        else:
            result = phase_figures(args.url, args.imports, args.number)
        print(json.dumps(result, ensure_ascii=False))
        return
    for label, number in (("import", args.rows), ("figures", args.ratings)):
        if args.only and label != args.only:
            continue
        if args.in_place:
            if not args.only:
                raise SystemExit("--in-place needs --only (each phase seeds an empty database)")
            url, drop = os.environ["DATABASE_URL"], (lambda: None)
        else:
            url, drop = _database(os.environ.get("DATABASE_URL"))
        imports_dir = tempfile.mkdtemp(prefix="zwfw-bench-")
        try:
            _run("seed", url, imports_dir, 0)
            print(json.dumps(_run(label, url, imports_dir, number), ensure_ascii=False))
        finally:
            drop()
            shutil.rmtree(imports_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
