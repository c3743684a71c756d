"""incident recurrence link (expand step)

Adds alerts_incident.recurrence_of (the incident a new one recurs) and recurrence_nth (how many
times today, counting the first). Nullable / defaulted: the previous release keeps inserting
incidents without them.

Revision ID: ac15c85c7e3f
Revises: 63eb9c7fd683
Create Date: 2026-12-06 20:05:00.000000
"""
from alembic import op
import sqlalchemy as sa

revision = 'ac15c85c7e3f'
down_revision = '63eb9c7fd683'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('alerts_incident', schema=None) as batch_op:
        batch_op.add_column(sa.Column('recurrence_of', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('recurrence_nth', sa.Integer(), server_default='0', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('alerts_incident', schema=None) as batch_op:
        batch_op.drop_column('recurrence_nth')
        batch_op.drop_column('recurrence_of')
