"""Benchmark of the workbench (the landing page ``/``) on the demo province.

    python -m benchmarks.workbench                    # a fresh SQLite demo database, 30 requests
    python -m benchmarks.workbench --requests 100
    python -m benchmarks.workbench --database sqlite:////tmp/demo.db   # an already seeded one

It seeds the demo province (``flask seed-demo``: 274 regions, 40 units, ~2,900 implementation
items, adjustments, filings, licences, window accounts and a year of ratings) unless a database is
given, signs in as each demo role through the login form and requests ``/`` the given number of
times (after one warm-up request): p50 / p95 / max in milliseconds and the SQL statements one
request runs.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROLES = (
    "province_admin",
    "county_coordinator",
    "unit_operator",
    "legal_reviewer",
    "licence_reviewer",
    "supervisor",
    "window_staff",
)
PASSWORD = "Bench@workbench-2026"  # noqa: S105 - the throw-away demo database's logins


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--database", help="an already seeded database URL (demo password)")
    parser.add_argument("--password", default=os.environ.get("DEMO_PASSWORD", PASSWORD))
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    os.environ.setdefault("PASSWORD_HASH_METHOD", "pbkdf2:sha256:1000")
    os.environ["RATELIMIT_ENABLED"] = "false"
    if args.database:
        url = args.database
    else:
        url = f"sqlite:///{tempfile.mkdtemp(prefix='zwfw-bench-')}/demo.db"
        os.environ["DEMO_PASSWORD"] = args.password
    os.environ["DATABASE_URL"] = url
    from sqlalchemy import event

    from app import create_app
    from app.extensions import db

    app = create_app({"RATELIMIT_ENABLED": False, "WTF_CSRF_ENABLED": False})
    if not args.database:
        started = time.perf_counter()
        result = app.test_cli_runner().invoke(args=["seed-demo"])
        assert result.exit_code == 0, result.output
        print(f"seeded the demo province in {time.perf_counter() - started:.0f} s")
    with app.app_context():
        engine = db.engine
    statements: list[int] = []
    event.listen(engine, "before_cursor_execute", lambda *a, **k: statements.append(1))
    print(f"{'role':<20}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}{'SQL':>6}  to-dos (count)")
    for username in ROLES:
        client = app.test_client()
        login = client.post("/login/", data={"username": username, "password": args.password})
        assert login.status_code == 302 and "/login" not in login.headers["Location"], username
        client.get("/")  # warm-up: templates, translations, the session's first queries
        times = []
        for _ in range(args.requests):
            statements.clear()
            started = time.perf_counter()
            page = client.get("/")
            times.append((time.perf_counter() - started) * 1000)
            assert page.status_code == 200
        body = page.get_data(as_text=True)
        todos = re.findall(r'id="todo-([^"]+)" data-count="(\d+)"', body)
        shown = ", ".join(f"{key} {count}" for key, count in todos if count != "0")
        times.sort()
        p95 = times[max(0, int(len(times) * 0.95) - 1)]
        print(
            f"{username:<20}{statistics.median(times):>9.1f}{p95:>9.1f}{times[-1]:>9.1f}"
            f"{len(statements):>6}  {shown}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
