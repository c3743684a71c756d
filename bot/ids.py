"""Slack action_id and callback_id values: the contract between messages and listeners."""

# alerts and incidents
from engine.alerts.messages import ACK as ALERTS_ACK
from engine.alerts.messages import RESOLVE as ALERTS_RESOLVE
from engine.alerts.messages import SILENCE as ALERTS_SILENCE
from engine.alerts.messages import SNOOZE_PREFIX as ALERTS_SNOOZE_PREFIX
from engine.alerts.messages import UNSILENCE as ALERTS_UNSILENCE
from engine.alerts.messages import LINK_PREFIX as ALERTS_LINK_PREFIX
from engine.alerts.messages import NOTE as ALERTS_NOTE
from engine.alerts.messages import NOTE_MODAL as ALERTS_NOTE_MODAL
from engine.alerts.messages import REOPEN as ALERTS_REOPEN
from engine.alerts.messages import TAKE as ALERTS_TAKE
# runbooks and approvals
from engine.approvals.view import APPROVE as APPROVAL_APPROVE
from engine.approvals.view import CANCEL as APPROVAL_CANCEL
from engine.approvals.view import REJECT as APPROVAL_REJECT
# models
from engine.models.messages import PROMOTE_CHALLENGER as MODELS_PROMOTE_CHALLENGER
from engine.models.messages import PROMOTE_CHAMPION as MODELS_PROMOTE_CHAMPION
from engine.models.messages import ROLLBACK as MODELS_ROLLBACK
# drift
from engine.drift.messages import COMPARE as DRIFT_COMPARE
from engine.drift.messages import COMPARE_MODAL as DRIFT_COMPARE_MODAL
from engine.drift.messages import SHOW_ALL as DRIFT_SHOW_ALL
# anomaly feedback
from engine.anomaly.watches.evidence import NOT_ANOMALY as ANOMALY_NOT_ANOMALY
from engine.anomaly.watches.evidence import USEFUL as ANOMALY_USEFUL
# hypotheses
from engine.rca.messages import CONFIRM as RCA_CONFIRM
from engine.rca.messages import SHOW as RCA_SHOW
from engine.rca.messages import WRONG as RCA_WRONG

# core
HELP_OPEN = "help.open_family"
ERROR_BLOCK_ID = "opsbot_error"  # the first block of every error reply (templates/slack/errors)

__all__ = [
    "HELP_OPEN",
    "ERROR_BLOCK_ID",
    "ALERTS_ACK",
    "ALERTS_RESOLVE",
    "ALERTS_SILENCE",
    "ALERTS_SNOOZE_PREFIX",
    "ALERTS_UNSILENCE",
    "ALERTS_LINK_PREFIX",
    "ALERTS_NOTE",
    "ALERTS_NOTE_MODAL",
    "ALERTS_REOPEN",
    "ALERTS_TAKE",
    "APPROVAL_APPROVE",
    "APPROVAL_CANCEL",
    "APPROVAL_REJECT",
    "MODELS_PROMOTE_CHALLENGER",
    "MODELS_PROMOTE_CHAMPION",
    "MODELS_ROLLBACK",
    "DRIFT_COMPARE",
    "DRIFT_COMPARE_MODAL",
    "DRIFT_SHOW_ALL",
    "ANOMALY_NOT_ANOMALY",
    "ANOMALY_USEFUL",
    "RCA_CONFIRM",
    "RCA_SHOW",
    "RCA_WRONG",
]
