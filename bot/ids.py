"""Slack action_id and callback_id values: the contract between messages and listeners."""

# core
HELP_OPEN = "help.open_family"

# alerts and incidents
from engine.alerts.messages import ACK as ALERTS_ACK  # noqa: E402
from engine.alerts.messages import RESOLVE as ALERTS_RESOLVE  # noqa: E402
from engine.alerts.messages import SILENCE as ALERTS_SILENCE  # noqa: E402
from engine.alerts.messages import SNOOZE_PREFIX as ALERTS_SNOOZE_PREFIX  # noqa: E402
from engine.alerts.messages import UNSILENCE as ALERTS_UNSILENCE  # noqa: E402
# runbooks and approvals
from engine.approvals.view import APPROVE as APPROVAL_APPROVE  # noqa: E402
from engine.approvals.view import CANCEL as APPROVAL_CANCEL  # noqa: E402
from engine.approvals.view import REJECT as APPROVAL_REJECT  # noqa: E402
# models
from engine.models.messages import PROMOTE_CHALLENGER as MODELS_PROMOTE_CHALLENGER  # noqa: E402
from engine.models.messages import PROMOTE_CHAMPION as MODELS_PROMOTE_CHAMPION  # noqa: E402
from engine.models.messages import ROLLBACK as MODELS_ROLLBACK  # noqa: E402
# drift
from engine.drift.messages import COMPARE as DRIFT_COMPARE  # noqa: E402
from engine.drift.messages import COMPARE_MODAL as DRIFT_COMPARE_MODAL  # noqa: E402
from engine.drift.messages import SHOW_ALL as DRIFT_SHOW_ALL  # noqa: E402
# anomaly feedback
from engine.anomaly.watches.evidence import NOT_ANOMALY as ANOMALY_NOT_ANOMALY  # noqa: E402
from engine.anomaly.watches.evidence import USEFUL as ANOMALY_USEFUL  # noqa: E402
# hypotheses
from engine.rca.messages import CONFIRM as RCA_CONFIRM  # noqa: E402
from engine.rca.messages import SHOW as RCA_SHOW  # noqa: E402
from engine.rca.messages import WRONG as RCA_WRONG  # noqa: E402
ERROR_BLOCK_ID = "opsbot_error"  # the first block of every error reply (templates/slack/errors)
