"""The demo's seeding steps: each feature's data and clicks, run in order by `opsbot demo`."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Awaitable, Callable

from bot.stack import LocalStack
from engine.lab import SEED_WAIT_S


@dataclass
class DemoContext:
    """What a seeding step gets: the running stack and where the demo keeps its files."""

    stack: LocalStack
    data_dir: Path
    mlflow_dir: Path


Seeder = Callable[[DemoContext], Awaitable[str | None]]


async def seed_runbook_request(ctx: DemoContext) -> str:
    """Have alice ask for a production restart, which waits for a second person."""
    ws = ctx.stack.workspace
    await ws.send_slash_command("alice", "ops", "run restart-service service=checkout")
    await ws.wait_for(lambda: any("restart-service" in m.get("text", "") for m in ws.messages("ops")),
                      timeout=SEED_WAIT_S)
    return "alice asked to restart `checkout` in #ops: switch to bob and approve it"


async def _until(predicate: Callable[[], object], timeout: float, what: str) -> Any:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not (found := predicate()):
        if loop.time() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        await asyncio.sleep(0.2)
    return found


async def wait_until_posted(outbox: Any, timeout: float = 120) -> None:
    """Wait until every seeded message is in the workspace, so the first click is answered at once.

    The seeds queue dozens of posts and edits, paced at Slack's one per second per channel; a
    click made before they drain would wait behind them.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while await outbox.depth() and loop.time() < deadline:
        await asyncio.sleep(0.5)
    if left := await outbox.depth():
        print(f"  {left} seeded message(s) still queued for the workspace; they arrive in the next seconds", flush=True)


async def seed_models(ctx: DemoContext) -> str:
    """A nightly retrain registers churn vN (announced with Promote buttons); alice tries a weak v3."""
    from engine.lab.demo_models import register_retrained

    eng, ws = ctx.stack.bot.engine, ctx.stack.workspace
    watch = eng.scheduler.jobs["models-watch"]
    await _until(lambda: watch.runs >= 1, SEED_WAIT_S, "the registry watch to learn the registry")
    # One promotion Opsbot recorded (v1 -> v2, approved by bob) gives history and rollback a past.
    await ws.send_slash_command("alice", "ml-models", "promote churn 2")
    try:
        request = await _until(lambda: next((m for m in ws.messages("ml-models")
                                             if "approval_approve" in str(m.get("blocks"))), None), SEED_WAIT_S,
                               "the approval request for churn v2")
    except TimeoutError as exc:  # say what alice was told, if anything
        told = [e.get("text", "") for e in ws.ephemerals("alice", "ml-models")]
        raise TimeoutError(f"{exc}; alice was told: {told[-1] if told else 'nothing'}") from None
    await ws.click("bob", "ml-models", request["ts"], "approval_approve")
    await _until(lambda: any("from v1 to v2" in m.get("text", "") for m in ws.messages("ml-models")), SEED_WAIT_S,
                 "the approved promotion of churn v2 to finish")
    version = await asyncio.to_thread(register_retrained, ctx.mlflow_dir)
    await _until(lambda: any(f"v{version}" in m.get("text", "") for m in ws.messages("ml-models")), SEED_WAIT_S,
                 f"the announcement of churn v{version}")
    await ws.send_slash_command("alice", "ml-models", "promote churn 3")
    return (f"churn v1 -> v2 promoted (approved by bob); v{version} announced in #ml-models (try Promote "
            f"to champion, approve as bob, then "
            f"`/ops rollback churn`); alice's `/ops promote churn 3` failed its gates")


async def seed_drift(ctx: DemoContext) -> str:
    """Drifted churn data with a scheduled check that posts its summary to #ml-models."""
    from engine.lab.drift.demo import seed_drift_demo

    return await seed_drift_demo(ctx.stack, ctx.data_dir)


async def seed_alerts(ctx: DemoContext) -> str:
    """Post a seeded alert storm through the real webhooks; it collapses into a few incidents."""
    from engine.lab.alerts.demo import seed_alert_storm

    return await seed_alert_storm(ctx.stack)


async def seed_corrections(ctx: DemoContext) -> str:
    """Split one storm incident and merge another, clicking the buttons as people do."""
    from engine.lab.alerts.demo import seed_corrections as seed

    return await seed(ctx.stack)


async def seed_anomaly(ctx: DemoContext) -> str:
    """The replayed checkout latency jumps: its anomaly becomes an incident with evidence in #incidents."""
    from engine.lab.anomaly.demo import seed_anomaly_demo

    return await seed_anomaly_demo(ctx.stack)


def seeders() -> list[tuple[str, Seeder]]:
    """Return each feature's demo seeding step, in the order they run."""
    return [("runbook approval", seed_runbook_request), ("models", seed_models), ("drift", seed_drift)] + [
        ("hypotheses", seed_rca)] + [("incident command", seed_incident_command)] + [
        ("alert storm", seed_alerts), ("grouping corrections", seed_corrections)] + [("anomaly watch", seed_anomaly)] + [
        ("auto-remediation", seed_auto)]


async def seed_incident_command(ctx: DemoContext) -> str:
    """The cascade's incident gets a channel, a confirmed cause, a resolve and a postmortem draft."""
    from engine.lab.incident_command import seed_incident_command as seed

    return await seed(ctx)


async def seed_auto(ctx: DemoContext) -> str:
    """Seed a trigger in shadow mode and one in auto mode, each with its incident."""
    from engine.lab.auto.demo import seed_auto_demo

    return await seed_auto_demo(ctx.stack)


async def seed_rca(ctx: DemoContext) -> str:
    """A db saturation cascade pages the frontend; alice asks for hypotheses in its thread."""
    from engine.lab.rca.demo import seed_rca_demo

    channel = ctx.stack.bot.engine.config.alerts.default_channel.lstrip("#")
    return await seed_rca_demo(ctx, channel if channel != "alerts" else "incidents")
