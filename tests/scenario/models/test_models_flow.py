"""New version -> notification -> promote button -> gate diff -> second person approves ->
alias moved in a real MLflow -> `/ops rollback`, through the local workspace over HTTP."""

from __future__ import annotations

import asyncio
import uuid

from mlflow import MlflowClient


from bot.stack import start_local_stack
from engine.config import OpsbotConfig
from engine.models.config import ModelsConfig
from engine.policy import PolicyConfig
from engine.settings import EngineSettings
from tests.conftest_mlflow import mlflow_server_uri, register_sklearn_versions

POLICY = PolicyConfig.model_validate({
    "roles": {"ml": {"users": ["U0ALICE", "U0BOB"]}},
    "rules": [{"action": "model:promote", "env": "*", "roles": ["ml"], "effect": "approval",
               "approval": {"approver_roles": ["ml"], "approvals": 1}},
              {"action": "model:rollback", "env": "*", "roles": ["ml"], "effect": "allow"}]})
CONFIG = ModelsConfig.model_validate({"defaults": {"channel": "ml-models", "gates": {"champion": [
    "auc >= champion.auc - 0.002", "validation_status == passed"]}}})
V1 = {"metrics": {"auc": 0.91, "latency_p95_ms": 40.0}, "tags": {"validation_status": "passed"}, "C": 0.1}
V2 = {"metrics": {"auc": 0.95, "latency_p95_ms": 41.0}, "tags": {"validation_status": "passed"}, "C": 1.0}


async def alias_becomes(client: MlflowClient, name: str, want: dict, timeout: float = 30.0) -> bool:
    """Poll MLflow (off the loop, so the bot keeps running) until the aliases equal `want`."""
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        if (await asyncio.to_thread(client.get_registered_model, name)).aliases == want:
            return True
        await asyncio.sleep(0.2)
    return False


def text_of(message: dict) -> str:
    """Return everything a person reads in a message."""
    return str(message.get("text", "")) + str(message.get("blocks", ""))


async def test_new_version_promote_approve_rollback(tmp_path) -> None:
    uri = mlflow_server_uri()
    name = f"churn-{uuid.uuid4().hex[:6]}"
    await asyncio.to_thread(register_sklearn_versions, uri, name, [V1])
    client = MlflowClient(uri)
    client.set_registered_model_alias(name, "champion", "1")

    config = OpsbotConfig(policy=POLICY, models=CONFIG.model_copy(update={
        "tracking_uri": uri, "timeout_seconds": 30, "watch_interval_seconds": 3600}))
    stack = await start_local_stack(EngineSettings(OPSBOT_DATABASE_URL=f"sqlite:///{tmp_path / 'o.db'}"), config)
    try:
        ws, rt = stack.workspace, stack.bot
        eng = rt.engine
        svc = eng.models
        # The scheduled watch learns the registry once at start (silently); then we drive it by hand.
        watch = eng.scheduler.jobs["models-watch"]
        for _ in range(600):
            if watch.runs >= 1:
                break
            await asyncio.sleep(0.1)
        assert watch.runs >= 1, "the registry watch never ran"
        await asyncio.to_thread(register_sklearn_versions, uri, name, [V2])
        report = await svc.watch_job(eng.clock.now())
        assert report.new_versions == 1

        def find(pred):
            return next((m for m in ws.messages("ml-models") if pred(text_of(m))), None)

        notice = await ws.wait_for(lambda: find(lambda t: f"New version: {name} v2" in t), timeout=15)
        assert "0.95" in text_of(notice) and "Promote to champion" in text_of(notice)

        # A typo in the alias is refused before any gate or approval: no `champoin` can appear.
        typo = await ws.send_slash_command("alice", "ml-models", f"promote {name} 2 to champoin")
        assert "did you mean `champion`?" in text_of(typo.json or {}) or any(
            "did you mean `champion`?" in text_of(e) for e in ws.ephemerals("alice"))
        assert not find(lambda t: "champoin" in t)

        await ws.click("alice", "ml-models", notice["ts"], "models_promote_champion")
        # The gate diff answers alice alone; the channel has one living message, the approval card.
        diff = await ws.wait_for(lambda: next((e for e in ws.ephemerals("alice")
                                               if "Sent for approval" in text_of(e)), None), timeout=15)
        assert not find(lambda t: "Sent for approval" in t)
        assert "auc" in text_of(diff) and ":white_check_mark:" in text_of(diff)
        assert client.get_registered_model(name).aliases == {"champion": "1"}  # not before approval

        request = await ws.wait_for(lambda: next((m for m in ws.messages("ml-models")
                                                  if "approval_approve" in str(m.get("blocks"))), None), timeout=15)
        await ws.click("alice", "ml-models", request["ts"], "approval_approve")  # her own request
        refusal = await ws.wait_for(lambda: next((e for e in ws.ephemerals("alice")
                                                  if "cannot approve" in text_of(e)), None), timeout=15)
        assert refusal is not None and client.get_registered_model(name).aliases == {"champion": "1"}
        await ws.click("bob", "ml-models", request["ts"], "approval_approve")
        assert await alias_becomes(client, name, {"champion": "2"})
        await eng.approvals.wait_idle()
        assert client.get_model_version(name, "2").tags["opsbot.previous_champion"] == "1"
        # The announcement is a view of the registry: v2 is champion now, so it no longer offers that.
        card = await ws.wait_for(lambda: find(lambda t: f"New version: {name} v2" in t and "now champion" in t),
                                 timeout=15)
        assert "models_promote_champion" not in str(card["blocks"]) and "models_promote_challenger" in str(card["blocks"])

        await ws.send_slash_command("bob", "ml-models", f"rollback {name}")
        await ws.wait_for(lambda: find(lambda t: "Roll back" in t), timeout=15)
        assert await alias_becomes(client, name, {"champion": "1"})
        await eng.approvals.wait_idle()

        await ws.send_slash_command("alice", "ml-models", f"history {name}")
        shown = await ws.wait_for(lambda: next((e for e in ws.ephemerals("alice") if "History of" in text_of(e)), None),
                                  timeout=15)
        assert "rollback" in text_of(shown) and "approved by bob" in text_of(shown)
    finally:
        await stack.stop()
