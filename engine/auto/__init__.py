"""Auto-remediation: runbook triggers in shadow or auto mode, with verify, rollback and a breaker."""
