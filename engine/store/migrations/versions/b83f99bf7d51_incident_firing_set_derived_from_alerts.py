"""incident firing set derived from alerts (expand step)

The firing set of an incident is rebuilt from alerts_alert (status 'firing', incident_id) on
load, so a storm's big incident is no longer rewritten as JSON on every batch. This release
stops using alerts_incident.firing but keeps the column, nullable with an empty default, so
replicas of the previous release keep working while replicas roll (deploy/README.md,
Upgrades); a later release drops it. While both releases run, a previous-release replica
sees an incident's firing set only as it last wrote it: at worst it schedules a resolve early,
and the next firing delivery reopens the incident.

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
        batch_op.alter_column('firing', existing_type=sa.JSON(), nullable=True, server_default='{}')


def downgrade() -> None:
    # The previous release reads the stored set: rebuild it from the alerts that fire.
    conn = op.get_bind()
    firing: dict[int, dict[str, str]] = {}
    for inc_id, fp, gk in conn.execute(sa.text(
            "SELECT incident_id, fingerprint, group_key FROM alerts_alert "
            "WHERE status = 'firing' AND incident_id IS NOT NULL")):
        firing.setdefault(inc_id, {})[fp] = gk or ""
    conn.execute(sa.text("UPDATE alerts_incident SET firing = '{}'"))
    for inc_id, members in firing.items():
        conn.execute(sa.text("UPDATE alerts_incident SET firing = :f WHERE id = :i"),
                     {"f": json.dumps(members), "i": inc_id})
    with op.batch_alter_table('alerts_incident', schema=None) as batch_op:
        batch_op.alter_column('firing', existing_type=sa.JSON(), nullable=False, server_default=None)
