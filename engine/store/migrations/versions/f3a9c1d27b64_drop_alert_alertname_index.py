"""drop the unused alerts_alert alertname index

No query filters or sorts alerts by alertname (they read it by fingerprint, incident or time),
and every new alert paid one more B-tree insert for it: on a storm's onset about a tenth of the
alert insert's cost on PostgreSQL. The previous release does not use it either, so a roll in
either direction keeps working.

Revision ID: f3a9c1d27b64
Revises: e41c7b9a2f60
Create Date: 2026-12-07 15:10:00.000000
"""
from alembic import op

revision = 'f3a9c1d27b64'
down_revision = 'e41c7b9a2f60'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index('ix_alerts_alert_alertname', table_name='alerts_alert')


def downgrade() -> None:
    op.create_index('ix_alerts_alert_alertname', 'alerts_alert', ['alertname'], unique=False)
