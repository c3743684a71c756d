"""rca analysis footer facts (expand step)

Adds rca_analysis.services (how many services the ranker read) and rca_analysis.problems
(signals it could not read), so the hypotheses reply re-rendered after a verdict says what the
first one said. Both have defaults; the previous release keeps inserting analyses without them.

Revision ID: 5d1e7c2a9b40
Revises: 8f7dd5b06e4a
Create Date: 2026-12-06 17:55:00.000000
"""
from alembic import op
import sqlalchemy as sa

revision = '5d1e7c2a9b40'
down_revision = '8f7dd5b06e4a'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('rca_analysis', schema=None) as batch_op:
        batch_op.add_column(sa.Column('services', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('problems', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('rca_analysis', schema=None) as batch_op:
        batch_op.drop_column('problems')
        batch_op.drop_column('services')
