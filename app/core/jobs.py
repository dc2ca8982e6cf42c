"""Background jobs: long work (big imports) runs outside the web request and reports progress.

Two backends behind one small API (:func:`enqueue`, :func:`status`, :func:`report_progress`):

* **RQ on Redis** when ``REDIS_URL`` is set (production): ``rq worker zwfw`` runs the jobs, their
  progress lives in the RQ job's ``meta``.
* **In-process worker thread** on the embedded default (no Redis): one daemon thread per process
  runs the jobs one after another; progress is kept in a small JSON file per job under
  ``JOBS_DIR``, so that every web worker process (gunicorn runs several) sees it.

``JOBS_EAGER`` runs the job synchronously inside :func:`enqueue` (tests, CLI scripts).

A job is a dotted path to a plain function taking keyword arguments; it runs inside an
application context and receives ``actor=`` (the user who started it). A job function is a
use-case boundary: it does its work in :func:`app.core.unit_of_work.unit_of_work` with that
actor, so reach, audit and the flush-time checks behave exactly as in the request that enqueued
it, and it commits there (never half-way). Its progress goes through :func:`report_progress`,
which writes outside the database transaction (a state file or the RQ job's meta).
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import queue
import threading
import time
import traceback
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from flask import Flask, current_app, has_app_context

from app.core.actor import Actor, actor_for_user, system_actor

QUEUED, RUNNING, FINISHED, FAILED = "queued", "running", "finished", "failed"
# A running thread job that has not reported for this long died with its process.
STALE_AFTER_SECONDS = 120
RQ_QUEUE = "zwfw"


@dataclass
class JobStatus:
    """What the page polling a job sees."""

    id: str
    state: str
    progress: int = 0  # percent, 0..100
    message: str = ""
    error: str = ""
    updated: float = 0.0

    @property
    def done(self) -> bool:
        return self.state in (FINISHED, FAILED)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


_local = threading.local()


def _resolve(path: str) -> Callable[..., Any]:
    module, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module), name)


def backend(app: Flask | None = None) -> str:
    config = (app or current_app).config
    if config.get("JOBS_EAGER"):
        return "eager"
    return "rq" if config.get("REDIS_URL") else "thread"


def new_job_id() -> str:
    return uuid.uuid4().hex


def enqueue(func_path: str, *, actor: Actor, job_id: str | None = None, **kwargs: Any) -> str:
    """Run ``func_path(actor=actor, **kwargs)`` in the background; return the job id.

    Pass ``job_id`` (from :func:`new_job_id`) to store it with the work's record before the
    job can start.
    """
    _resolve(func_path)  # fail now, in the request, if the path is wrong
    job_id = job_id or new_job_id()
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    kind = backend(app)
    if kind == "rq":
        from redis import Redis
        from rq import Queue

        connection = Redis.from_url(app.config["REDIS_URL"])
        Queue(RQ_QUEUE, connection=connection).enqueue(
            "app.core.jobs.run_rq_job",
            func_path,
            actor.user_id,
            actor.ip,
            kwargs,
            job_id=job_id,
            job_timeout=app.config.get("JOBS_TIMEOUT", 3600),
            result_ttl=86400,
            failure_ttl=86400,
        )
        return job_id
    _write_state(app, JobStatus(job_id, QUEUED, updated=time.time()))
    if kind == "eager":
        _run(app, job_id, func_path, actor, kwargs)
    else:
        _thread_queue(app).put((app, job_id, func_path, actor, kwargs))
    return job_id


def status(job_id: str | None) -> JobStatus | None:
    """The job's state and progress, or None when the id is unknown."""
    if not job_id:
        return None
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if backend(app) == "rq":
        return _rq_status(app, job_id)
    state = _read_state(app, job_id)
    if state is None:
        return None
    if state.state in (QUEUED, RUNNING) and time.time() - state.updated > STALE_AFTER_SECONDS:
        # The process that ran it is gone (restart, kill): its transaction never committed.
        state.state, state.error = FAILED, "interrupted"
    return state


def report_progress(progress: float, message: str = "") -> None:
    """Called from inside a job: ``progress`` in 0..1. Outside a job it does nothing."""
    job = getattr(_local, "job", None)
    percent = max(0, min(100, int(progress * 100)))
    if job is not None:
        app, job_id = job
        if percent == getattr(_local, "last", -1) and time.time() - _local.last_time < 5:
            return
        _local.last, _local.last_time = percent, time.time()
        _write_state(app, JobStatus(job_id, RUNNING, percent, message, updated=time.time()))
        return
    with contextlib.suppress(Exception):
        from rq import get_current_job

        rq_job = get_current_job()
        if rq_job is not None:
            rq_job.meta.update(progress=percent, message=message, updated=time.time())
            rq_job.save_meta()


# -- running ------------------------------------------------------------------------------------


