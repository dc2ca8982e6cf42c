"""Command-line tasks: ``flask setup``, ``seed-demo``, ``audit-verify``, ``audit-checkpoint``,
``audit-retention``."""

from __future__ import annotations

import datetime as dt
import importlib
import sys

import click
from flask import Flask, current_app
from flask_appbuilder.security.manager import BaseSecurityManager
from flask_migrate import upgrade
from sqlalchemy import delete, func, select, text

from app.core import calendar
from app.core.actor import system_actor
from app.core.audit import ChainReport
from app.core.roles import sync_roles
from app.core.unit_of_work import unit_of_work
from app.extensions import appbuilder, db


def prepare_database() -> dict[str, int]:
    """Migrate to the newest schema, sync permissions and roles, seed the calendar."""
    upgrade()
    sm = appbuilder.sm
    # FAB's own bootstrap (Admin and Public roles) without its create_all: the schema is ours.
    BaseSecurityManager.create_db(sm)
    appbuilder.add_permissions(update_perms=True)
    counts = sync_roles(sm)
    with unit_of_work(db.session, system_actor()):
        calendar.seed_from_package(db.session)
    _first_audit_checkpoint()
    return counts


class DemoRefused(click.ClickException):
    """Demo data (logins with the public demo password) never enters a production database."""


def refuse_demo_in_production() -> None:
    from flask_babel import gettext as _

    from app.core.production import is_production

    if is_production(current_app.config):
        raise DemoRefused(
            _(
                "ZWFW_ENV=production: demo data and demo logins are never loaded in production. "
                "Create the first system administrator with flask fab create-user."
            )
        )


def _first_audit_checkpoint() -> None:
    """A database without a checkpoint archive gets its first checkpoint here: on a new
    installation, and on an existing one right after migration 0009 (it records the last row
    hashed without the key, so that no unkeyed row is accepted after the switch)."""
    from app.core.audit import checkpoint_path, log, verify_chain, write_checkpoint

    path = checkpoint_path()
    if path.exists() and path.stat().st_size:
        return
    with unit_of_work(db.session, system_actor()):
        report = verify_chain(db.session, checkpoints=[])
        if report.rows_ok:
            write_checkpoint(db.session, "setup")
        else:
            log.warning(
                "no first audit checkpoint written: the chain does not verify: %s",
                "; ".join(f.message for f in report.findings if f.about_rows),
            )


def _print_findings(report: ChainReport) -> None:
    for finding in report.findings:
        click.echo(f"  - {finding.message}", err=True)


def seed_demo_data() -> None:
    from app import DOMAINS
    from app.core import demo

    refuse_demo_in_production()

    with unit_of_work(db.session, system_actor()):
        added = demo.seed_regions(db.session, demo.DEMO_PROVINCE)
        units = demo.seed_demo_units(db.session)
        # FAB's add_user commits each new login itself; their regions and units commit here.
        users = demo.seed_demo_users(db.session, appbuilder.sm, current_app.config["DEMO_PASSWORD"])
    click.echo(f"regions added: {added}, units added: {units}, users added: {len(users)}")
    for package in DOMAINS[1:]:
        try:
            module = importlib.import_module(f"{package}.demo")
        except ModuleNotFoundError:
            continue
        # A domain's demo is a script of use cases, each in a unit of work of its acting user
        # (so it cannot run inside one of the system's: a unit of work has one actor); what it
        # sets up around them is the system's (no unit binds it outside a request) and is
        # committed here.
        summary = module.seed_demo(db.session)
        db.session.commit()
        click.echo(f"{package}: {summary}")


