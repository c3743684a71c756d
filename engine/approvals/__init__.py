"""One approval mechanism for every risky action: frozen plan, N-of-M votes, exactly-once run."""

from engine.approvals.service import Approvals
from engine.approvals.tables import ApprovalRequest, ApprovalVote
from engine.approvals.types import ActionExecutor, Outcome, Plan, RunContext

__all__ = ["ActionExecutor", "ApprovalRequest", "ApprovalVote", "Approvals", "Outcome", "Plan", "RunContext"]
