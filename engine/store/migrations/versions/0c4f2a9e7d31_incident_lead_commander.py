"""incident lead alert and commander (expand step)

Adds alerts_incident.lead (what the first alert says and where to look), commander and
commander_name (who took the incident). All nullable with defaults: the previous release keeps
inserting incidents without them.

Revision ID: 0c4f2a9e7d31
Revises: ac15c85c7e3f
Create Date: 2026-12-06 20:15:00.000000
"""
from alembic import op
import sqlalchemy as sa

revision = '0c4f2a9e7d31'
down_revision = 'ac15c85c7e3f'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('alerts_incident', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lead', sa.JSON(), server_default='{}', nullable=True))
        batch_op.add_column(sa.Column('commander', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('commander_name', sa.String(length=120), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('alerts_incident', schema=None) as batch_op:
        batch_op.drop_column('commander_name')
        batch_op.drop_column('commander')
        batch_op.drop_column('lead')
