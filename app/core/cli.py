"""Command-line tasks: ``flask setup``, ``seed-demo``, ``audit-verify``, ``audit-retention``."""

from __future__ import annotations

import datetime as dt
import importlib
import sys

import click
from flask import Flask, current_app
from flask_appbuilder.security.manager import BaseSecurityManager
from flask_migrate import upgrade
from sqlalchemy import delete, text

from app.core import calendar
from app.core.roles import sync_roles
from app.extensions import appbuilder, db


def prepare_database() -> dict[str, int]:
    """Migrate to the newest schema, sync permissions and roles, seed the calendar."""
    upgrade()
    sm = appbuilder.sm
    # FAB's own bootstrap (Admin and Public roles) without its create_all: the schema is ours.
    BaseSecurityManager.create_db(sm)
    appbuilder.add_permissions(update_perms=True)
    counts = sync_roles(sm)
    calendar.seed_from_package(db.session)
    db.session.commit()
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


def seed_demo_data() -> None:
    from app import DOMAINS
    from app.core import demo

    refuse_demo_in_production()

    added = demo.seed_regions(db.session, demo.DEMO_PROVINCE)
    units = demo.seed_demo_units(db.session)
    db.session.commit()
    users = demo.seed_demo_users(db.session, appbuilder.sm, current_app.config["DEMO_PASSWORD"])
    click.echo(f"regions added: {added}, units added: {units}, users added: {len(users)}")
    for package in DOMAINS[1:]:
        try:
            module = importlib.import_module(f"{package}.demo")
        except ModuleNotFoundError:
            continue
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

        added = demo.seed_regions(db.session, province_code, with_townships=not no_townships)
        db.session.commit()
        click.echo(f"regions added: {added}")

    @app.cli.command("audit-verify")
    def audit_verify_command() -> None:
        """Recompute the audit log's hash chain; exit 1 at the first row that does not match."""
        from app.core.audit import verify_chain

        report = verify_chain(db.session)
        if report.ok:
            click.echo(f"audit chain intact: {report.checked} rows checked")
            return
        click.echo(
            f"audit chain BROKEN at row {report.first_bad_id}: {report.reason} "
            f"({report.checked} rows verified before it)",
            err=True,
        )
        sys.exit(1)

    @app.cli.command("audit-retention")
    @click.option("--days", type=int, default=None, help="keep at least this many days")
    def audit_retention_command(days: int | None) -> None:
        """Drop audit rows older than the retention period (never younger than 180 days)."""
        from app.core.models import AuditLog, utcnow

        keep = max(days or current_app.config["AUDIT_RETENTION_DAYS"], 180)
        cutoff = utcnow() - dt.timedelta(days=keep)
        if db.engine.dialect.name == "postgresql":
            db.session.execute(text("SET LOCAL zwfw.audit_retention = 'on'"))
        result = db.session.execute(delete(AuditLog).where(AuditLog.occurred_at < cutoff))
        db.session.commit()
        click.echo(f"dropped {result.rowcount} audit rows older than {cutoff:%Y-%m-%d}")
