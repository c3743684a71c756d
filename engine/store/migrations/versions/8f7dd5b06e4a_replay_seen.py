"""replay_seen: signed requests accepted within their replay window

One row per accepted (source, timestamp, signature); the primary key makes a second delivery
of the same signed request a no-op insert, on every replica. Rows past the window are pruned
by the replay-prune job. New table only: the previous release neither reads nor writes it.

Revision ID: 8f7dd5b06e4a
Revises: 3bc375da7435
Create Date: 2026-12-06 17:10:00.000000
"""
from alembic import op
import sqlalchemy as sa

revision = '8f7dd5b06e4a'
down_revision = '3bc375da7435'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'replay_seen',
        sa.Column('ts', sa.BigInteger(), nullable=False),
        sa.Column('signature', sa.String(length=128), nullable=False),
        sa.Column('source', sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint('ts', 'signature', 'source'),
    )


def downgrade() -> None:
    op.drop_table('replay_seen')
