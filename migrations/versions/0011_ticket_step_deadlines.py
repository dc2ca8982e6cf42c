"""Rectification tickets: the rectify (整改) and call-back (回访) steps' own deadlines, and the
rectification's evidence files (stored outside the web root, named here).

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
    op.create_table('rectification_evidence',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('step_id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=128), nullable=False),
    sa.Column('stored_name', sa.String(length=64), nullable=False),
    sa.Column('mimetype', sa.String(length=64), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('uploaded_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['step_id'], ['rectification_step.id'], name=op.f('fk_rectification_evidence_step_id_rectification_step'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['ticket_id'], ['rectification_ticket.id'], name=op.f('fk_rectification_evidence_ticket_id_rectification_ticket'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rectification_evidence')),
    sa.UniqueConstraint('stored_name', name=op.f('uq_rectification_evidence_stored_name'))
    )
    with op.batch_alter_table('rectification_evidence', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rectification_evidence_step_id'), ['step_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_rectification_evidence_ticket_id'), ['ticket_id'], unique=False)

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
    with op.batch_alter_table('rectification_evidence', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rectification_evidence_ticket_id'))
        batch_op.drop_index(batch_op.f('ix_rectification_evidence_step_id'))
    op.drop_table('rectification_evidence')
