"""Demo data for auto-remediation."""
