"""The runbook family's button ids (the runbooks listener answers them)."""

from engine.core.notices import register_actions

# Opens a runbook's parameter modal; other families (drift, rca) offer it for a named runbook.
(OPEN,) = register_actions("runbooks", "runbook.open")
