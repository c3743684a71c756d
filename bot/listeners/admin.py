"""Access and audit: `/ops whoami`, `/ops audit [n | #seq | subject]`; the Slack user-group lookup."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.commands import CommandContext, Subcommand
from engine.audit.service import event_to_dict
from engine.core.bounds import SEQ_MAX, parse_int
from engine.errors import InvalidInput, Unavailable

if TYPE_CHECKING:
    from slack_bolt.async_app import AsyncApp

    from bot.deps import Deps

KNOWN_ACTIONS = ["cmd:audit", "model:promote", "model:rollback"]


class SlackUsergroups:
    """The policy's user-group directory, answered by Slack's usergroups.users.list."""

    def __init__(self, client: Any) -> None:
        self.client = client

    async def usergroup_members(self, usergroup_id: str) -> list[str]:
        """Return the user ids in a Slack user group."""
        from slack_sdk.errors import SlackApiError

        try:
            resp = await self.client.usergroups_users_list(usergroup=usergroup_id)
        except SlackApiError as exc:  # the client raises on ok=false; the port's callers expect OpsError
            resp = exc.response
        if not resp.get("ok", False):
            raise Unavailable(f"usergroups.users.list failed for {usergroup_id}: {resp.get('error')}")
        return list(resp.get("users", []))


def register(app: "AsyncApp", deps: "Deps") -> None:
    """Register `/ops whoami` and `/ops audit`."""
    engine = deps.engine

    async def whoami_cmd(ctx: CommandContext):
        policy = engine.policy
        actions = KNOWN_ACTIONS + [f"runbook:{lr.runbook.name}" for lr in engine.runbooks.list()]
        me = await policy.whoami(ctx.actor, actions, policy.environments(engine.config.environment))
        grants = [{"action": g.action, "env": g.env, "effect": g.effect, "approvals": g.approvals,
                   "approver_roles": list(g.approver_roles), "needed_roles": list(g.needed_roles)}
                  for g in me.grants]
        return deps.render("admin/whoami", {"user_id": me.user_id, "name": me.name, "roles": list(me.roles),
                                            "grants": grants})

    async def audit_cmd(ctx: CommandContext):
        await engine.policy.check(ctx.actor, "cmd:audit", engine.config.environment)
        audit = engine.audit
        arg = ctx.args[0] if ctx.args else "20"
        if arg.startswith("#"):
            event = await audit.get(parse_int(arg[1:], "audit event number", hi=SEQ_MAX, hint="e.g. /ops audit #42"))
            return deps.render("admin/audit_event", {"event": event_to_dict(event)})
        subject = None
        if arg.isdigit():
            n = parse_int(arg, "number of events", hi=500, hint="ask for 1 to 500")
        elif ":" in arg:
            subject, n = arg, 50
        else:
            raise InvalidInput(f"cannot read {arg!r}", hint="/ops audit [n | #seq | approval:<id>]")
        events = await audit.recent(n, subject)
        head_seq, head_hash = await audit.head()
        return deps.render("admin/audit", {"events": [event_to_dict(e) for e in events], "subject": subject,
                                           "head_seq": head_seq, "head_hash": head_hash})

    deps.router.add(Subcommand(name="whoami", summary="Show your roles and what you may do", usage="whoami",
                               example="/ops whoami", handler=whoami_cmd, family="admin",
                               max_args=0))
    deps.router.add(Subcommand(name="audit", summary="Show the audit log", usage="audit [n | #seq | approval:<id>]",
                               example="/ops audit 20", handler=audit_cmd, family="admin",
                               max_args=1))
