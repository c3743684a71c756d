"""decision facts (expand step)

Adds alerts_decision.facts: an incident change's kind and facts (who, alert name, until when...)
that the templates word, instead of English written by the engine. Nullable: rows written before
keep their plain-text reason, which is shown as it is, and the previous release keeps inserting
decisions without it.

Revision ID: 5d2e8b1c9a47
Revises: 0c4f2a9e7d31
Create Date: 2026-12-07 03:10:00.000000
"""
from alembic import op
import sqlalchemy as sa

revision = '5d2e8b1c9a47'
down_revision = '0c4f2a9e7d31'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('alerts_decision', schema=None) as batch_op:
        batch_op.add_column(sa.Column('facts', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('alerts_decision', schema=None) as batch_op:
        batch_op.drop_column('facts')
