"""incident machine keys in their own rows

The grouping memory's machine keys (a node or host an incident's alerts ran on, and when) move
out of alerts_incident.corr_keys into alerts_incident_machine, one row each, written once when
new or moved: a storm across many hosts no longer rewrites them all with every batch. No data
is moved: this release reads machine keys from either place and, on its next save of such an
incident, moves them to rows. A previous-release replica running beside it during a roll sees
only the keys still in the JSON: for alerts on those hosts it scores the same_host and
host_link features as if the incident had never run there.

Revision ID: e41c7b9a2f60
Revises: 5d2e8b1c9a47
Create Date: 2026-12-07 09:30:00.000000
"""
import json

from alembic import op
import sqlalchemy as sa

revision = 'e41c7b9a2f60'
down_revision = '5d2e8b1c9a47'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'alerts_incident_machine',
        sa.Column('incident_id', sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column('key', sa.Text(), nullable=False),
        sa.Column('at', sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint('incident_id', 'key'),
    )


def downgrade() -> None:
    # The previous release reads machine keys from the incident's JSON only: put them back.
    conn = op.get_bind()
    keys: dict[int, dict[str, float]] = {}
    for inc_id, key, at in conn.execute(sa.text("SELECT incident_id, key, at FROM alerts_incident_machine")):
        keys.setdefault(inc_id, {})[key] = at
    for inc_id, machine in keys.items():
        row = conn.execute(sa.text("SELECT corr_keys FROM alerts_incident WHERE id = :i"), {"i": inc_id}).first()
        if row is None:
            continue
        corr = row[0] if isinstance(row[0], dict) else json.loads(row[0] or "{}")
        corr.update(machine)
        conn.execute(sa.text("UPDATE alerts_incident SET corr_keys = :c WHERE id = :i"),
                     {"c": json.dumps(corr), "i": inc_id})
    op.drop_table('alerts_incident_machine')
