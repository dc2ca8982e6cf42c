"""How fast the audit administrator's list pages are on a big audit log.

    python -m benchmarks.audit_log_list [--rows 1000000]

Uses a fresh database (PostgreSQL when DATABASE_URL points at it, else SQLite), fills audit_log with
``--rows`` rows, then times list pages through the real application (login, permissions, reach,
FAB's list view): the first page, a deep page, equality filters on indexed columns, and the first
page again with the count cap switched off (FAB's exact COUNT(*)). Prints the median of 5 requests
each and the process's peak RSS.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import statistics
import time

from sqlalchemy import insert

ACTIONS = ["create", "update", "delete", "login", "login_failed", "export"]
TYPES = ["Unit", "Region", "AppUser", "CalendarDay", "Deadline"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()

    from tests.conftest import fresh_database_url

    url, drop = fresh_database_url("bench")
    os.environ["DATABASE_URL"] = url
    try:
        run(url, args.rows)
    finally:
        drop()


def run(url: str, rows: int) -> None:
    from app import create_app
    from app.core import roles
    from app.core.cli import prepare_database
    from app.core.models import AuditLog
    from app.extensions import appbuilder, db

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
            "FAB_PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        }
    )
    with app.app_context():
        prepare_database()
        appbuilder.sm.add_user(
            "bench_audit",
            "bench",
            "",
            "bench@example.invalid",
            [appbuilder.sm.find_role(roles.AUDIT_ADMIN)],
            "Bench@2026x",
        )
        started = time.perf_counter()
        base = dt.datetime(2026, 1, 1)
        batch = []
        for i in range(rows):
            batch.append(
                {
                    "occurred_at": base + dt.timedelta(seconds=i),
                    "actor_id": i % 500,
                    "actor_name": f"user{i % 500:03d}",
                    "ip": f"10.0.{i % 250}.{i % 200}",
                    "action": ACTIONS[i % len(ACTIONS)],
                    "object_type": TYPES[i % len(TYPES)],
                    "object_id": str(i % 50_000),
                    "summary": f"对象 {i}",
                    "before": None,
                    "after": '{"name": "示例"}',
                    "prev_hash": f"{i:064d}",
                    "hash": f"{i + 1:064d}",
                }
            )
            if len(batch) == 20_000:
                db.session.execute(insert(AuditLog), batch)
                batch.clear()
        if batch:
            db.session.execute(insert(AuditLog), batch)
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            db.session.execute(db.text("ANALYZE audit_log"))
            db.session.commit()
        fill = time.perf_counter() - started

    client = app.test_client()
    client.post("/login/", data={"username": "bench_audit", "password": "Bench@2026x"})
    cases = {
        "first page (newest 50)": "/auditlogview/list/",
        "page 200 (OFFSET 10,000)": "/auditlogview/list/?page_AuditLogView=200",
        "filter object_type = Unit": "/auditlogview/list/?_flt_0_object_type=Unit",
        "filter action = export": "/auditlogview/list/?_flt_0_action=export",
        "filter actor_name = user042": "/auditlogview/list/?_flt_0_actor_name=user042",
    }
    print(f"database: {url.split(':')[0]}, audit rows: {rows:,}, fill time: {fill:.1f} s")
    print(f"{'request':40s} {'median ms':>10s} {'min ms':>8s} {'max ms':>8s}")
    for name, path in cases.items():
        report(client, name, path)
    view = next(v for v in appbuilder.baseviews if type(v).__name__ == "AuditLogView")
    view.datamodel.count_cap = None
    report(client, "first page, exact COUNT(*) (no cap)", "/auditlogview/list/")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of this process: {peak:.0f} MB")


def report(client, name: str, path: str) -> None:
    client.get(path)  # warm-up
    timings = []
    for _ in range(5):
        started = time.perf_counter()
        response = client.get(path)
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.status_code
    print(f"{name:40s} {statistics.median(timings):10.1f} {min(timings):8.1f} {max(timings):8.1f}")


if __name__ == "__main__":
    main()
