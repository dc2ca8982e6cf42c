"""Licence item links: which service items (implementation-list rows) accept a licence type,
and which items a usage application names.

Also the merge point of the catalogue and licence branches (the link needs both tables).

Revision ID: 0005_licence_items
Revises: 0004_licences
Create Date: 2026-11-22 16:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005_licence_items'
down_revision = '0004_licences'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('licence_item_link',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['entry_id'], ['licence_entry.id'], name=op.f('fk_licence_item_link_entry_id_licence_entry'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['item_id'], ['implementation_item.id'], name=op.f('fk_licence_item_link_item_id_implementation_item'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_licence_item_link')),
    sa.UniqueConstraint('item_id', 'entry_id', name=op.f('uq_licence_item_link_item_id'))
    )
    with op.batch_alter_table('licence_item_link', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_licence_item_link_entry_id'), ['entry_id'], unique=False)

    op.create_table('licence_usage_item',
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['licence_usage_application.id'], name=op.f('fk_licence_usage_item_application_id_licence_usage_application'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['item_id'], ['implementation_item.id'], name=op.f('fk_licence_usage_item_item_id_implementation_item'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('application_id', 'item_id', name=op.f('pk_licence_usage_item'))
    )


def downgrade():
    op.drop_table('licence_usage_item')
    with op.batch_alter_table('licence_item_link', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_licence_item_link_entry_id'))
    op.drop_table('licence_item_link')
