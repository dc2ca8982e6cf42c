"""Sessions: API sign-ins (JWT) get a session row too, told apart by ``user_session.kind``.

Rows written before this migration are browser sessions (server default ``browser``).

Revision ID: 0008_api_sessions
Revises: 0007_audit_hash_not_unique
Create Date: 2026-12-03 08:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0008_api_sessions"
down_revision = "0007_audit_hash_not_unique"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("user_session", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("kind", sa.String(length=16), nullable=False, server_default="browser")
        )


def downgrade():
    with op.batch_alter_table("user_session", schema=None) as batch_op:
        batch_op.drop_column("kind")
