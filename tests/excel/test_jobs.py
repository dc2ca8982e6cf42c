"""The background-job runner (app.core.jobs): in-process thread, RQ on Redis, eager."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from app.core import jobs
from app.core.actor import Actor, actor_for_user
from app.core.models import AppUser
from app.extensions import db
from tests.excel.factories import credit_code, unit_rows
from tests.excel.helpers import post_file


def sample_job(path: str, *, actor: Actor) -> None:
    jobs.report_progress(0.5, "half way")
    Path(path).write_text(actor.username, encoding="utf-8")


def failing_job(path: str, *, actor: Actor) -> None:
    raise RuntimeError("boom")


def _wait(job_id, seconds=20):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        state = jobs.status(job_id)
        if state is not None and state.done:
            return state
        time.sleep(0.1)
    raise AssertionError("job did not finish")


@pytest.fixture
def threaded(app):
    app.config["JOBS_EAGER"] = False
    yield app
    app.config["JOBS_EAGER"] = True


def test_thread_job_runs_as_the_user_who_started_it(world, threaded, tmp_path):
    with threaded.app_context():
        actor = actor_for_user(db.session.get(AppUser, world.user("province_admin")))
        job_id = jobs.enqueue(
            "tests.excel.test_jobs.sample_job", actor=actor, path=str(tmp_path / "out")
        )
        state = _wait(job_id)
    assert state.state == jobs.FINISHED and state.progress == 100
    assert (tmp_path / "out").read_text(encoding="utf-8") == "province_admin"


def test_state_files_of_old_jobs_are_forgotten_when_a_job_starts(world, threaded, tmp_path):
    import os

    with threaded.app_context():
        directory = jobs._state_path(threaded, "probe").parent
        old, recent = directory / "oldjob.json", directory / "recentjob.json"
        for path in (old, recent):
            path.write_text('{"id": "x", "state": "finished"}', encoding="utf-8")
        eight_days_ago = time.time() - 8 * 86400
        os.utime(old, (eight_days_ago, eight_days_ago))
        actor = actor_for_user(db.session.get(AppUser, world.user("province_admin")))
        job_id = jobs.enqueue(
            "tests.excel.test_jobs.sample_job", actor=actor, path=str(tmp_path / "out")
        )
        _wait(job_id)
        assert jobs.status(job_id) is not None  # the job just run keeps its state
    assert not old.exists() and recent.exists()
    recent.unlink()


def test_a_failing_job_is_reported_not_lost(world, threaded, tmp_path):
    with threaded.app_context():
        actor = actor_for_user(db.session.get(AppUser, world.user("province_admin")))
        job_id = jobs.enqueue("tests.excel.test_jobs.failing_job", actor=actor, path="x")
        state = _wait(job_id)
    assert state.state == jobs.FAILED and "boom" in state.error


def test_import_runs_in_the_background_and_the_api_waits_for_it(world, threaded, api_token):
    client, headers = threaded.test_client(), api_token("province_admin")
    data = unit_rows(["海口市秀英区民政局", credit_code("460105", 1), "460105", "政府部门"])
    preview = post_file(client, headers, data)
    assert preview.status_code in (200, 202)
    deadline = time.monotonic() + 20
    while preview.json["status"] == "previewing" and time.monotonic() < deadline:
        time.sleep(0.2)
        preview = client.get(f"/api/v1/unit_list/import/{preview.json['id']}", headers=headers)
    assert preview.json["status"] == "previewed" and preview.json["counts"]["new"] == 1


def test_rq_job_runs_on_redis_with_the_users_reach(world, app, tmp_path):
    redis = pytest.importorskip("redis")
    from rq import Queue, SimpleWorker

    connection = redis.Redis.from_url("redis://127.0.0.1:6379/15")
    try:
        connection.ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    app.config.update(JOBS_EAGER=False, REDIS_URL="redis://127.0.0.1:6379/15")
    try:
        with app.app_context():
            actor = actor_for_user(db.session.get(AppUser, world.user("county_coordinator")))
            job_id = jobs.enqueue(
                "tests.excel.test_jobs.sample_job", actor=actor, path=str(tmp_path / "o")
            )
            assert jobs.status(job_id).state == jobs.QUEUED
            SimpleWorker([Queue(jobs.RQ_QUEUE, connection=connection)], connection=connection).work(
                burst=True
            )
            state = jobs.status(job_id)
        assert state.state == jobs.FINISHED
        assert (tmp_path / "o").read_text(encoding="utf-8") == "county_coordinator"
    finally:
        app.config.update(JOBS_EAGER=True, REDIS_URL="")
        connection.flushdb()
        connection.close()
