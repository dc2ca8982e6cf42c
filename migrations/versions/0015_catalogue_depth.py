"""Catalogue depth: planned suspensions that take effect on their first day (with a planned
resume date), and calendar years that are complete only once the administrator says so.

Revision ID: 0015_catalogue_depth
Revises: 0011_ticket_step_deadlines
Create Date: 2026-12-03 16:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0015_catalogue_depth'
down_revision = '0011_ticket_step_deadlines'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('adjustment_request', schema=None) as batch_op:
        batch_op.add_column(sa.Column('planned_resume', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('effective_at', sa.DateTime(), nullable=True))
        batch_op.create_index('ix_adjustment_request_kind_planned_start', ['kind', 'planned_start'], unique=False)

    with op.batch_alter_table('implementation_item', schema=None) as batch_op:
        batch_op.add_column(sa.Column('suspension_from', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('resume_by', sa.Date(), nullable=True))

    # Years already in the table were entered whole (seeded or by enter_year): complete.
    with op.batch_alter_table('calendar_year', schema=None) as batch_op:
        batch_op.add_column(sa.Column('complete', sa.Boolean(), nullable=False, server_default=sa.true()))


def downgrade():
    with op.batch_alter_table('calendar_year', schema=None) as batch_op:
        batch_op.drop_column('complete')
    with op.batch_alter_table('implementation_item', schema=None) as batch_op:
        batch_op.drop_column('resume_by')
        batch_op.drop_column('suspension_from')
    with op.batch_alter_table('adjustment_request', schema=None) as batch_op:
        batch_op.drop_index('ix_adjustment_request_kind_planned_start')
        batch_op.drop_column('effective_at')
        batch_op.drop_column('planned_resume')
