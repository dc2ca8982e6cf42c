"""Supervision (监督检查): the checklist library, check plans with their scope (regions, units)
and check points, findings (automatic ones linked to the offending record), rectification orders
(限令整改) with their steps and working-day deadlines, and the evidence files of findings and
answers and the issued circulated notices (通报, .docx) with the units they name (stored outside
the web root, named here).

Revision ID: 0013_supervision
Revises: 0012_ratings_at_rest
Create Date: 2026-12-03 15:43:32.072173

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013_supervision'
down_revision = '0012_ratings_at_rest'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('supervision_check_point',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('description', sa.String(length=256), nullable=False),
    sa.Column('severity', sa.String(length=8), nullable=False),
    sa.Column('legal_basis', sa.Text(), nullable=False),
    sa.Column('rule_key', sa.String(length=32), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supervision_check_point')),
    sa.UniqueConstraint('code', name=op.f('uq_supervision_check_point_code'))
    )
    op.create_table('supervision_plan',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.Column('created_by', sa.String(length=128), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('last_run_at', sa.DateTime(), nullable=True),
    sa.Column('last_run_summary', sa.String(length=256), nullable=False),
    sa.Column('last_job_id', sa.String(length=64), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['region_id'], ['region.id'], name=op.f('fk_supervision_plan_region_id_region')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supervision_plan'))
    )
    with op.batch_alter_table('supervision_plan', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_supervision_plan_region_id'), ['region_id'], unique=False)

    op.create_table('supervision_finding',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('check_point_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=8), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('rule_key', sa.String(length=32), nullable=True),
    sa.Column('object_type', sa.String(length=32), nullable=False),
    sa.Column('object_id', sa.Integer(), nullable=True),
    sa.Column('subject', sa.String(length=256), nullable=False),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.Column('found_on', sa.Date(), nullable=False),
    sa.Column('resolved_on', sa.Date(), nullable=True),
    sa.Column('resolution', sa.String(length=256), nullable=False),
    sa.Column('recorded_by', sa.String(length=128), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['check_point_id'], ['supervision_check_point.id'], name=op.f('fk_supervision_finding_check_point_id_supervision_check_point')),
    sa.ForeignKeyConstraint(['plan_id'], ['supervision_plan.id'], name=op.f('fk_supervision_finding_plan_id_supervision_plan')),
    sa.ForeignKeyConstraint(['region_id'], ['region.id'], name=op.f('fk_supervision_finding_region_id_region')),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_supervision_finding_unit_id_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supervision_finding'))
    )
    with op.batch_alter_table('supervision_finding', schema=None) as batch_op:
        batch_op.create_index('ix_supervision_finding_plan_point_state', ['plan_id', 'check_point_id', 'state'], unique=False)
        batch_op.create_index('ix_supervision_finding_region_state', ['region_id', 'state'], unique=False)
        batch_op.create_index('ix_supervision_finding_unit_state', ['unit_id', 'state'], unique=False)

    op.create_table('supervision_plan_point',
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('check_point_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['check_point_id'], ['supervision_check_point.id'], name=op.f('fk_supervision_plan_point_check_point_id_supervision_check_point')),
    sa.ForeignKeyConstraint(['plan_id'], ['supervision_plan.id'], name=op.f('fk_supervision_plan_point_plan_id_supervision_plan'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('plan_id', 'check_point_id', name=op.f('pk_supervision_plan_point'))
    )
    op.create_table('supervision_plan_region',
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['plan_id'], ['supervision_plan.id'], name=op.f('fk_supervision_plan_region_plan_id_supervision_plan'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['region_id'], ['region.id'], name=op.f('fk_supervision_plan_region_region_id_region')),
    sa.PrimaryKeyConstraint('plan_id', 'region_id', name=op.f('pk_supervision_plan_region'))
    )
    op.create_table('supervision_plan_unit',
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['plan_id'], ['supervision_plan.id'], name=op.f('fk_supervision_plan_unit_plan_id_supervision_plan'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_supervision_plan_unit_unit_id_unit')),
    sa.PrimaryKeyConstraint('plan_id', 'unit_id', name=op.f('pk_supervision_plan_unit'))
    )
    op.create_table('supervision_order',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('finding_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('requirement', sa.Text(), nullable=False),
    sa.Column('working_days', sa.Integer(), nullable=False),
    sa.Column('deadline_id', sa.Integer(), nullable=False),
    sa.Column('measures', sa.Text(), nullable=False),
    sa.Column('reject_reason', sa.Text(), nullable=False),
    sa.Column('rounds', sa.Integer(), nullable=False),
    sa.Column('was_late', sa.Boolean(), nullable=False),
    sa.Column('issued_by', sa.String(length=128), nullable=False),
    sa.Column('issued_at', sa.DateTime(), nullable=False),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['deadline_id'], ['deadline.id'], name=op.f('fk_supervision_order_deadline_id_deadline')),
    sa.ForeignKeyConstraint(['finding_id'], ['supervision_finding.id'], name=op.f('fk_supervision_order_finding_id_supervision_finding')),
    sa.ForeignKeyConstraint(['region_id'], ['region.id'], name=op.f('fk_supervision_order_region_id_region')),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_supervision_order_unit_id_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supervision_order')),
    sa.UniqueConstraint('finding_id', name=op.f('uq_supervision_order_finding_id'))
    )
    with op.batch_alter_table('supervision_order', schema=None) as batch_op:
        batch_op.create_index('ix_supervision_order_region_state', ['region_id', 'state'], unique=False)
        batch_op.create_index('ix_supervision_order_unit_state', ['unit_id', 'state'], unique=False)

    op.create_table('supervision_order_step',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('step', sa.String(length=16), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('overdue', sa.Boolean(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('actor_name', sa.String(length=128), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['ab_user.id'], name=op.f('fk_supervision_order_step_actor_id_ab_user')),
    sa.ForeignKeyConstraint(['order_id'], ['supervision_order.id'], name=op.f('fk_supervision_order_step_order_id_supervision_order'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supervision_order_step'))
    )
    with op.batch_alter_table('supervision_order_step', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_supervision_order_step_order_id'), ['order_id'], unique=False)

    op.create_table('supervision_evidence',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('finding_id', sa.Integer(), nullable=False),
    sa.Column('step_id', sa.Integer(), nullable=True),
    sa.Column('filename', sa.String(length=128), nullable=False),
    sa.Column('stored_name', sa.String(length=64), nullable=False),
    sa.Column('mimetype', sa.String(length=64), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('uploaded_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['finding_id'], ['supervision_finding.id'], name=op.f('fk_supervision_evidence_finding_id_supervision_finding')),
    sa.ForeignKeyConstraint(['step_id'], ['supervision_order_step.id'], name=op.f('fk_supervision_evidence_step_id_supervision_order_step'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supervision_evidence')),
    sa.UniqueConstraint('stored_name', name=op.f('uq_supervision_evidence_stored_name'))
    )
    with op.batch_alter_table('supervision_evidence', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_supervision_evidence_finding_id'), ['finding_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_supervision_evidence_step_id'), ['step_id'], unique=False)

    op.create_table('supervision_notice',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('title', sa.String(length=256), nullable=False),
    sa.Column('order_count', sa.Integer(), nullable=False),
    sa.Column('issued_by', sa.String(length=128), nullable=False),
    sa.Column('issued_at', sa.DateTime(), nullable=False),
    sa.Column('filename', sa.String(length=128), nullable=False),
    sa.Column('stored_name', sa.String(length=64), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['region_id'], ['region.id'], name=op.f('fk_supervision_notice_region_id_region')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supervision_notice')),
    sa.UniqueConstraint('stored_name', name=op.f('uq_supervision_notice_stored_name'))
    )
    with op.batch_alter_table('supervision_notice', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_supervision_notice_region_id'), ['region_id'], unique=False)

    op.create_table('supervision_notice_unit',
    sa.Column('notice_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['notice_id'], ['supervision_notice.id'], name=op.f('fk_supervision_notice_unit_notice_id_supervision_notice'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_supervision_notice_unit_unit_id_unit')),
    sa.PrimaryKeyConstraint('notice_id', 'unit_id', name=op.f('pk_supervision_notice_unit'))
    )


def downgrade():
    op.drop_table('supervision_notice_unit')
    with op.batch_alter_table('supervision_notice', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_supervision_notice_region_id'))

    op.drop_table('supervision_notice')

    with op.batch_alter_table('supervision_evidence', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_supervision_evidence_step_id'))
        batch_op.drop_index(batch_op.f('ix_supervision_evidence_finding_id'))

    op.drop_table('supervision_evidence')
    with op.batch_alter_table('supervision_order_step', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_supervision_order_step_order_id'))

    op.drop_table('supervision_order_step')
    with op.batch_alter_table('supervision_order', schema=None) as batch_op:
        batch_op.drop_index('ix_supervision_order_unit_state')
        batch_op.drop_index('ix_supervision_order_region_state')

    op.drop_table('supervision_order')
    op.drop_table('supervision_plan_unit')
    op.drop_table('supervision_plan_region')
    op.drop_table('supervision_plan_point')
    with op.batch_alter_table('supervision_finding', schema=None) as batch_op:
        batch_op.drop_index('ix_supervision_finding_unit_state')
        batch_op.drop_index('ix_supervision_finding_region_state')
        batch_op.drop_index('ix_supervision_finding_plan_point_state')

    op.drop_table('supervision_finding')
    with op.batch_alter_table('supervision_plan', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_supervision_plan_region_id'))

    op.drop_table('supervision_plan')
    op.drop_table('supervision_check_point')
