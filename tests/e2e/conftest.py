"""Browser tests: Debian chromium driven by Playwright against a real server process.

The server is gunicorn on a free loopback port, on a fresh database of its own (SQLite, or a
fresh PostgreSQL database when DATABASE_URL points at PostgreSQL) seeded by ``flask seed-demo``,
exactly as a newcomer's first run. Log in with the demo logins (password ``DEMO_PASSWORD``).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import fresh_database_url

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
DEMO_PASSWORD = "Demo@e2e-2026"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def live_server() -> Iterator[str]:
    url, drop = fresh_database_url("e2e")
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DEMO_PASSWORD": DEMO_PASSWORD,
        "FLASK_APP": "run.py",
        "RATELIMIT_ENABLED": "false",
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
    }
    if env.get("REDIS_URL"):
        # A Redis database of the browser tests' own: their worker never takes the unit tests' jobs.
        env["REDIS_URL"] = env["REDIS_URL"].rsplit("/", 1)[0] + "/14"
    bin_dir = Path(sys.executable).parent
    subprocess.run(
        [str(bin_dir / "flask"), "seed-demo"], cwd=ROOT, env=env, check=True, capture_output=True
    )
    port = _free_port()
    (ROOT / "instance").mkdir(exist_ok=True)
    log = open(ROOT / "instance" / f"e2e-server-{port}.log", "w")  # noqa: SIM115
    server = subprocess.Popen(
        [
            str(bin_dir / "gunicorn"),
            "-w",
            "2",
            "--threads",
            "4",
            "-b",
            f"127.0.0.1:{port}",
            "run:app",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    # With REDIS_URL set (CI's PostgreSQL run) long jobs go to RQ: run a real worker for them.
    worker = None
    if env.get("REDIS_URL"):
        worker = subprocess.Popen(
            [str(bin_dir / "rq"), "worker", "zwfw", "--url", env["REDIS_URL"]],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/health", timeout=1)  # noqa: S310 - loopback
                break
            except OSError:
                if server.poll() is not None:
                    raise RuntimeError("the server did not start; see " + log.name) from None
                time.sleep(0.2)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=20)
        if worker is not None:
            worker.terminate()
            worker.wait(timeout=20)
        log.close()
        drop()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(
            "Debian chromium is missing: scripts/test installs it (apt-get install chromium)"
        )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Any, live_server: str) -> Iterator[Any]:
    context = browser.new_context(base_url=live_server, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def sign_in(page: Any) -> Any:
    """Log in through the login form as a demo user; returns the page."""

    def _sign_in(username: str, password: str = DEMO_PASSWORD) -> Any:
        page.goto("/login/")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", password)
        page.click("input[type=submit], button[type=submit]")
        page.wait_for_load_state("networkidle")
        assert "/login" not in page.url, f"login of {username} failed"
        return page

    return _sign_in


@pytest.fixture
def sign_out(page: Any) -> Any:
    """Sign out the way a user does: the navbar's user menu, then its logout button (a POST form
    with the CSRF token; a GET of /logout/ only asks)."""

    def _sign_out() -> Any:
        page.goto("/")
        page.click(".navbar-right .dropdown-toggle:has(.fa-user)")
        with page.expect_navigation():
            page.click("#logout-button")
        page.wait_for_load_state("networkidle")
        return page

    return _sign_out
