"""Model lifecycle service: see, promote (gates, policy, approvals) and roll back aliases."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable

from engine.actor import Actor
from engine.approvals import Approvals, Plan
from engine.audit import AuditLog
from engine.core.clock import Clock
from engine.errors import Conflict, Forbidden, InvalidInput
from engine.models.config import ModelsConfig, ResolvedRules
from engine.models.executor import KIND, AliasExecutor
from engine.models.history import previous_holder
from engine.models.mover import AliasMover
from engine.models.ports import alias_not_found, unknown_alias
from engine.ports import ModelRegistry
from engine.models.queries import ModelDetail, ModelQueries, ModelRow
from engine.models.types import ModelVersion
from engine.models.verdicts import GateResult, Snapshot, evaluate_all
from engine.models.watch import RegistryWatch, WatchReport
from engine.models.webhooks import verify
from engine.policy import Policy
from engine.store.db import Database

PROMOTE, ROLLBACK, OVERRIDE = "model:promote", "model:rollback", "model:override_gates"
CREATE_ALIAS = "model:create_alias"
_ALIAS_OK = set("abcdefghijklmnopqrstuvwxyz0123456789_-")


@dataclass(frozen=True)
class ChangeResult:
    """What a promote or rollback request led to: gate diff, and the approval request if any."""

    model: str
    alias: str
    version: int
    from_version: int | None
    action: str
    status: str  # blocked (gates failed) | requested (awaiting approval) | approved (running now)
    gates: list[GateResult] = field(default_factory=list)
    request_id: int | None = None
    approvers: tuple[str, ...] = ()
    override_reason: str | None = None

    @property
    def gates_passed(self) -> bool:
        """Return True when no gate failed."""
        return all(g.passed for g in self.gates)


def gate_table(gates: list[GateResult]) -> str:
    """Return the gate diff as fixed-width text (the plan's dry-run shown to approvers)."""
    def fmt(v: Any) -> str:
        return "-" if v is None else (f"{v:.4g}" if isinstance(v, float) else str(v))

    width = max([4, *(len(g.gate) for g in gates)])  # whole expressions: a cut gate reads as another gate
    lines = [f"{'gate':<{width}} {'candidate':>10} {'current':>10} {'delta':>10}  result"]
    for g in gates:
        lines.append(f"{g.gate:<{width}} {fmt(g.candidate):>10} {fmt(g.current):>10} {fmt(g.delta):>10}  "
                     f"{'pass' if g.passed else 'FAIL'}: {g.reason}")
    return "\n".join(lines) if gates else "no gates configured"


class ModelService:
    """The `engine.models` facade: every method takes an Actor and re-checks policy and state."""

    def __init__(self, db: Database, registry: ModelRegistry, approvals: Approvals, policy: Policy,
                 audit: AuditLog, clock: Clock, config: ModelsConfig, *, env: str = "production",
                 channel: str = "ops") -> None:
        self.db, self.registry, self.approvals, self.policy = db, registry, approvals, policy
        self.audit, self.clock, self.config = audit, clock, config
        self._env, self._channel = env, channel
        self.mover = AliasMover(db, registry, audit, clock, intent_grace_s=max(60.0, 3 * config.timeout_seconds))
        self.executor = AliasExecutor(registry, self.mover, approvals)
        approvals.register(self.executor)
        self.queries = ModelQueries(db, registry)
        self.watch = RegistryWatch(db, registry, self.mover, audit, self.rules)
        # Set by the composition root to the scheduler's wake-up of the watch job.
        self.wake: Callable[[], Awaitable[object]] | None = None

    def rules(self, name: str) -> ResolvedRules:
        """Return the promotion rules of a model."""
        return self.config.rules_for(name, env=self._env, channel=self._channel)

    # -- reads ---------------------------------------------------------------------------
    async def list_models(self, actor: Actor) -> list[ModelRow]:
        """Return registered models, their aliases and last change."""
        return await self.queries.list_models()

    async def show(self, actor: Actor, name: str) -> ModelDetail:
        """Return one model in detail."""
        return await self.queries.show(name, self.rules(name).key_metrics)

    async def history(self, actor: Actor, name: str, limit: int = 50) -> list[dict[str, Any]]:
        """Return a model's alias changes, newest first."""
        return await self.queries.history(name, limit)

    async def watch_job(self, now: Any) -> WatchReport:
        """Scheduled job: one registry watch cycle."""
        return await self.watch.run(now)

    # -- changes -------------------------------------------------------------------------
    async def _snapshot(self, mv: ModelVersion) -> Snapshot:
        metrics = await self.registry.run_metrics(mv.run_id) if mv.run_id else {}
        return Snapshot(mv.version, metrics, mv.tags)

    async def _ready_version(self, name: str, version: int) -> ModelVersion:
        mv = await self.registry.get_version(name, version)
        if not mv.ready:
            raise Conflict(f"{name} v{version} is {mv.status}, not READY",
                           hint=mv.status_message or "wait for the registration to finish")
        return mv

    @staticmethod
    def _check_alias(alias: str) -> str:
        alias = alias.strip().lower()
        if not alias or len(alias) > 64 or not set(alias) <= _ALIAS_OK or alias[0].isdigit():
            raise InvalidInput(f"`{alias}` is not a valid alias", hint="letters, digits, - and _, e.g. champion")
        return alias

    async def evaluate(self, name: str, version: int, alias: str) -> tuple[list[GateResult], int | None]:
        """Return the gate results of promoting name@version to alias, and the current holder."""
        gates, held = await self._evaluate(name, version, alias)
        return gates, held.get(alias)

    async def _evaluate(self, name: str, version: int, alias: str) -> tuple[list[GateResult], dict[str, int]]:
        rules = self.rules(name)
        model, mv = await asyncio.gather(self.registry.get_model(name), self._ready_version(name, version))
        async def holder(v: int) -> Snapshot:
            return await self._snapshot(await self.registry.get_version(name, v))

        snaps = await asyncio.gather(self._snapshot(mv), *(holder(v) for v in model.aliases.values()))
        holders = dict(zip(model.aliases, snaps[1:]))
        gates = evaluate_all(rules.gates_for(alias), snaps[0], holders, alias, rules.windows(), self.clock.now())
        return gates, dict(model.aliases)

    async def promote(self, actor: Actor, name: str, version: int, alias: str | None = None,
                      override_reason: str | None = None, new_alias: bool = False) -> ChangeResult:
        """Check gates and policy, then request the alias move (direct or via approval).

        An alias the model does not hold, has no gates for and the config does not name is a
        typo until the user says `new-alias`: its gates would silently be the `*` list or none.
        """
        alias = self._check_alias(alias or self.config.default_alias)
        rules = self.rules(name)
        await self.policy.check(actor, PROMOTE, rules.env)  # a denial comes before any registry call
        gates, held = await self._evaluate(name, version, alias)
        known = self.config.known_aliases(rules.gates, held)
        if alias not in known and not new_alias:
            raise unknown_alias(name, alias, known, version)
        if new_alias and alias in known:
            raise InvalidInput(f"`{alias}` is not new on {name}", hint=f"/ops promote {name} {version} to {alias}")
        if new_alias:
            await self.policy.check(actor, CREATE_ALIAS, rules.env)
        current = held.get(alias)
        if current == version:
            raise Conflict(f"`{alias}` of {name} is already v{version}")
        reason = (override_reason or "").strip() or None
        if not all(g.passed for g in gates):
            if reason is None:
                return ChangeResult(name, alias, version, current, "promote", "blocked", gates)
            await self.policy.check(actor, OVERRIDE, rules.env)
        elif reason is not None:
            reason = None  # nothing to override: do not record an override that did not happen
        return await self._request(actor, rules, name, alias, version, current, "promote", gates, reason)

    async def rollback(self, actor: Actor, name: str, alias: str | None = None,
                       to_version: int | None = None) -> ChangeResult:
        """Return an alias to its previous holder (from history) or to a given version."""
        alias = self._check_alias(alias or self.config.default_alias)
        rules = self.rules(name)
        await self.policy.check(actor, ROLLBACK, rules.env)
        model = await self.registry.get_model(name)
        current = model.aliases.get(alias)
        if current is None and to_version is None:
            raise alias_not_found(name, alias, model.aliases)
        if to_version is None:
            changes = await self.queries.changes(name, done_only=True, alias=alias)
            to_version = previous_holder(list(reversed(changes)), current)
            if to_version is None:
                last = changes[0] if changes else None  # newest first
                why = f"no earlier holder of `{alias}` on {name} is recorded"
                if last is not None and last.from_version is not None:
                    why = (f"no earlier holder of `{alias}` on {name} is left: its last move was a {last.kind} "
                           f"v{last.from_version} -> v{last.to_version}, and a rollback only undoes promotions")
                raise Conflict(why, hint=f"name the version: /ops rollback {name} {alias} to <version>")
        if to_version == current:
            raise Conflict(f"`{alias}` of {name} is already v{to_version}")
        await self._ready_version(name, to_version)
        # Rollback restores a known state in a hurry, so gates and freeze windows do not apply.
        return await self._request(actor, rules, name, alias, to_version, current, "rollback", [], None)

    async def _request(self, actor: Actor, rules: ResolvedRules, name: str, alias: str, version: int,
                       current: int | None, action: str, gates: list[GateResult], reason: str | None) -> ChangeResult:
        decision = await self.policy.check(actor, PROMOTE if action == "promote" else ROLLBACK, rules.env)
        verb = "Promote" if action == "promote" else "Roll back"
        was = f"v{current}" if current is not None else "unset"
        title = f"{verb} {name} `{alias}` to v{version} (from {was})"  # true before and after it runs
        dry_run = gate_table(gates) if action == "promote" else f"{alias}: {was} → v{version} (rollback: gates do not apply)"
        if reason:
            dry_run += f"\nFAILED GATES OVERRIDDEN by {actor.name or actor.user_id}: {reason}"
        plan = Plan(kind=KIND, title=title[:200], env=rules.env,
                    parameters={"model": name, "alias": alias, "version": version, "action": action,
                                "override_reason": reason, "requester_name": actor.name},
                    targets={"from_version": current, "gates": [g.to_dict() for g in gates]}, dry_run=dry_run)
        row = await self.approvals.request(actor, plan, decision, rules.channel)
        if reason:
            async with self.db.session() as s:
                await self.audit.append(s, actor=actor, action="model.gates_overridden", subject=f"model:{name}",
                                        data={"request": row.id, "reason": reason, "version": version, "alias": alias,
                                              "failed": [g.gate for g in gates if not g.passed]})
        return ChangeResult(name, alias, version, current, action, row.state, gates, row.id,
                            tuple(decision.approver_roles), reason)

    async def on_webhook(self, headers: dict[str, str], body: bytes) -> bool:
        """Verify an MLflow registry webhook and wake the leased watch job; True if relevant."""
        if self.config.webhook_secret is None or not self.config.webhook_secret.get_secret_value():
            raise Forbidden("MLflow webhooks are not enabled: models.webhook_secret is not set",
                            hint="set models.webhook_secret")
        event = verify(self.config.webhook_secret.get_secret_value(), headers, body, self.clock.now())
        # The poll is the source of truth and runs only under the `models-watch` lease: a
        # webhook never looks at the registry itself, it makes the lease holder look now.
        if event.relevant and self.wake is not None:
            await self.wake()
        return event.relevant
