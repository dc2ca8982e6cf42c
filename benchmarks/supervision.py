"""Benchmark of the automatic supervision checks (网上督查) over a generated province.

    python -m benchmarks.supervision                      # 200,000 implementation items
    python -m benchmarks.supervision --items 1000000
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test python -m benchmarks.supervision

It builds a fresh database (a temporary SQLite file, or a new PostgreSQL database next to the one
DATABASE_URL names, dropped afterwards) with Hainan's regions to county level, ten units per
county, 4,000 basic entries (1% without 设定依据) and ``--items`` published implementation items
written straight into the table (2% missing their 咨询电话, 1% with 承诺办结时限 above the legal
one). Each phase runs in its own process so that its peak RSS is its own:

* ``run``: a province-wide plan with every automatic rule, run once (every finding new);
* ``rerun``: the same plan again (nothing new: every hit is a standing finding);
* ``fixed``: after a tenth of the items missing their phone are given one, run again (those
  findings resolved by the data).

The other rules' tables (adjustments, poor-rating tickets, licence objections) stay empty here:
their queries are of the same shape over their own, much smaller, tables.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import time
from pathlib import Path

UNITS_PER_COUNTY = 10
ENTRIES = 4000


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


def _app(url: str):
    os.environ["DATABASE_URL"] = url
    from app import create_app

    return create_app(
        {"SQLALCHEMY_DATABASE_URI": url, "JOBS_EAGER": True, "RATELIMIT_ENABLED": False}
    )


def seed(url: str, items: int) -> dict:
    from sqlalchemy import insert, select

    from app.catalogue import services as catalogue
    from app.catalogue.models import BasicCatalogueEntry, ImplementationItem, ItemType
    from app.core.cli import prepare_database
    from app.core.codes import make_credit_code
    from app.core.demo import seed_regions
    from app.core.models import Region, Unit
    from app.extensions import db

    rng = random.Random(15)
    app = _app(url)
    started = time.perf_counter()
    with app.app_context():
        prepare_database()
        seed_regions(db.session, "46", with_townships=False)
        catalogue.ensure_item_types(db.session)
        db.session.commit()
        counties = db.session.execute(
            select(Region.id, Region.code, Region.name).where(Region.level == "county")
        ).all()
        units = [
            {
                "name": f"{name}第{n}局",
                "credit_code": make_credit_code("11", code, f"{i * 100 + n + 1:08d}"),
                "region_id": region_id,
                "kind": "department",
                "exercise_level": "4",
                "active": True,
                "version": 1,
            }
            for i, (region_id, code, name) in enumerate(counties)
            for n in range(UNITS_PER_COUNTY)
        ]
        db.session.execute(insert(Unit), units)
        type_id = db.session.execute(select(ItemType.id)).scalars().first()
        db.session.execute(
            insert(BasicCatalogueEntry),
            [
                {
                    "basic_code": f"46{n % 100:02d}{n:05d}000",
                    "name": f"事项{n}",
                    "item_type_id": type_id,
                    "source": "provincial",
                    "status": "active",
                    "legal_basis": "" if n % 100 == 0 else "《某某条例》第十条",
                    "acceptance_conditions": "具备条件",
                    "application_materials": "申请书",
                    "legal_time_limit_days": 20,
                    "handling_process": "受理—审查—决定",
                    "fee_standard": "不收费",
                    "complaint_phone": "12345",
                    "form_content": "申请表",
                    "version": 1,
                }
                for n in range(ENTRIES)
            ],
        )
        db.session.commit()
        unit_rows = db.session.execute(
            select(Unit.id, Unit.region_id, Unit.credit_code).order_by(Unit.id)
        ).all()
        entry_rows = db.session.execute(
            select(BasicCatalogueEntry.id, BasicCatalogueEntry.basic_code).order_by(
                BasicCatalogueEntry.id
            )
        ).all()
        assert len(unit_rows) * len(entry_rows) >= items, "too few units × entries"
        batch = []
        for i in range(items):
            unit_id, region_id, credit = unit_rows[i % len(unit_rows)]
            entry_id, basic_code = entry_rows[(i // len(unit_rows)) % len(entry_rows)]
            draw = rng.random()
            batch.append(
                {
                    "basic_entry_id": entry_id,
                    "region_id": region_id,
                    "unit_id": unit_id,
                    "exercise_level": "4",
                    "implementation_code": f"{credit}4{basic_code}",
                    "status": "active",
                    "service_hours": "工作日 9:00-17:00",
                    "service_location": "政务服务中心",
                    "consult_phone": "" if draw < 0.02 else "0898-66668888",
                    "promised_time_limit_days": 25 if 0.02 <= draw < 0.03 else 10,
                    "version": 1,
                }
            )
            if len(batch) == 5000:
                db.session.execute(insert(ImplementationItem), batch)
                batch = []
        if batch:
            db.session.execute(insert(ImplementationItem), batch)
        db.session.commit()
    return {
        "phase": "seed",
        "counties": len(counties),
        "units": len(units),
        "items": items,
        "seconds": round(time.perf_counter() - started, 1),
    }


def phase(name: str, url: str) -> dict:
    from sqlalchemy import func, select, update

    from app.catalogue.models import ImplementationItem
    from app.core.actor import system_actor
    from app.core.models import Region
    from app.core.unit_of_work import unit_of_work
    from app.extensions import db
    from app.supervision import services
    from app.supervision.models import CheckPlan, CheckPoint, Finding
    from app.supervision.rules import RULES

    app = _app(url)
    actor = system_actor()
    with app.app_context():
        plan_id = db.session.execute(select(CheckPlan.id)).scalar()
        if plan_id is None:
            with unit_of_work(db.session, actor):
                points = [
                    CheckPoint(code=f"B{n}", description=key, severity="medium", rule_key=key)
                    for n, key in enumerate(RULES)
                ]
                root = db.session.execute(select(Region).where(Region.parent_id.is_(None))).scalar()
                import datetime as dt

                plan = CheckPlan(
                    name="bench",
                    kind="online",
                    period_start=dt.date(2026, 1, 1),
                    period_end=dt.date(2026, 12, 31),
                    regions=[root],
                    check_points=points,
                    region_id=root.id,
                )
                db.session.add(plan)
                db.session.flush()
                plan_id = plan.id
        if name == "fixed":
            ids = (
                db.session.execute(
                    select(ImplementationItem.id)
                    .where(ImplementationItem.consult_phone == "")
                    .order_by(ImplementationItem.id)
                )
                .scalars()
                .all()
            )
            fixed = ids[: len(ids) // 10]
            for start in range(0, len(fixed), 500):
                db.session.execute(
                    update(ImplementationItem)
                    .where(ImplementationItem.id.in_(fixed[start : start + 500]))
                    .values(consult_phone="0898-66668888")
                )
            db.session.commit()
        started = time.perf_counter()
        with unit_of_work(db.session, actor):
            summary = services.run_checks(db.session, plan_id, actor=actor)
        seconds = time.perf_counter() - started
        return {
            "phase": name,
            "seconds": round(seconds, 1),
            "opened": sum(summary.opened.values()),
            "resolved": sum(summary.resolved.values()),
            "standing": sum(summary.standing.values()),
            "findings": db.session.scalar(select(func.count()).select_from(Finding)),
            "peak_rss_mb": round(_peak_mb()),
        }


def _run(args: list[str]) -> dict:
    child = subprocess.run(  # noqa: S603 - this interpreter, our own module
        [sys.executable, "-m", "benchmarks.supervision", *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=str(Path(__file__).resolve().parents[1]),
    )
    if child.returncode != 0:
        print(child.stderr[-3000:])
        raise SystemExit(f"{args[:2]} failed")
    return json.loads(child.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=200_000)
    parser.add_argument("--phase", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase == "seed":
        print(json.dumps(seed(args.url, args.items)))
        return
    if args.phase:
        print(json.dumps(phase(args.phase, args.url)))
        return
    url, drop = _database(os.environ.get("DATABASE_URL"))
    try:
        seeded = _run(["--phase", "seed", "--url", url, "--items", str(args.items)])
        print(f"database: {url.split('@')[-1]}")
        print(
            f"province: {seeded['counties']} counties, {seeded['units']} units, "
            f"{seeded['items']} published items (seeded in {seeded['seconds']} s)"
        )
        print(f"machine: {os.cpu_count()} CPUs, python {sys.version.split()[0]}")
        for name in ("run", "rerun", "fixed"):
            result = _run(["--phase", name, "--url", url])
            print(
                f"{name:6s} {result['seconds']:7.1f} s  opened {result['opened']:>7d}  "
                f"resolved {result['resolved']:>6d}  standing {result['standing']:>7d}  "
                f"findings {result['findings']:>7d}  peak RSS {result['peak_rss_mb']} MB"
            )
    finally:
        drop()


if __name__ == "__main__":
    main()
