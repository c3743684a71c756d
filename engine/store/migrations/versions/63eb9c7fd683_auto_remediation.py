"""auto_trigger, auto_fire, auto_switch: auto-remediation state

New tables only: a trigger's live mode and breaker count, one row per trigger firing on an
incident (unique per trigger and incident, so it acts once across replicas), and the kill switch.

Revision ID: 63eb9c7fd683
Revises: 6a5e5699e41f
Create Date: 2026-12-06 20:20:00.000000
"""
from alembic import op
import sqlalchemy as sa

revision = '63eb9c7fd683'
down_revision = '6a5e5699e41f'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'auto_trigger',
        sa.Column('trigger_id', sa.String(length=120), nullable=False),
        sa.Column('mode', sa.String(length=10), nullable=False),
        sa.Column('source', sa.String(length=20), nullable=False),
        sa.Column('consecutive_failures', sa.Integer(), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('trigger_id'),
    )
    op.create_table(
        'auto_fire',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('trigger_id', sa.String(length=120), nullable=False),
        sa.Column('runbook', sa.String(length=80), nullable=False),
        sa.Column('incident_id', sa.Integer(), nullable=False),
        sa.Column('mode', sa.String(length=10), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('env', sa.String(length=60), nullable=False),
        sa.Column('parameters', sa.JSON(), nullable=False),
        sa.Column('plan_hash', sa.String(length=64), nullable=False),
        sa.Column('dry_run', sa.Text(), nullable=False),
        sa.Column('request_id', sa.Integer(), nullable=True),
        sa.Column('outcome', sa.String(length=20), nullable=False),
        sa.Column('incident_opened_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('fired_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('settled_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('trigger_id', 'incident_id', name='uq_auto_fire_trigger_incident'),
    )
    op.create_index('ix_auto_fire_trigger_id', 'auto_fire', ['trigger_id'])
    op.create_index('ix_auto_fire_incident_id', 'auto_fire', ['incident_id'])
    op.create_index('ix_auto_fire_request_id', 'auto_fire', ['request_id'])
    op.create_table(
        'auto_switch',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('paused', sa.Boolean(), nullable=False),
        sa.Column('by', sa.String(length=200), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )


def downgrade() -> None:
    op.drop_table('auto_switch')
    op.drop_index('ix_auto_fire_request_id', 'auto_fire')
    op.drop_index('ix_auto_fire_incident_id', 'auto_fire')
    op.drop_index('ix_auto_fire_trigger_id', 'auto_fire')
    op.drop_table('auto_fire')
    op.drop_table('auto_trigger')
