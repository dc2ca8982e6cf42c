"""``flask supervision-run``: the automatic checks for cron (every plan whose period includes
the province's today, or the plans named), each plan one use case of the system."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from app.core import calendar
from app.core.actor import system_actor
from app.core.errors import DomainError
from app.core.unit_of_work import unit_of_work
from app.extensions import db
from app.supervision import services


@click.command("supervision-run")
@click.option("--plan", "plan_ids", multiple=True, type=int, help="A plan's id (repeatable).")
@with_appcontext
def supervision_run_command(plan_ids: tuple[int, ...]) -> None:
    """Run the automatic checks of the plans in their period (or of the plans given)."""
    ids = list(plan_ids) or services.plans_due(db.session, calendar.today())
    failed = 0
    for plan_id in ids:
        try:
            with unit_of_work(db.session, system_actor()):
                summary = services.run_checks(db.session, plan_id, actor=system_actor())
        except DomainError as error:
            failed += 1
            click.echo(f"plan {plan_id}: {error}", err=True)
            continue
        click.echo(f"plan {plan_id}: {summary.text}")
    if failed and plan_ids:
        raise SystemExit(1)
