"""alert grouping corrections (expand step)

Adds alert_grouping_corrections: every Split and Merge people make on incident messages, with
the alert keys on each side, so the grouping statistics can be rebuilt from them at startup and
`/ops stats` can count corrections per week. A new table: the previous release never reads it.

Revision ID: 6a5e5699e41f
Revises: 585e39cc1c83
Create Date: 2026-12-06 20:15:00.000000
"""
from alembic import op
import sqlalchemy as sa

revision = '6a5e5699e41f'
down_revision = '585e39cc1c83'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'alert_grouping_corrections',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('kind', sa.String(length=8), nullable=False),
        sa.Column('source_incident', sa.BigInteger(), nullable=False),
        sa.Column('target_incident', sa.BigInteger(), nullable=False),
        sa.Column('keys_moved', sa.JSON(), nullable=False),
        sa.Column('keys_other', sa.JSON(), nullable=False),
        sa.Column('alerts_moved', sa.Integer(), nullable=False),
        sa.Column('actor', sa.String(length=120), nullable=False),
        sa.Column('actor_name', sa.String(length=120), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_alert_grouping_corrections_source', 'alert_grouping_corrections',
                    ['kind', 'source_incident'])
    op.create_index('ix_alert_grouping_corrections_at', 'alert_grouping_corrections', ['at'])


def downgrade() -> None:
    op.drop_index('ix_alert_grouping_corrections_at', table_name='alert_grouping_corrections')
    op.drop_index('ix_alert_grouping_corrections_source', table_name='alert_grouping_corrections')
    op.drop_table('alert_grouping_corrections')
