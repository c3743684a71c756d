"""Slack action_id and callback_id values: the contract between messages and listeners."""

# core
HELP_OPEN = "help.open_family"

# alerts and incidents
# runbooks and approvals
# models
# drift
# anomaly feedback
# hypotheses
