"""The keyed audit chain and its checkpoints (security finding 6): someone with raw write access
to the database (the append-only triggers dropped) rewrites rows and recomputes every later
hash, or cuts rows at the newest end (tail) or the oldest end (head); ``flask audit-verify``
must name the rows. The tamperings are undone after each test (the log is shared by the run)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import create_engine, insert, select, text
from sqlalchemy.orm import Session

from app.core import audit
from app.core.audit import KEYED, UNKEYED, row_hash
from app.core.models import AuditLog
from app.extensions import db

TABLE = AuditLog.__table__


@pytest.fixture
def archive(app, tmp_path, monkeypatch):
    """A checkpoint archive of this test's own; the chain anchored by a first checkpoint."""
    monkeypatch.setitem(app.config, "AUDIT_CHECKPOINT_DIR", str(tmp_path))
    result = cli(app, "audit-checkpoint")
    assert result.exit_code == 0, result.output
    assert "audit checkpoint written" in result.output
    with app.app_context():
        return audit.checkpoint_path()


def cli(app, *args: str) -> Any:
    return app.test_cli_runner().invoke(args=list(args))


def _append_events(app, n: int) -> None:
    from app.core.actor import system_actor
    from app.core.unit_of_work import unit_of_work

    with app.app_context(), unit_of_work(db.session, system_actor()):
        for i in range(n):
            audit.record(db.session, "security", object_type="Test", object_id=i, summary="x")
            db.session.commit()


def _rows(where=None, order=TABLE.c.id) -> list[dict[str, Any]]:
    query = select(TABLE).order_by(order)
    if where is not None:
        query = query.where(where)
    return [dict(row) for row in db.session.execute(query).mappings()]


