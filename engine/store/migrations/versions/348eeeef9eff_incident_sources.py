"""incident sources (expand step)

Adds alerts_incident.sources, where an incident's alerts came from, so its message offers
Silence in Alertmanager only when some of them came from Alertmanager. Nullable with an empty
default: the previous release neither reads nor writes it and keeps inserting incidents while
replicas roll; an empty list reads as "unknown" and keeps the button, as before. Existing
incidents are filled from their alerts.

Revision ID: 348eeeef9eff
Revises: b83f99bf7d51
Create Date: 2026-11-28 13:12:20.493377
"""
from alembic import op
import sqlalchemy as sa

revision = '348eeeef9eff'
down_revision = 'b83f99bf7d51'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('alerts_incident', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sources', sa.JSON(), server_default='[]', nullable=True))
    conn = op.get_bind()
    sources: dict[int, list[str]] = {}
    for inc_id, source in conn.execute(sa.text(
            "SELECT DISTINCT incident_id, source FROM alerts_alert WHERE incident_id IS NOT NULL "
            "ORDER BY incident_id, source")):
        sources.setdefault(inc_id, []).append(source)
    incident = sa.table('alerts_incident', sa.column('id', sa.BigInteger), sa.column('sources', sa.JSON))
    for inc_id, names in sources.items():
        conn.execute(sa.update(incident).where(incident.c.id == inc_id).values(sources=names))


def downgrade() -> None:
    with op.batch_alter_table('alerts_incident', schema=None) as batch_op:
        batch_op.drop_column('sources')
