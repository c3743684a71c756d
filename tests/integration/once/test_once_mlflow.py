"""MLflow registry changes are recorded once: a real `mlflow server` delivers its own webhooks to
two replicas on PostgreSQL (each change arrives twice), the watch polls meanwhile, and cycles
overlap on purpose; every alias move gives one history row, one audit event and one message."""

from __future__ import annotations

import asyncio
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from bot.stack import start_local_stack
from bot.workspace import WorkspaceConfig
from engine.audit.tables import AuditEvent
from engine.config import OpsbotConfig
from engine.errors import InvalidInput
from engine.models.cli import Target, create, list_hooks, send_test
from engine.models.config import ModelsConfig
from engine.models.tables import AliasChange, WatchState
from engine.settings import EngineSettings
from tests.conftest_mlflow import mlflow_server_uri

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

SECRET = "once-" + uuid.uuid4().hex
MODELS, ALIASES = 4, 5  # 20 aliases set at the same instant


async def _until(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not await predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.2)


async def _counts(db, prefix: str) -> tuple[int, int, int]:
    async with db.session() as s:
        changes = (await s.execute(select(func.count()).select_from(AliasChange).where(
            AliasChange.kind == "outside", AliasChange.model.startswith(prefix)))).scalar_one()
        audits = (await s.execute(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "model.alias_moved_outside", AuditEvent.subject.startswith(f"model:{prefix}")))).scalar_one()
        distinct = (await s.execute(select(func.count()).select_from(
            select(AliasChange.model, AliasChange.alias, AliasChange.to_version).where(
                AliasChange.kind == "outside", AliasChange.model.startswith(prefix)).distinct().subquery()))).scalar_one()
    return changes, audits, distinct


def _posts(ws, prefix: str) -> list[str]:
    return [w["key"] for w in ws.writes if w["method"] == "post" and (w["key"] or "").startswith(f"model:{prefix}")]


def _set_aliases(uri: str, moves: list[tuple[str, str, int]]) -> None:
    from mlflow import MlflowClient

    client = MlflowClient(uri, registry_uri=uri)
    with ThreadPoolExecutor(len(moves)) as pool:  # all at once, as a pipeline promoting in bulk would
        list(pool.map(lambda m: client.set_registered_model_alias(*m), moves))


async def test_webhooks_polls_and_replicas_record_each_alias_move_once(pg_url):
    from mlflow import MlflowClient

    uri = await asyncio.to_thread(mlflow_server_uri)
    prefix = f"once{uuid.uuid4().hex[:6]}"
    client = MlflowClient(uri, registry_uri=uri)
    names = [f"{prefix}-{m}" for m in range(MODELS)]
    for name in names:
        client.create_registered_model(name)
        for _ in range(3):
            client.create_model_version(name, source=f"s3://bucket/{name}")
    config = OpsbotConfig(models=ModelsConfig(tracking_uri=uri, webhook_secret=SECRET, watch_interval_seconds=5))
    # Slack's pace (1 post/s) is not what this test is about: 20/s keeps it short.
    ws_config = WorkspaceConfig(signing_secret="", bot_token="", rate_per_second=20.0, rate_burst=5)
    stack = await start_local_stack(EngineSettings(OPSBOT_DATABASE_URL=pg_url), config, workspace_config=ws_config)
    hooks: list[str] = []
    try:
        other = await stack.add_replica(config)
        replicas = [stack.bot, other]
        for r in replicas:
            r.notifier.rate, r.notifier.burst = 20.0, 5.0
        db = stack.bot.engine.db

        async def adopted() -> bool:
            async with db.session() as s:
                return len((await s.execute(select(WatchState.model).where(
                    WatchState.model.startswith(prefix)))).all()) == MODELS
        await _until(adopted, 30, "the first watch cycle")
        target = Target(uri, SECRET)
        for i, r in enumerate(replicas):  # one webhook per replica: every change is delivered twice
            hooks.append(await asyncio.to_thread(create, target, r.url, f"{prefix}-{i}", lambda _: None))
        assert await asyncio.to_thread(list_hooks, target, lambda _: None) >= 2
        # This server allows only http:// (tests/conftest_mlflow.py): a refusal names the settings.
        with pytest.raises(InvalidInput) as refused:
            await asyncio.to_thread(create, target, "https://opsbot.example.com", f"{prefix}-x", lambda _: None)
        assert "scheme" in refused.value.message and "MLFLOW_WEBHOOK_ALLOWED_SCHEMES" in (refused.value.hint or "")
        assert await asyncio.to_thread(send_test, target, hooks[0], "", lambda _: None)  # signed, accepted
        await asyncio.sleep(1.5)  # the server's webhook cache (1 s in tests) sees the new webhooks

        def received() -> float:
            return sum(r.deps.metrics.webhook_received.labels("mlflow")._value.get() for r in replicas)
        before = received()
        moves = [(name, f"a{k}", 1 + k % 3) for name in names for k in range(ALIASES)]
        await asyncio.to_thread(_set_aliases, uri, moves)

        async def settled() -> bool:
            return (await _counts(db, prefix))[0] >= len(moves) and received() - before >= 2 * len(moves)
        await _until(settled, 40, "20 alias moves recorded and 40 deliveries")
        await _until(lambda: _drained(stack), 30, "the outbox")
        await asyncio.sleep(5.5)  # one more poll interval: a late duplicate would show now
        assert await _counts(db, prefix) == (len(moves), len(moves), len(moves))
        keys = _posts(stack.workspace.workspace, prefix)
        assert len(keys) == len(moves) == len(set(keys))

        # Overlapping cycles on both replicas (as during a lease handover) while MLflow delivers
        # webhooks for ten more moves: still one record each.
        again = [(name, f"a{k}", 1 + (k + 1) % 3) for name in names[:2] for k in range(ALIASES)]
        services = [r.engine.models for r in replicas]
        now = stack.bot.engine.clock.now()
        await asyncio.gather(asyncio.to_thread(_set_aliases, uri, again),
                             *(svc.watch.run(now) for svc in services for _ in range(4)))
        await asyncio.gather(*(svc.watch.run(now) for svc in services for _ in range(4)))
        total = len(moves) + len(again)
        assert await _counts(db, prefix) == (total, total, total)
        await _until(lambda: _drained(stack), 30, "the outbox")
        keys = _posts(stack.workspace.workspace, prefix)
        assert len(keys) == total == len(set(keys))
    finally:
        for hook in hooks:
            await asyncio.to_thread(client.delete_webhook, hook)
        await stack.stop()


async def _drained(stack) -> bool:
    return await stack.bot.engine.outbox.depth() == 0
