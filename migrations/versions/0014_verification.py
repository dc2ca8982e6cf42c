"""免证办 verification requests (seed 003 art. 10–15): requests from a window to the unit that
issues a document, their results with a voucher, and timed deadlines (office minutes or natural
hours) on the shared ``deadline`` table.

The applicant's name and ID number are stored SM4-GCM encrypted (``*_enc``) beside their masks.

Revision ID: 0014_verification
Revises: 0015_catalogue_depth
Create Date: 2026-12-03 15:50:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014_verification'
down_revision = '0015_catalogue_depth'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('deadline', schema=None) as batch_op:
        batch_op.add_column(sa.Column('start_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('due_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('minutes', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('clock', sa.String(length=8), nullable=True))

    op.create_table('verification_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('requester_unit_id', sa.Integer(), nullable=False),
    sa.Column('requester_region_id', sa.Integer(), nullable=False),
    sa.Column('issuer_unit_id', sa.Integer(), nullable=False),
    sa.Column('issuer_region_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('approver_unit_id', sa.Integer(), nullable=False),
    sa.Column('approver_region_id', sa.Integer(), nullable=False),
    sa.Column('case_no', sa.String(length=64), nullable=False),
    sa.Column('material_kind', sa.String(length=16), nullable=False),
    sa.Column('material_name', sa.String(length=256), nullable=False),
    sa.Column('complexity', sa.String(length=16), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('applicant_name_enc', sa.LargeBinary(), nullable=True),
    sa.Column('applicant_name_masked', sa.String(length=64), nullable=False),
    sa.Column('id_type', sa.String(length=16), nullable=False),
    sa.Column('id_number_enc', sa.LargeBinary(), nullable=True),
    sa.Column('id_number_masked', sa.String(length=64), nullable=False),
    sa.Column('authorized_at', sa.DateTime(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('verify_deadline_id', sa.Integer(), nullable=False),
    sa.Column('return_deadline_id', sa.Integer(), nullable=False),
    sa.Column('return_reason', sa.Text(), nullable=False),
    sa.Column('suggested_unit_id', sa.Integer(), nullable=True),
    sa.Column('suggestion', sa.Text(), nullable=False),
    sa.Column('rerouted_from_id', sa.Integer(), nullable=True),
    sa.Column('requested_by_id', sa.Integer(), nullable=True),
    sa.Column('requested_at', sa.DateTime(), nullable=False),
    sa.Column('answered_by_id', sa.Integer(), nullable=True),
    sa.Column('answered_at', sa.DateTime(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['answered_by_id'], ['ab_user.id'], name=op.f('fk_verification_request_answered_by_id_ab_user')),
    sa.ForeignKeyConstraint(['approver_region_id'], ['region.id'], name=op.f('fk_verification_request_approver_region_id_region')),
    sa.ForeignKeyConstraint(['approver_unit_id'], ['unit.id'], name=op.f('fk_verification_request_approver_unit_id_unit')),
    sa.ForeignKeyConstraint(['issuer_region_id'], ['region.id'], name=op.f('fk_verification_request_issuer_region_id_region')),
    sa.ForeignKeyConstraint(['issuer_unit_id'], ['unit.id'], name=op.f('fk_verification_request_issuer_unit_id_unit')),
    sa.ForeignKeyConstraint(['item_id'], ['implementation_item.id'], name=op.f('fk_verification_request_item_id_implementation_item')),
    sa.ForeignKeyConstraint(['requested_by_id'], ['ab_user.id'], name=op.f('fk_verification_request_requested_by_id_ab_user')),
    sa.ForeignKeyConstraint(['requester_region_id'], ['region.id'], name=op.f('fk_verification_request_requester_region_id_region')),
    sa.ForeignKeyConstraint(['requester_unit_id'], ['unit.id'], name=op.f('fk_verification_request_requester_unit_id_unit')),
    sa.ForeignKeyConstraint(['rerouted_from_id'], ['verification_request.id'], name=op.f('fk_verification_request_rerouted_from_id_verification_request')),
    sa.ForeignKeyConstraint(['return_deadline_id'], ['deadline.id'], name=op.f('fk_verification_request_return_deadline_id_deadline')),
    sa.ForeignKeyConstraint(['suggested_unit_id'], ['unit.id'], name=op.f('fk_verification_request_suggested_unit_id_unit')),
    sa.ForeignKeyConstraint(['verify_deadline_id'], ['deadline.id'], name=op.f('fk_verification_request_verify_deadline_id_deadline')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_verification_request'))
    )
    with op.batch_alter_table('verification_request', schema=None) as batch_op:
        batch_op.create_index('ix_verification_request_approver', ['approver_unit_id'], unique=False)
        batch_op.create_index('ix_verification_request_case', ['case_no'], unique=False)
        batch_op.create_index('ix_verification_request_issuer_state', ['issuer_unit_id', 'state'], unique=False)
        batch_op.create_index('ix_verification_request_requester_state', ['requester_unit_id', 'state'], unique=False)
        batch_op.create_index(batch_op.f('ix_verification_request_rerouted_from_id'), ['rerouted_from_id'], unique=False)

    op.create_table('verification_result',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('voucher_no', sa.String(length=32), nullable=False),
    sa.Column('case_no', sa.String(length=64), nullable=False),
    sa.Column('conclusion', sa.Text(), nullable=False),
    sa.Column('filename', sa.String(length=128), nullable=False),
    sa.Column('stored_name', sa.String(length=64), nullable=False),
    sa.Column('mimetype', sa.String(length=64), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('issued_by_id', sa.Integer(), nullable=True),
    sa.Column('issued_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['issued_by_id'], ['ab_user.id'], name=op.f('fk_verification_result_issued_by_id_ab_user')),
    sa.ForeignKeyConstraint(['request_id'], ['verification_request.id'], name=op.f('fk_verification_result_request_id_verification_request')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_verification_result')),
    sa.UniqueConstraint('request_id', name=op.f('uq_verification_result_request_id')),
    sa.UniqueConstraint('stored_name', name=op.f('uq_verification_result_stored_name')),
    sa.UniqueConstraint('voucher_no', name=op.f('uq_verification_result_voucher_no'))
    )


    op.create_table('verification_list_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('material_kind', sa.String(length=16), nullable=False),
    sa.Column('material_name', sa.String(length=256), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['implementation_item.id'], name=op.f('fk_verification_list_entry_item_id_implementation_item')),
    sa.ForeignKeyConstraint(['region_id'], ['region.id'], name=op.f('fk_verification_list_entry_region_id_region')),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_verification_list_entry_unit_id_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_verification_list_entry')),
    sa.UniqueConstraint('item_id', 'material_name', name=op.f('uq_verification_list_entry_item_id'))
    )
    with op.batch_alter_table('verification_list_entry', schema=None) as batch_op:
        batch_op.create_index('ix_verification_list_entry_unit', ['unit_id'], unique=False)

    op.create_table('verification_list_filing',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('row_count', sa.Integer(), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('snapshot', sa.Text(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('filed_by_id', sa.Integer(), nullable=True),
    sa.Column('filed_at', sa.DateTime(), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('decision_reason', sa.Text(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['decided_by_id'], ['ab_user.id'], name=op.f('fk_verification_list_filing_decided_by_id_ab_user')),
    sa.ForeignKeyConstraint(['filed_by_id'], ['ab_user.id'], name=op.f('fk_verification_list_filing_filed_by_id_ab_user')),
    sa.ForeignKeyConstraint(['region_id'], ['region.id'], name=op.f('fk_verification_list_filing_region_id_region')),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_verification_list_filing_unit_id_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_verification_list_filing'))
    )
    with op.batch_alter_table('verification_list_filing', schema=None) as batch_op:
        batch_op.create_index('ix_verification_list_filing_unit', ['unit_id', 'filed_at'], unique=False)


def downgrade():
    with op.batch_alter_table('verification_list_filing', schema=None) as batch_op:
        batch_op.drop_index('ix_verification_list_filing_unit')
    op.drop_table('verification_list_filing')
    with op.batch_alter_table('verification_list_entry', schema=None) as batch_op:
        batch_op.drop_index('ix_verification_list_entry_unit')
    op.drop_table('verification_list_entry')
    op.drop_table('verification_result')
    with op.batch_alter_table('verification_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_verification_request_rerouted_from_id'))
        batch_op.drop_index('ix_verification_request_requester_state')
        batch_op.drop_index('ix_verification_request_issuer_state')
        batch_op.drop_index('ix_verification_request_case')
        batch_op.drop_index('ix_verification_request_approver')
    op.drop_table('verification_request')
    with op.batch_alter_table('deadline', schema=None) as batch_op:
        batch_op.drop_column('clock')
        batch_op.drop_column('minutes')
        batch_op.drop_column('due_at')
        batch_op.drop_column('start_at')
