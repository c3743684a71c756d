"""Slack action_id and callback_id values: the contract between messages and listeners."""

# core
HELP_OPEN = "help.open_family"

# alerts and incidents
# runbooks and approvals
# models
from engine.models.messages import PROMOTE_CHALLENGER as MODELS_PROMOTE_CHALLENGER  # noqa: E402
from engine.models.messages import PROMOTE_CHAMPION as MODELS_PROMOTE_CHAMPION  # noqa: E402
from engine.models.messages import ROLLBACK as MODELS_ROLLBACK  # noqa: E402
# drift
# anomaly feedback
# hypotheses
