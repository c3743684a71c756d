"""What the approval message shows: the notice context built from the row and its votes."""

from __future__ import annotations

import re
from typing import Any

from engine.core.clock import utc
from engine.approvals.tables import ApprovalRequest, ApprovalVote
from engine.approvals.types import APPROVED, REQUESTED, RUNNING
from engine.core.bounds import parse_int, shown
from engine.errors import InvalidInput
from engine.core.notices import Notice

# Button action ids; the bot's ids.py re-exports these so engine and bot agree.
APPROVE, REJECT, CANCEL = "approval_approve", "approval_reject", "approval_cancel"


def message_key(request_id: int) -> str:
    """Return the outbox key of a request's living Slack message."""
    return f"approval:{request_id}"


def button_value(row: ApprovalRequest) -> str:
    """Return the button value: the id plus a plan-hash prefix, so a payload for another plan is refused."""
    return f"{row.id}:{row.plan_hash[:16]}"


_BUTTON = re.compile(r"([0-9]{1,18}):([0-9a-f]{16,64})")


def parse_button_value(value: Any) -> tuple[int, str]:
    """Split a button value into (request id, plan-hash prefix); refuse one without its hash."""
    m = _BUTTON.fullmatch(value) if isinstance(value, str) else None
    if m is None:
        # Without the hash a click could not be tied to the plan the clicker saw: never "no check".
        raise InvalidInput(f"button value {shown(str(value))} does not carry the request id and plan hash it needs",
                           hint="an approval request id and plan hash: use the buttons on the current approval message")
    return parse_int(m.group(1), "approval request id", hint="this button does not name an approval request"), m.group(2)


# Plan parameters a person reads on the card, per plan kind (absent: all of them). The rest are
# the executor's own (the requester's name, the verb already in the title).
SHOWN_PARAMETERS = {"model_alias": ("model", "alias", "version", "override_reason")}


def shown_parameters(kind: str, parameters: dict[str, Any]) -> dict[str, Any]:
    """Return the parameters the approval card lists: set ones, and only those meant for people."""
    keys = SHOWN_PARAMETERS.get(kind)
    return {k: v for k, v in parameters.items() if v not in (None, "") and (keys is None or k in keys)}


def _iso(dt: Any) -> str | None:
    # SQLite hands datetimes back naive: every rendering says UTC, whichever database it came from.
    return utc(dt).isoformat(timespec="seconds") if dt is not None else None


def context(row: ApprovalRequest, vote_rows: list[ApprovalVote]) -> dict[str, Any]:
    """Return the JSON-ready template context for the approval message."""
    buttons = []
    value = button_value(row)
    if row.state == REQUESTED:
        buttons = [{"label": "Approve", "action_id": APPROVE, "value": value, "style": "primary"},
                   {"label": "Reject", "action_id": REJECT, "value": value, "style": "danger"}]
    if row.state in (REQUESTED, APPROVED, RUNNING) and not row.cancel_requested_by:
        buttons.append({"label": "Cancel", "action_id": CANCEL, "value": value})
    return {
        "id": row.id, "kind": row.kind, "title": row.title, "env": row.env, "state": row.state,
        "reason": row.reason, "requester": row.requester, "requester_name": row.requester_name,
        "required": row.required, "approver_roles": list(row.approver_roles),
        "parameters": shown_parameters(row.kind, row.plan.get("parameters", {})), "dry_run": row.dry_run,
        "plan_hash": row.plan_hash, "created_at": _iso(row.created_at), "expires_at": _iso(row.expires_at),
        "started_at": _iso(row.started_at), "finished_at": _iso(row.finished_at),
        "approvals": [{"user": v.user_id, "name": v.user_name, "at": _iso(v.at)}
                      for v in vote_rows if v.decision == "approve"],
        "rejections": [{"user": v.user_id, "name": v.user_name, "at": _iso(v.at)}
                       for v in vote_rows if v.decision == "reject"],
        "cancel_requested_by": row.cancel_requested_by,
        "progress": list(row.progress), "result": row.result, "buttons": buttons,
    }


def request_notice(row: ApprovalRequest, vote_rows: list[ApprovalVote]) -> Notice:
    """Return the notice that posts or edits the approval message."""
    return Notice(key=message_key(row.id or 0), channel=row.channel, template="approvals/request",
                  context=context(row, vote_rows))


def step_notice(row: ApprovalRequest, index: int, step: dict[str, Any], detail: str) -> Notice:
    """Return the thread reply carrying one step's details."""
    return Notice(key=f"{message_key(row.id or 0)}:step:{index}", channel=row.channel,
                  template="approvals/step", thread_key=message_key(row.id or 0),
                  context={"id": row.id, "title": row.title, "step": step, "detail": detail})
