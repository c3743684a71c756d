"""incident firing set derived from alerts

The firing set of an incident is rebuilt from alerts_alert (status 'firing', incident_id) on
load, so a storm's big incident is no longer rewritten as JSON on every batch.

Revision ID: b83f99bf7d51
Revises: b7ae1b5b2d6d
Create Date: 2026-11-27 19:01:27.250997
"""
import json

from alembic import op
import sqlalchemy as sa

revision = 'b83f99bf7d51'
down_revision = 'b7ae1b5b2d6d'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('alerts_incident', schema=None) as batch_op:
        batch_op.drop_column('firing')


def downgrade() -> None:
    with op.batch_alter_table('alerts_incident', schema=None) as batch_op:
        batch_op.add_column(sa.Column('firing', sa.JSON(), nullable=False, server_default='{}'))
    # The older release reads the stored set: rebuild it from the alerts that fire.
    conn = op.get_bind()
    firing: dict[int, dict[str, str]] = {}
    for inc_id, fp, gk in conn.execute(sa.text(
            "SELECT incident_id, fingerprint, group_key FROM alerts_alert "
            "WHERE status = 'firing' AND incident_id IS NOT NULL")):
        firing.setdefault(inc_id, {})[fp] = gk or ""
    for inc_id, members in firing.items():
        conn.execute(sa.text("UPDATE alerts_incident SET firing = :f WHERE id = :i"),
                     {"f": json.dumps(members), "i": inc_id})