def register_commands(app: Flask) -> None:
    @app.cli.command("setup")
    def setup_command() -> None:
        """Build or upgrade the schema, sync roles and permissions, seed the calendar."""
        counts = prepare_database()
        click.echo("roles: " + ", ".join(f"{k}={v}" for k, v in counts.items()))

    @app.cli.command("seed-demo")
    def seed_demo_command() -> None:
        """Load the demo province (Hainan) with units and one login per role; idempotent.
        Refused in production."""
        refuse_demo_in_production()
        prepare_database()
        seed_demo_data()

    @app.cli.command("seed-regions")
    @click.argument("province_code")
    @click.option("--no-townships", is_flag=True)
    def seed_regions_command(province_code: str, no_townships: bool) -> None:
        """Load a province's region tree (2-digit code, e.g. 46) from the shipped tables."""
        from app.core import demo

        with unit_of_work(db.session, system_actor()):
            added = demo.seed_regions(db.session, province_code, with_townships=not no_townships)
        click.echo(f"regions added: {added}")

    @app.cli.command("audit-verify")
    def audit_verify_command() -> None:
        """Recompute the audit log's keyed hash chain and hold its newest and oldest row to the
        checkpoints; exit 1 with every finding (rows named by id)."""
        from app.core.audit import checkpoint_path, verify_chain

        report = verify_chain(db.session)
        db.session.rollback()
        if report.ok:
            anchored = report.checkpoint.describe() if report.checkpoint else "no checkpoint"
            click.echo(
                f"audit chain intact: {report.checked} rows checked (#{report.oldest_id}–"
                f"#{report.newest_id}); newest and oldest rows match {anchored} "
                f"in {checkpoint_path()}"
            )
            return
        click.echo(
            f"audit chain BROKEN: {len(report.findings)} finding(s), first at row "
            f"{report.first_bad_id} ({report.checked} rows checked, "
            f"checkpoints: {checkpoint_path()})",
            err=True,
        )
        _print_findings(report)
        sys.exit(1)

    @app.cli.command("audit-checkpoint")
    @click.option(
        "--force",
        is_flag=True,
        help="write it although the chain does not verify (after the findings were dealt with)",
    )
    def audit_checkpoint_command(force: bool) -> None:
        """Verify the chain, then anchor its newest and oldest row outside the table (archive
        file and log). Run it daily (cron or scheduler)."""
        from app.core.audit import checkpoint_path, log, verify_chain, write_checkpoint

        report = verify_chain(db.session)
        if not report.rows_ok and not force:
            db.session.rollback()
            click.echo(
                "audit checkpoint NOT written: the chain does not verify against the last "
                "checkpoint (a checkpoint now would accept the damage):",
                err=True,
            )
            _print_findings(report)
            sys.exit(1)
        if not report.ok:
            log.warning(
                "audit checkpoint written despite: %s",
                "; ".join(f.message for f in report.findings),
            )
            _print_findings(report)
        with unit_of_work(db.session, system_actor()):
            record = write_checkpoint(db.session, "forced" if not report.rows_ok else "checkpoint")
        click.echo(
            f"audit checkpoint written: {record['rows']} rows, newest #{record['newest_id']}, "
            f"oldest #{record['oldest_id']} -> {checkpoint_path()}"
        )

    @app.cli.command("audit-retention")
    @click.option("--days", type=int, default=None, help="keep at least this many days")
    def audit_retention_command(days: int | None) -> None:
        """Drop audit rows older than the retention period (never younger than 180 days), then
        write a checkpoint with the new oldest row. Nothing is dropped from a chain that does
        not verify."""
        from app.core.audit import verify_chain, write_checkpoint
        from app.core.models import AuditLog, utcnow

        report = verify_chain(db.session)
        db.session.rollback()
        if not report.rows_ok:
            click.echo("audit rows NOT dropped: the chain does not verify:", err=True)
            _print_findings(report)
            sys.exit(1)
        keep = max(days or current_app.config["AUDIT_RETENTION_DAYS"], 180)
        cutoff = utcnow() - dt.timedelta(days=keep)
        max_id = select(func.max(AuditLog.id)).correlate(None).scalar_subquery()
        with unit_of_work(db.session, system_actor()):
            if db.engine.dialect.name == "postgresql":
                db.session.execute(text("SET LOCAL zwfw.audit_retention = 'on'"))
            # Rows go from the oldest end of the chain only, up to the first row to keep (a row
            # written with a clock set back stays, and so does the rest), never the newest row.
            keep_from = db.session.execute(
                select(func.coalesce(func.min(AuditLog.id), max_id)).where(
                    AuditLog.occurred_at >= cutoff
                )
            ).scalar_one()
            result = db.session.execute(delete(AuditLog).where(AuditLog.id < keep_from))
        click.echo(f"dropped {result.rowcount} audit rows older than {cutoff:%Y-%m-%d}")
        if result.rowcount:  # retention moved the oldest row: anchor the new one (committed)
            with unit_of_work(db.session, system_actor()):
                record = write_checkpoint(db.session, "retention")
            click.echo(f"audit checkpoint written: oldest row now #{record['oldest_id']}")
