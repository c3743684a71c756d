"""alert batch dead letter (expand step)

Adds alerts_batch.attempts (how often the retry job failed on a stored batch) and
alerts_batch.dead_at (when it gave up: the batch is kept for a person, never retried again).
Both have defaults the previous release never needs to write, so it keeps inserting batches
while replicas roll; it also keeps retrying dead batches until it is gone, as it always did.

Revision ID: 3bc375da7435
Revises: 348eeeef9eff
Create Date: 2026-12-06 17:20:00.000000
"""
from alembic import op
import sqlalchemy as sa

revision = '3bc375da7435'
down_revision = '348eeeef9eff'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('alerts_batch', schema=None) as batch_op:
        batch_op.add_column(sa.Column('attempts', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('dead_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('alerts_batch', schema=None) as batch_op:
        batch_op.drop_column('dead_at')
        batch_op.drop_column('attempts')