@contextmanager
def raw_access() -> Iterator[None]:
    """Someone with the database's owner rights: the append-only triggers are off."""
    postgres = db.engine.dialect.name == "postgresql"
    if postgres:
        db.session.execute(text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only"))
    else:
        db.session.execute(text("DROP TRIGGER audit_log_no_update"))
        db.session.execute(text("DROP TRIGGER audit_log_no_young_delete"))
    db.session.commit()
    try:
        yield
    finally:
        db.session.rollback()
        if postgres:
            db.session.execute(text("ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only"))
        else:
            for statement in (
                "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log "
                "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
                "CREATE TRIGGER audit_log_no_young_delete BEFORE DELETE ON audit_log "
                "WHEN OLD.occurred_at >= datetime('now', '-180 days') "
                "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
            ):
                db.session.execute(text(statement))
        db.session.commit()


@contextmanager
def restored(app, where) -> Iterator[list[dict[str, Any]]]:
    """The rows ``where`` selects, put back exactly as they were after the test."""
    with app.app_context():
        originals = _rows(where)
    try:
        yield originals
    finally:
        with app.app_context(), raw_access():
            ids = [row["id"] for row in originals]
            db.session.execute(TABLE.delete().where(TABLE.c.id.in_(ids)))
            db.session.execute(insert(TABLE), originals)
            db.session.commit()
        with app.app_context():
            assert audit.verify_chain(db.session, checkpoints=[]).rows_ok


def _recompute(rows: list[dict[str, Any]], prev: str, attack: str) -> None:
    """The attacker's rewrite: every row's hash recomputed with what they have (the
    application's code, but not the key)."""
    for row in rows:
        row["prev_hash"] = prev
        if attack == "unkeyed":  # today's row_hash: SHA-256 without a key
            row["hash"] = row_hash(prev, row, UNKEYED)
        else:  # claim the rows are from before the switch
            row["key_version"] = UNKEYED
            row["hash"] = row_hash(prev, row, UNKEYED)
        db.session.execute(
            TABLE.update()
            .where(TABLE.c.id == row["id"])
            .values(
                summary=row["summary"],
                prev_hash=row["prev_hash"],
                hash=row["hash"],
                key_version=row["key_version"],
            )
        )
        prev = row["hash"]


def test_clean_chain_with_checkpoint_verifies_with_exit_0(world, app, archive):
    _append_events(app, 3)
    result = cli(app, "audit-verify")
    assert result.exit_code == 0, result.output
    assert "audit chain intact" in result.output
    assert "line 1" in result.output  # held to the checkpoint
    record = json.loads(archive.read_text().splitlines()[-1])
    assert record["rows"] > 0 and record["newest_id"] >= record["oldest_id"]
    assert record["prev_mac"] is None and len(record["mac"]) == 64


def test_checkpoint_goes_to_the_log_too(world, app, archive, caplog):
    with caplog.at_level("INFO", logger="zwfw.audit"):
        assert cli(app, "audit-checkpoint").exit_code == 0
    line = archive.read_text().splitlines()[-1]
    assert any(r.levelname == "INFO" and line in r.getMessage() for r in caplog.records)
    second = json.loads(line)
    assert second["prev_mac"] == json.loads(archive.read_text().splitlines()[0])["mac"]


@pytest.mark.parametrize("attack", ["unkeyed", "downgraded"])
def test_rewritten_row_with_every_later_hash_recomputed_is_reported(world, app, archive, attack):
    _append_events(app, 6)
    with app.app_context():
        victim = _rows()[-5]["id"]
    with restored(app, TABLE.c.id >= victim):
        with app.app_context(), raw_access():
            rows = _rows(TABLE.c.id >= victim)
            prev = rows[0]["prev_hash"]
            rows[0]["summary"] = "forged"
            _recompute(rows, prev, attack)
            db.session.commit()
        result = cli(app, "audit-verify")
        assert result.exit_code == 1
        output = result.output
        assert f"#{victim}" in output
        assert "BROKEN" in output
        if attack == "unkeyed":
            assert f"rows #{victim}–#{victim + 4} (5 rows): content does not match" in output
        else:
            assert "hashed without the key" in output
        with app.app_context():
            assert audit.verify_chain(db.session).first_bad_id == victim


def test_newest_rows_cut_after_a_checkpoint_are_reported(world, app, archive):
    _append_events(app, 30)
    assert cli(app, "audit-checkpoint").exit_code == 0
    with app.app_context():
        newest = _rows()[-24:]
    first, last = newest[0]["id"], newest[-1]["id"]
    with restored(app, TABLE.c.id >= first):
        with app.app_context(), raw_access():
            db.session.execute(TABLE.delete().where(TABLE.c.id >= first))
            db.session.commit()
        result = cli(app, "audit-verify")
        assert result.exit_code == 1
        assert "TAIL CUT" in result.stderr
        assert f"rows #{first}–#{last} are gone" in result.stderr
        # and no checkpoint accepts the cut
        refused = cli(app, "audit-checkpoint")
        assert refused.exit_code == 1 and "NOT written" in refused.stderr
    assert cli(app, "audit-verify").exit_code == 0


def test_oldest_rows_deleted_although_young_are_reported(world, app, archive):
    with app.app_context():
        oldest = _rows()[:100]
        assert len(_rows()) > 120
    first, last = oldest[0]["id"], oldest[-1]["id"]
    with restored(app, TABLE.c.id <= last):
        with app.app_context(), raw_access():
            db.session.execute(TABLE.delete().where(TABLE.c.id <= last))
            db.session.commit()
        result = cli(app, "audit-verify")
        assert result.exit_code == 1
        assert "HEAD CUT" in result.stderr
        assert f"rows #{first}–#{last} are gone" in result.stderr
        refused = cli(app, "audit-retention")
        assert refused.exit_code == 1 and "NOT dropped" in refused.stderr
    assert cli(app, "audit-verify").exit_code == 0


def test_retention_moves_the_oldest_row_with_a_checkpoint_and_verifies_clean(
    world, app, archive, monkeypatch
):
    """180 days later: the retention job drops the oldest rows and anchors the new oldest one."""
    import app.core.models as models

    with app.app_context():
        rows = _rows()
    moment = rows[60]["occurred_at"]
    # the rows before the first one to keep (retention cuts the chain at its oldest end only)
    dropped = rows[: next(n for n, row in enumerate(rows) if row["occurred_at"] >= moment)]
    assert dropped
    later = moment + dt.timedelta(days=180)
    monkeypatch.setattr(models, "utcnow", lambda: later)
    with restored(app, TABLE.c.id <= dropped[-1]["id"]):
        with app.app_context(), raw_access():  # the 180 days have passed for the trigger too
            result = cli(app, "audit-retention", "--days", "180")
        assert result.exit_code == 0, result.output
        assert f"dropped {len(dropped)} audit rows" in result.output
        last = json.loads(archive.read_text().splitlines()[-1])
        assert last["reason"] == "retention"
        assert last["oldest_id"] == rows[len(dropped)]["id"]
        result = cli(app, "audit-verify")
        assert result.exit_code == 0, result.output
    # with the rows back, they are older than the checkpoint's oldest row
    result = cli(app, "audit-verify")
    assert result.exit_code == 1
    assert f"row #{rows[0]['id']} is older than row #{last['oldest_id']}" in result.stderr


def test_tampered_checkpoint_is_reported(world, app, archive):
    _append_events(app, 2)
    assert cli(app, "audit-checkpoint").exit_code == 0
    lines = archive.read_text().splitlines()
    record = json.loads(lines[1])
    record["newest_id"] -= 1  # hide the newest row
    archive.write_text("\n".join([lines[0], json.dumps(record)]) + "\n")
    result = cli(app, "audit-verify")
    assert result.exit_code == 1
    assert "checkpoint line 2: its HMAC does not match" in result.stderr


def test_removed_checkpoint_is_reported(world, app, archive):
    for _ in range(2):
        _append_events(app, 1)
        assert cli(app, "audit-checkpoint").exit_code == 0
    lines = archive.read_text().splitlines()
    archive.write_text("\n".join([lines[0], lines[2]]) + "\n")
    result = cli(app, "audit-verify")
    assert result.exit_code == 1
    assert "checkpoint line 2 does not follow line 1" in result.stderr


def test_verify_without_any_checkpoint_reports_it(world, app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "AUDIT_CHECKPOINT_DIR", str(tmp_path))
    result = cli(app, "audit-verify")
    assert result.exit_code == 1
    assert "no trusted checkpoint" in result.stderr


def test_rows_are_keyed_by_the_audit_key_on_both_paths(world, app):
    from app.core.actor import system_actor
    from app.core.unit_of_work import unit_of_work

    with app.app_context(), unit_of_work(db.session, system_actor()):
        audit.record(db.session, "security", summary="one row")
        audit.append_serialized(db.session, [("security", "Test", "1", "bulk", None, None)] * 3)
        db.session.commit()
        rows = _rows()[-4:]
    for row in rows:
        assert row["key_version"] == KEYED
        with app.app_context():
            assert row["hash"] == row_hash(row["prev_hash"], row)
        assert row["hash"] != row_hash(row["prev_hash"], row, UNKEYED)
        assert row["hash"] != row_hash(row["prev_hash"], row, KEYED, key=b"another key")


def test_rows_from_before_the_switch_verify_by_the_old_rule_and_only_there(
    app, tmp_path, monkeypatch
):
    """An existing database: its rows were chained with plain SHA-256 (key_version 0 after
    migration 0008). They verify by that rule up to the last one the first checkpoint saw; an
    unkeyed row after it is a rewrite."""

    engine = create_engine(f"sqlite:///{tmp_path}/legacy.db")
    TABLE.create(engine)
    monkeypatch.setitem(app.config, "AUDIT_CHECKPOINT_DIR", str(tmp_path))
    with app.app_context(), Session(engine) as session:  # unbound: the system acts
        try:
            prev = audit.GENESIS
            for n in range(3):  # what the application wrote before 0008
                row = {
                    "occurred_at": dt.datetime(2026, 1, 1, 8, n),
                    "actor_id": None,
                    "actor_name": "old",
                    "ip": "",
                    "action": "security",
                    "object_type": "",
                    "object_id": str(n),
                    "summary": "before the switch",
                    "before": None,
                    "after": None,
                    "prev_hash": prev,
                    "key_version": UNKEYED,
                }
                row["hash"] = prev = row_hash(prev, row, UNKEYED)
                session.execute(insert(TABLE), [row])
            audit.write_checkpoint(session, "setup")  # what flask setup does after 0008
            audit.append_serialized(session, [("security", "", "9", "after", None, None)] * 2)
            session.commit()
            checkpoint = audit.read_checkpoints()[0].record
            assert checkpoint["legacy_until"] == 3
            assert audit.verify_chain(session).ok
            # the keyed rows rewritten and claimed to be from before the switch
            rows = [dict(r) for r in session.execute(select(TABLE).order_by(TABLE.c.id)).mappings()]
            prev = rows[2]["hash"]
            for row in rows[3:]:
                row.update(summary="forged", prev_hash=prev)
                row["hash"] = prev = row_hash(prev, row, UNKEYED)
                session.execute(
                    TABLE.update()
                    .where(TABLE.c.id == row["id"])
                    .values(
                        summary="forged",
                        prev_hash=row["prev_hash"],
                        hash=row["hash"],
                        key_version=UNKEYED,
                    )
                )
            session.commit()
            report = audit.verify_chain(session)
            assert [f.kind for f in report.findings] == ["unkeyed"]
            assert report.findings[0].ids == (4, 5)
            assert "rows #4–#5 (2 rows)" in report.findings[0].message
            assert "row #3 (the last unkeyed row of the first checkpoint)" in report.reason
        finally:
            engine.dispose()


@pytest.mark.parametrize(
    ("key", "problem"),
    [
        (None, "is not set"),
        ("zwfw-development-only-audit-key-never-use-in-production", "is not set"),
        ("s" * 40, "must not be the SECRET_KEY"),
        ("ab" * 32, "random value"),
        ("short-but-random-9f3a", "random value"),
    ],
)
def test_production_refuses_an_audit_key_without_real_entropy(key, problem):
    from app import _refuse_unkeyed_audit_chain

    app = Flask("production")
    app.config.update(ENV="production", SECRET_KEY="s" * 40, AUDIT_HMAC_KEY=key)
    with pytest.raises(RuntimeError, match=problem):
        _refuse_unkeyed_audit_chain(app)
    app.config["AUDIT_HMAC_KEY"] = (
        "7f1c0a9be2d34c8f95a1b6e07d2c4f3a8b9e0d1c2f3a4b5c6d7e8f9a0b1c2d3e"
    )
    _refuse_unkeyed_audit_chain(app)
    app.config.update(ENV="development", AUDIT_HMAC_KEY=key)
    _refuse_unkeyed_audit_chain(app)


def test_audit_administrator_sees_how_a_row_is_hashed(world, login, app):
    with app.app_context():
        newest = _rows()[-1]["id"]
    page = login("audit_admin").get(f"/auditlogview/show/{newest}").get_data(as_text=True)
    assert "哈希算法" in page and "HMAC-SHA256" in page
