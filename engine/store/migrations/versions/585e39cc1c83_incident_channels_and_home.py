"""incident channels and Home tab viewers (expand step)

Adds warroom_channel (the Slack channel opened for an incident: requested, being created,
open or failed) and home_viewer (who opened Opsbot's Home tab, so it is re-published when their
items change). New tables only; the previous release ignores them.

Revision ID: 585e39cc1c83
Revises: 5d1e7c2a9b40
Create Date: 2026-12-06 20:05:00.000000
"""
from alembic import op
import sqlalchemy as sa

revision = '585e39cc1c83'
down_revision = '5d1e7c2a9b40'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'warroom_channel',
        sa.Column('incident_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('channel_id', sa.String(length=32), nullable=True),
        sa.Column('channel_name', sa.String(length=80), nullable=True),
        sa.Column('requested_by', sa.String(length=64), nullable=False),
        sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('opened_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('attempts', sa.Integer(), server_default='0', nullable=False),
        sa.Column('error', sa.String(length=300), nullable=True),
        sa.PrimaryKeyConstraint('incident_id'),
    )
    op.create_table(
        'home_viewer',
        sa.Column('user_id', sa.String(length=64), nullable=False),
        sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('user_id'),
    )


def downgrade() -> None:
    op.drop_table('home_viewer')
    op.drop_table('warroom_channel')
