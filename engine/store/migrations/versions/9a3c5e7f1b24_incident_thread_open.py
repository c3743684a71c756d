"""incident's open automatic thread reply (expand step)

Adds alerts_incident.thread_open: the automatic thread reply that a storm's next growth (new
services, new alert names) edits instead of posting another. Nullable: the previous release
keeps inserting incidents without it.

Revision ID: 9a3c5e7f1b24
Revises: f3a9c1d27b64
Create Date: 2026-12-07 15:30:00.000000
"""
from alembic import op
import sqlalchemy as sa

revision = '9a3c5e7f1b24'
down_revision = 'f3a9c1d27b64'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('alerts_incident', schema=None) as batch_op:
        batch_op.add_column(sa.Column('thread_open', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('alerts_incident', schema=None) as batch_op:
        batch_op.drop_column('thread_open')
