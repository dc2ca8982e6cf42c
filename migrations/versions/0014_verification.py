"""免证办 verification requests (seed 003 art. 10–15): requests from a window to the unit that
issues a document, their results with a voucher, and timed deadlines (office minutes or natural
hours) on the shared ``deadline`` table.

The applicant's name and ID number are stored SM4-GCM encrypted (``*_enc``) beside their masks.

Revision ID: 0014_verification
Revises: 0011_ticket_step_deadlines
Create Date: 2026-12-03 15:50:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014_verification'
down_revision = '0011_ticket_step_deadlines'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('deadline', schema=None) as batch_op:
        batch_op.add_column(sa.Column('start_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('due_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('minutes', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('clock', sa.String(length=8), nullable=True))


def downgrade():
    with op.batch_alter_table('deadline', schema=None) as batch_op:
        batch_op.drop_column('clock')
        batch_op.drop_column('minutes')
        batch_op.drop_column('due_at')
        batch_op.drop_column('start_at')
