"""What the approval message shows: typed message data built from the row and its votes.

templates/slack/approvals/ words the buttons (Approve, Reject, Cancel); the engine hands over which
ones the request's state allows.
"""

from __future__ import annotations

import re
from typing import Any

from engine.core.clock import utc
from engine.approvals.tables import ApprovalRequest, ApprovalVote
from engine.approvals.types import APPROVED, REQUESTED, RUNNING
from engine.core.bounds import parse_int, shown
from engine.errors import InvalidInput
from engine.core.notices import Button, Facts, MessageData, Notice, register_actions

# Button action ids; the bot's ids.py re-exports these so engine and bot agree.
APPROVE, REJECT, CANCEL = register_actions("approvals", "approval_approve", "approval_reject", "approval_cancel")


class Vote(Facts):
    """One approver's approval or rejection."""

    user: str
    name: str
    at: str | None


class StepProgress(Facts):
    """One step of a running or finished plan, as the runner recorded it."""

    name: str
    status: str
    summary: str
    at: str | None


class ApprovalMessage(MessageData):
    """The living approval message: the frozen plan, its votes, its run, the buttons its state allows."""

    TEMPLATE = "approvals/request"
    id: int | None
    kind: str
    title: str
    env: str
    state: str
    reason: str
    requester: str
    requester_name: str
    required: int
    approver_roles: list[str]
    parameters: dict[str, Any]  # the plan's parameters meant for people, as JSON values
    dry_run: str
    plan_hash: str
    created_at: str | None
    expires_at: str | None
    started_at: str | None
    finished_at: str | None
    approvals: list[Vote]
    rejections: list[Vote]
    cancel_requested_by: str | None
    progress: list[StepProgress]
    result: dict[str, Any]  # the executor's JSON outcome
    buttons: list[Button]


class StepDetail(MessageData):
    """A thread reply carrying one step's details."""

    TEMPLATE = "approvals/step"
    id: int | None
    title: str
    step: StepProgress
    detail: str | None


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


def _step(entry: dict[str, Any]) -> StepProgress:
    return StepProgress(name=str(entry.get("name", "")), status=str(entry.get("status", "")),
                        summary=str(entry.get("summary") or ""), at=entry.get("at"))


def context(row: ApprovalRequest, vote_rows: list[ApprovalVote]) -> ApprovalMessage:
    """Return the approval message as the row and its votes stand."""
    buttons = []
    value = button_value(row)
    if row.state == REQUESTED:
        buttons = [Button(action_id=APPROVE, value=value, style="primary"),
                   Button(action_id=REJECT, value=value, style="danger")]
    if row.state in (REQUESTED, APPROVED, RUNNING) and not row.cancel_requested_by:
        buttons.append(Button(action_id=CANCEL, value=value))
    return ApprovalMessage(
        id=row.id, kind=row.kind, title=row.title, env=row.env, state=row.state,
        reason=row.reason, requester=row.requester, requester_name=row.requester_name,
        required=row.required, approver_roles=list(row.approver_roles),
        parameters=shown_parameters(row.kind, row.plan.get("parameters", {})), dry_run=row.dry_run,
        plan_hash=row.plan_hash, created_at=_iso(row.created_at), expires_at=_iso(row.expires_at),
        started_at=_iso(row.started_at), finished_at=_iso(row.finished_at),
        approvals=[Vote(user=v.user_id, name=v.user_name, at=_iso(v.at)) for v in vote_rows if v.decision == "approve"],
        rejections=[Vote(user=v.user_id, name=v.user_name, at=_iso(v.at)) for v in vote_rows if v.decision == "reject"],
        cancel_requested_by=row.cancel_requested_by,
        progress=[_step(p) for p in row.progress], result=row.result, buttons=buttons)


def request_notice(row: ApprovalRequest, vote_rows: list[ApprovalVote]) -> Notice:
    """Return the notice that posts or edits the approval message."""
    return Notice.of(context(row, vote_rows), key=message_key(row.id or 0), channel=row.channel)


def step_notice(row: ApprovalRequest, index: int, step: dict[str, Any], detail: str | None) -> Notice:
    """Return the thread reply carrying one step's details."""
    return Notice.of(StepDetail(id=row.id, title=row.title, step=_step(step), detail=detail),
                     key=f"{message_key(row.id or 0)}:step:{index}", channel=row.channel,
                     thread_key=message_key(row.id or 0))
