"""Audit log: the chain is keyed (HMAC-SHA256 with AUDIT_HMAC_KEY); ``key_version`` says per row.

Rows written before this revision were chained with plain SHA-256, which anyone who can write
the table can recompute after an edit. New rows carry ``key_version`` 1 and an HMAC keyed by a
secret held outside the database; existing rows get 0 and are still checked with the old rule.
The first checkpoint (``flask setup`` writes it right after this migration, or
``flask audit-checkpoint``) records the last unkeyed row, so ``flask audit-verify`` refuses an
unkeyed row written after the switch. Existing hashes are not recomputed: that would bless
whatever the table holds now.

On SQLite, ADD COLUMN keeps the table (and its append-only triggers); dropping the column
rebuilds the table, so the downgrade creates the triggers again as 0007 does. PostgreSQL's
ALTER TABLE fires no row trigger and keeps it.

Revision ID: 0009_audit_keyed_chain
Revises: 0008_api_sessions
Create Date: 2026-12-03 08:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0009_audit_keyed_chain"
down_revision = "0008_api_sessions"
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
    op.add_column(
        "audit_log",
        sa.Column("key_version", sa.SmallInteger(), server_default=sa.text("0"), nullable=False),
    )


def downgrade():
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_young_delete")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_column("key_version")
    if sqlite:
        for statement in _SQLITE_TRIGGERS:
            op.execute(statement)
