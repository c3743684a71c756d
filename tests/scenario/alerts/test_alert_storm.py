"""A generated storm posted through the real webhooks collapses into one living message per incident."""

from __future__ import annotations

import pytest

from bot.stack import start_local_stack
from engine.lab.alerts.storm import StormParams, deliveries, header
from engine.config import OpsbotConfig
from engine.settings import EngineSettings
from tests.scenario.alerts.conftest import TOKEN, incident_messages, post_webhook

PATHS = {"alertmanager": "/webhooks/alertmanager", "generic": "/webhooks/alerts"}


@pytest.mark.parametrize("seed", [1, 2])
async def test_storm_collapses_into_one_message_per_incident(tmp_path, seed):
    p = StormParams(seed=seed, layers=[2, 3, 4], cascades=3, noise=2, duration_s=1800, instances=(2, 4))
    config = OpsbotConfig.model_validate({"alerts": {
        **header(p)["alerts_config"], "default_channel": "#ops",
        "routes": [{"match": {"severity": "critical"}, "channel": "#incidents"}]}})
    settings = EngineSettings(OPSBOT_DATABASE_URL=f"sqlite:///{tmp_path / 'opsbot.db'}")
    stack = await start_local_stack(settings, config, webhook_token=TOKEN)
    try:
        fingerprints = set()
        for d in deliveries(p):
            for a in d["body"]["alerts"]:
                a.pop("incident_truth")  # the pipeline never sees the truth
                fingerprints.add(a.get("fingerprint") or a["labels"]["alertname"] + str(sorted(a["labels"].items())))
            status, doc = await post_webhook(stack, d["body"], PATHS[d["source"]])
            assert status == 200, doc
        incidents = await stack.bot.engine.alerts.queries.incidents("all", limit=500)
        posted = {i.id: i.channel for i in incidents if i.posted}
        assert posted and len(incidents) < len(fingerprints) / 3  # a storm, not a page per alert

        def shown() -> dict[str, list[str]]:
            return {ch: [m["metadata"]["event_payload"]["key"] for m in incident_messages(stack, ch)]
                    for ch in ("#incidents", "#ops")}
        await stack.workspace.wait_for(lambda: sum(map(len, shown().values())) >= len(posted), timeout=30)
        keys = shown()
        flat = keys["#incidents"] + keys["#ops"]
        assert sorted(flat) == sorted(f"incident:{i}" for i in posted)  # exactly one message each
        for inc_id, channel in posted.items():
            assert f"incident:{inc_id}" in keys[channel]  # in the channel its route chose
    finally:
        await stack.stop()
