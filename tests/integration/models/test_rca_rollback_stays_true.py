"""A hypotheses reply that offers "Roll back churn champion" stops offering it once the alias moved on,
and says what moved it, on SQLite and PostgreSQL. The engine is built from settings (build_engine)."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path

import yaml

from engine.adapters.memory_registry import MemoryRegistry
from engine.config import load_config
from engine.settings import EngineSettings
from engine.wiring import build_engine
from tests.integration.models.conftest import BOB, CONFIG, LEAD, POLICY_YAML, notices, seed


def _replay(path: Path, start: float) -> None:
    """Write two hours of churn-api latency, flat until the last 20 minutes, then four times higher."""
    rows = ["time,churn-api_latency"]
    for i in range(120):
        t = start + 60 * i
        rows.append(f"{t:.0f},{(400.0 if i >= 100 else 100.0) + (i % 3)}")
    path.write_text("\n".join(rows) + "\n")


def _alert(service: str, starts: str) -> bytes:
    item = {"status": "firing", "labels": {"alertname": "HighLatency", "service": service, "severity": "critical"},
            "annotations": {}, "startsAt": starts, "endsAt": "0001-01-01T00:00:00Z", "generatorURL": "",
            "fingerprint": f"lat-{service}"}
    return json.dumps({"receiver": "opsbot", "status": "firing", "alerts": [item], "groupLabels": {},
                       "commonLabels": {}, "commonAnnotations": {}, "externalURL": "http://am:9093",
                       "version": "4", "groupKey": "g", "truncatedAlerts": 0}).encode()


async def _reply(db) -> dict:
    """Return the newest hypotheses reply queued."""
    return (await notices(db, "rca/hypotheses"))[-1].context


async def _churn_engine(db, folder: Path, engines, rca: dict | None = None):
    """Build the engine from settings (an opsbot.yaml with the policy and `rca`, the registry twin as the
    registry port's adapter) with churn's champion moved to v1, then to v2, by lee."""
    path = folder / f"opsbot-{uuid.uuid4().hex[:8]}.yaml"
    path.write_text(yaml.safe_dump({"environment": "production", "policy": POLICY_YAML, **({"rca": rca} if rca else {})}))
    settings = EngineSettings(OPSBOT_DATABASE_URL=db.url, OPSBOT_CONFIG=str(path), MLFLOW_TRACKING_URI="")
    reg = MemoryRegistry()
    seed(reg, "churn")
    eng = await engines(build_engine(settings, load_config(settings.config_path).model_copy(update={"models": CONFIG}),
                                     model_registry=reg))
    assert eng.models is not None
    for v in (1, 2):  # lee may move production aliases directly
        await eng.models.promote(LEAD, "churn", v)
        await eng.approvals.wait_idle()
    return eng, reg


async def test_a_rollback_button_goes_once_the_alias_moved_on(db, tmp_path: Path, engines) -> None:
    now = time.time()
    csv = tmp_path / "signals.csv"
    _replay(csv, now - 100 * 60 + 120)  # the latency jumps two minutes after the promotions below
    eng, _ = await _churn_engine(db, tmp_path, engines, rca={"replay_csv": str(csv), "models": {"churn": "churn-api"},
                                                            "auto_interval_s": 0})
    await eng.alerts.receive("alertmanager", _alert("churn-api", time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                                                              time.gmtime(now + 180))))
    (inc,) = await eng.alerts.queries.incidents("open")
    await eng.rca.analyse(inc.id)
    top = (await _reply(db))["hypotheses"][0]
    assert top["change"]["model"] == "churn" and top["since_then"] is None
    assert top["change"]["description"] == "churn champion v1 -> v2 by lee"
    assert "models_rollback" in [b["action_id"] for b in top["buttons"]]

    # bob rolls champion back from the model commands, not from this reply: the reply follows.
    await eng.models.rollback(BOB, "churn")
    await eng.approvals.wait_idle()
    top = (await _reply(db))["hypotheses"][0]
    assert "models_rollback" not in [b["action_id"] for b in top["buttons"]]
    assert top["since_then"].startswith("`champion` moved to v1 (rollback by bob")
    assert [b["action_id"] for b in top["buttons"]][:2] == ["rca.confirm", "rca.wrong"]


async def test_a_reply_that_no_longer_renders_does_not_undo_the_alias_move(db, tmp_path: Path, engines) -> None:
    from engine.core.outbox_tables import OutboxItem
    from engine.rca.tables import AnalysisRow

    eng, reg = await _churn_engine(db, tmp_path, engines)
    # A stored analysis pointing at churn whose hypothesis the reply can no longer read.
    async with eng.db.session() as s:
        now = eng.clock.now()
        row = AnalysisRow(incident_id=1, created_at=now, onset=now, hypotheses=[
            {"name": "x", "change": {"model": "churn", "alias": "champion", "to_version": 2}}])
        s.add(row)
        await s.flush()
        s.add(OutboxItem(key="incident:1:rca", channel="ops", template="rca/hypotheses",
                         context={"analysis_id": row.id}, created_at=now, due_at=now))
    await eng.models.rollback(BOB, "churn")
    await eng.approvals.wait_idle()
    assert (await reg.get_model("churn")).aliases == {"champion": 1}
