"""Tamper-evident audit log: an append-only, hash-chained SQL table."""

from engine.audit.chain import GENESIS, event_hash
from engine.audit.service import AuditLog, VerifyResult
from engine.audit.tables import AuditEvent, AuditHead

__all__ = ["AuditEvent", "AuditHead", "AuditLog", "VerifyResult", "GENESIS", "event_hash"]
