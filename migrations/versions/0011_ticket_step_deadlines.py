"""Rectification tickets: the rectify (整改) and call-back (回访) steps' own deadlines.

Revision ID: 0011_ticket_step_deadlines
Revises: 0010_ratings
Create Date: 2026-12-03 14:35:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011_ticket_step_deadlines'
down_revision = '0010_ratings'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('rectification_ticket', schema=None) as batch_op:
        batch_op.add_column(sa.Column('rectify_deadline_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('call_back_deadline_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_rectification_ticket_rectify_deadline_id_deadline'), 'deadline', ['rectify_deadline_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_rectification_ticket_call_back_deadline_id_deadline'), 'deadline', ['call_back_deadline_id'], ['id'])


def downgrade():
    with op.batch_alter_table('rectification_ticket', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_rectification_ticket_call_back_deadline_id_deadline'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_rectification_ticket_rectify_deadline_id_deadline'), type_='foreignkey')
        batch_op.drop_column('call_back_deadline_id')
        batch_op.drop_column('rectify_deadline_id')
