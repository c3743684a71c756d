"""Build the model service from config (called by engine/wiring.py)."""

from __future__ import annotations

from engine.approvals import Approvals
from engine.audit import AuditLog
from engine.core.clock import Clock
from engine.models.config import ModelsConfig
from engine.ports import ModelRegistry
from engine.models.service import ModelService
from engine.policy import Policy
from engine.store.db import Database


def build_model_service(db: Database, clock: Clock, audit: AuditLog, approvals: Approvals, policy: Policy,
                        config: ModelsConfig, *, env: str, channel: str,
                        registry: ModelRegistry | None = None) -> ModelService:
    """Return the model service on MLflow (or the given registry); registers its approval executor."""
    if registry is None:
        from engine.adapters.mlflow_registry import MlflowRegistry

        registry = MlflowRegistry(config.tracking_uri, config.registry_uri, timeout=config.timeout_seconds)
    return ModelService(db, registry, approvals, policy, audit, clock, config, env=env, channel=channel)
