"""Audit log: the row hash is no longer a UNIQUE index.

The chain (each row stores the previous row's hash, ``flask audit-verify`` recomputes them all)
is what makes the log tamper-evident; a unique index on a random SHA-256 adds nothing to that
but costs one B-tree insert at a random place for every audit row (about 0.45 s of a
100,000-row import on SQLite, measured). On SQLite the table is rebuilt without it, and its
append-only triggers are created again (they go with the old table).

Revision ID: 0007_audit_hash_not_unique
Revises: 0006_accounts
Create Date: 2026-11-22 19:30:00

"""

from alembic import op

revision = "0007_audit_hash_not_unique"
down_revision = "0006_accounts"
branch_labels = None
depends_on = None

_SQLITE_TRIGGERS = (
    "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
    "CREATE TRIGGER audit_log_no_young_delete BEFORE DELETE ON audit_log "
    "WHEN OLD.occurred_at >= datetime('now', '-180 days') "
    "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
)


def upgrade():
    _rebuild(lambda batch_op: batch_op.drop_constraint("uq_audit_log_hash", type_="unique"))


def downgrade():
    _rebuild(lambda batch_op: batch_op.create_unique_constraint("uq_audit_log_hash", ["hash"]))


def _rebuild(change):
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_young_delete")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        change(batch_op)
    if sqlite:
        for statement in _SQLITE_TRIGGERS:
            op.execute(statement)
