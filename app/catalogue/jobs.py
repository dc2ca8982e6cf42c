"""Scheduled work of the catalogue: approved suspensions take effect on their first day.

Run it daily just after 00:00 in the province's time zone, from cron
(``CRON_TZ=Asia/Shanghai`` ``1 0 * * * flask --app run.py catalogue-start-suspensions``) or by
enqueuing :func:`start_due_suspensions_job` on the job worker. A later run catches up whatever
an earlier one missed, and running it twice changes nothing.
"""

from __future__ import annotations

import click
from flask import Flask

from app.catalogue import services
from app.core.actor import Actor, system_actor
from app.core.unit_of_work import unit_of_work
from app.extensions import db


def start_due_suspensions_job(*, actor: Actor) -> int:
    """The job worker's entry point (``jobs.enqueue("app.catalogue.jobs.start_due_suspensions_job",
    actor=...)``): one transaction; returns how many items were suspended."""
    with unit_of_work(db.session, actor):
        return len(services.start_due_suspensions(db.session, actor=actor))


def register_commands(app: Flask) -> None:
    @app.cli.command("catalogue-start-suspensions")
    def start_suspensions_command() -> None:
        """Suspend the items whose approved suspension starts today (province time)."""
        count = start_due_suspensions_job(actor=system_actor())
        click.echo(f"suspended: {count}")
