"""Ratings: the figures' summary by month (rating_month), beside the one by day, so that a
year's figures add up 12 rows per unit and channel instead of ~300.

Revision ID: 0012_ratings_at_rest
Revises: 0014_verification
Create Date: 2026-12-03 16:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012_ratings_at_rest'
down_revision = '0014_verification'
branch_labels = None
depends_on = None

COUNTS = ('ratings', 'good', 'poor', 'invalid', 'rectified', 'rectified_on_time',
          'real_name_poor', 'called_back', 'real_name_called_back', 'satisfied')


def upgrade():
    op.create_table('rating_month',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    *(sa.Column(name, sa.Integer(), nullable=False) for name in COUNTS),
    sa.ForeignKeyConstraint(['region_id'], ['region.id'], name=op.f('fk_rating_month_region_id_region')),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_rating_month_unit_id_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rating_month')),
    sa.UniqueConstraint('unit_id', 'month', 'channel', name=op.f('uq_rating_month_unit_id'))
    )
    with op.batch_alter_table('rating_month', schema=None) as batch_op:
        batch_op.create_index('ix_rating_month_month', ['month'], unique=False)
        batch_op.create_index('ix_rating_month_region_month', ['region_id', 'month'], unique=False)
    # Fill it from the day summary already there (months are computed in Python: the SQL of
    # a month's first day differs between SQLite and PostgreSQL).
    connection = op.get_bind()
    day = sa.table('rating_day', sa.column('rated_on', sa.Date()), sa.column('unit_id'),
                   sa.column('region_id'), sa.column('channel'),
                   *(sa.column(name) for name in COUNTS))
    month = sa.table('rating_month', sa.column('month', sa.Date()), sa.column('unit_id'),
                     sa.column('region_id'), sa.column('channel'),
                     *(sa.column(name) for name in COUNTS))
    sums = {}
    for row in connection.execute(sa.select(day)).mappings():
        rated_on = row['rated_on']
        key = (rated_on.replace(day=1), row['unit_id'], row['region_id'], row['channel'])
        counts = sums.setdefault(key, [0] * len(COUNTS))
        for index, name in enumerate(COUNTS):
            counts[index] += row[name] or 0
    rows = [
        {'month': key[0], 'unit_id': key[1], 'region_id': key[2], 'channel': key[3],
         **dict(zip(COUNTS, counts))}
        for key, counts in sums.items()
    ]
    for first in range(0, len(rows), 5000):
        connection.execute(sa.insert(month), rows[first:first + 5000])


def downgrade():
    with op.batch_alter_table('rating_month', schema=None) as batch_op:
        batch_op.drop_index('ix_rating_month_region_month')
        batch_op.drop_index('ix_rating_month_month')
    op.drop_table('rating_month')