def _run(app: Flask, job_id: str, func_path: str, actor: Actor, kwargs: dict[str, Any]) -> None:
    _local.job, _local.last, _local.last_time = (app, job_id), -1, 0.0
    _prune_states(app)
    _write_state(app, JobStatus(job_id, RUNNING, 0, updated=time.time()))
    try:
        with app.app_context():
            _resolve(func_path)(actor=actor, **kwargs)
        _write_state(app, JobStatus(job_id, FINISHED, 100, updated=time.time()))
    except Exception as error:  # a job must never kill its worker; the failure is reported
        app.logger.error("job %s (%s) failed: %s", job_id, func_path, traceback.format_exc())
        _write_state(app, JobStatus(job_id, FAILED, error=str(error), updated=time.time()))
    finally:
        _local.job = None


_queues: dict[int, queue.Queue] = {}
_queues_lock = threading.Lock()


def _thread_queue(app: Flask) -> queue.Queue:
    """One worker thread per process (and app), started on first use."""
    with _queues_lock:
        work = _queues.get(id(app))
        if work is None or os.getpid() != getattr(work, "pid", None):
            work = queue.Queue()
            work.pid = os.getpid()  # type: ignore[attr-defined]
            _queues[id(app)] = work
            threading.Thread(target=_worker, args=(work,), daemon=True, name="zwfw-jobs").start()
        return work


def _worker(work: queue.Queue) -> None:
    while True:
        app, job_id, func_path, actor, kwargs = work.get()
        with contextlib.suppress(Exception):
            _run(app, job_id, func_path, actor, kwargs)
        work.task_done()


_local_app: dict[str, Flask] = {}


def run_rq_job(func_path: str, user_id: int | None, ip: str, kwargs: dict[str, Any]) -> None:
    """The RQ entry point: build (or reuse) the app, restore the actor, run the job."""
    app = current_app._get_current_object() if has_app_context() else _rq_app()  # type: ignore[attr-defined]
    with app.app_context():
        _resolve(func_path)(actor=_actor_for(user_id, ip), **kwargs)


def _rq_app() -> Flask:
    app = _local_app.get("rq")
    if app is None:
        from app import create_app

        app = _local_app["rq"] = create_app()
    return app


def _actor_for(user_id: int | None, ip: str) -> Actor:
    if user_id is None:
        return system_actor(ip)
    from app.core.models import AppUser
    from app.extensions import db

    return actor_for_user(db.session.get(AppUser, user_id), ip)


def _rq_status(app: Flask, job_id: str) -> JobStatus | None:
    from redis import Redis
    from rq.exceptions import NoSuchJobError
    from rq.job import Job

    try:
        job = Job.fetch(job_id, connection=Redis.from_url(app.config["REDIS_URL"]))
    except NoSuchJobError:
        return None
    rq_state = job.get_status(refresh=True)
    state = {"finished": FINISHED, "failed": FAILED, "started": RUNNING}.get(
        str(getattr(rq_state, "value", rq_state)), QUEUED
    )
    meta = job.get_meta(refresh=True) if hasattr(job, "get_meta") else job.meta
    progress = 100 if state == FINISHED else int(meta.get("progress", 0))
    error = ""
    if state == FAILED:
        result = job.latest_result()
        lines = (getattr(result, "exc_string", "") or "").strip().splitlines()
        error = lines[-1] if lines else ""
    return JobStatus(
        job_id, state, progress, meta.get("message", ""), error, meta.get("updated", 0.0)
    )


# -- the thread backend's state files ---------------------------------------------------------


def _state_path(app: Flask, job_id: str) -> Path:
    if not job_id.isalnum():
        raise ValueError("bad job id")
    directory = Path(app.config.get("JOBS_DIR") or Path(app.config["IMPORTS_DIR"]) / "jobs")
    directory.mkdir(parents=True, exist_ok=True)
    return directory / f"{job_id}.json"


def _write_state(app: Flask, state: JobStatus) -> None:
    path = _state_path(app, state.id)
    temporary = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
    temporary.write_text(json.dumps(state.as_dict()), encoding="utf-8")
    os.replace(temporary, path)  # atomic: a poll never reads half a file


def _prune_states(app: Flask) -> None:
    """Forget the state files of jobs older than ``JOBS_KEEP_DAYS`` (default 7): their imports
    keep their own outcome; a job that old and still busy is dead and is reported so."""
    keep = float(app.config.get("JOBS_KEEP_DAYS", 7)) * 86400
    directory = _state_path(app, "probe").parent
    limit = time.time() - keep
    for path in directory.glob("*.json"):
        with contextlib.suppress(OSError):
            if path.stat().st_mtime < limit:
                path.unlink()


def _read_state(app: Flask, job_id: str) -> JobStatus | None:
    try:
        data = json.loads(_state_path(app, job_id).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return JobStatus(**data)
