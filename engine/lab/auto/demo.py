"""Demo data for auto-remediation: one trigger in shadow mode, one in auto mode, and an incident for each."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import aiohttp

SHADOW_RUNBOOK = """\
name: flush-cache
description: Flush a service's read cache when its hit rate collapses (shadow mode while the team watches it).
environment: production
parameters:
  service: {type: string, pattern: "^[a-z][a-z0-9-]{0,39}$"}
triggers:
  - name: hit-rate-low
    alert: {labels: {alertname: CacheHitRateLow}, severity: [warning, critical], for: 2m}
steps:
  - name: flush
    type: command
    argv: [%(python)s, -c, "import sys; print('flushing cache of', sys.argv[1])", "${service}"]
    reversible: true
verify:
  - {name: health, type: http, method: GET, url: %(health_url)s, expect_status: [200], read_only: true}
rollback:
  - {name: warm, type: command, argv: [%(python)s, -c, "print('re-warming cache')"], reversible: true}
"""

AUTO_RUNBOOK = """\
name: restart-worker
description: Restart a stuck queue worker, check the service answers, and undo on a failed check.
environment: production
parameters:
  service: {type: string, pattern: "^[a-z][a-z0-9-]{0,39}$"}
triggers:
  - name: worker-stuck
    alert: {labels: {alertname: WorkerStuck}, severity: [critical], for: 1m}
    mode: auto
steps:
  - name: restart
    type: command
    argv: [%(python)s, -c, "import sys, time; print('restarting', sys.argv[1]); time.sleep(1); print('up')", "${service}"]
    reversible: true
verify:
  - {name: health, type: http, method: GET, url: %(health_url)s, expect_status: [200], read_only: true}
rollback:
  - name: previous
    type: command
    argv: [%(python)s, -c, "import sys; print('back to the previous worker of', sys.argv[1])", "${service}"]
    reversible: true
"""

# What the demo's policy adds: the auto runbook may run by itself in production; sre flips the switch
# and asks for promotions, which another sre approves.
POLICY_RULES: list[dict[str, Any]] = [
    {"action": "runbook:restart-worker", "env": "production", "effect": "auto"},
    {"action": "auto:pause", "env": "*", "roles": ["sre"], "effect": "allow"},
    {"action": "auto:promote", "env": "*", "roles": ["sre"], "effect": "approval",
     "approval": {"approver_roles": ["sre"], "approvals": 1}},
]
AUTO_CONFIG = {"interval_s": 2.0, "channel": "ops"}


def write_auto_runbooks(folder: Path, python: str, health_url: str) -> None:
    """Write the two demo runbooks with triggers."""
    values = {"python": json.dumps(python), "health_url": json.dumps(health_url)}
    (folder / "flush-cache.yaml").write_text(SHADOW_RUNBOOK % values)
    (folder / "restart-worker.yaml").write_text(AUTO_RUNBOOK % values)


def _body(alertname: str, service: str, severity: str, minutes_ago: float) -> dict[str, Any]:
    start = (datetime.now(timezone.utc) - timedelta(minutes=minutes_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")
    alert = {"status": "firing", "labels": {"alertname": alertname, "service": service, "severity": severity},
             "annotations": {"summary": f"{alertname} on {service}"}, "startsAt": start,
             "endsAt": "0001-01-01T00:00:00Z", "generatorURL": "", "fingerprint": f"demo-{alertname}-{service}"}
    return {"receiver": "opsbot", "status": "firing", "alerts": [alert], "groupLabels": {}, "commonLabels": {},
            "commonAnnotations": {}, "externalURL": "http://alertmanager.demo", "version": "4",
            "groupKey": f"demo-auto-{alertname}-{service}", "truncatedAlerts": 0}


async def seed_auto_demo(stack: Any) -> str:
    """Post one incident per trigger through the webhook and wait: a shadow note, then an automatic run."""
    token = stack.bot_settings.webhook_token
    if token is None:
        raise RuntimeError("the demo stack has no OPSBOT_WEBHOOK_TOKEN")
    headers = {"Authorization": f"Bearer {token.get_secret_value()}"}
    async with aiohttp.ClientSession() as http:
        for body in (_body("CacheHitRateLow", "search-cache", "warning", 6),
                     _body("WorkerStuck", "billing-worker", "critical", 4)):
            async with http.post(stack.bot.url + "/webhooks/alertmanager", json=body, headers=headers) as r:
                if r.status != 200:
                    raise RuntimeError(f"webhook refused the demo alert: {r.status} {await r.text()}")
    auto = stack.bot.engine.auto
    from engine.auto import store

    async def settled() -> bool:
        fires = await store.fires(auto.db)
        return any(f.mode == "shadow" for f in fires) and any(f.mode == "auto" and f.outcome for f in fires)
    for _ in range(150):  # the leased auto-evaluate job fires them within seconds
        if await settled():
            break
        await asyncio.sleep(0.2)
    else:
        raise RuntimeError("the demo triggers did not fire within 30 s")
    fires = await store.fires(auto.db)
    ran = next((f for f in fires if f.mode == "auto"), None)
    return (f"{len(fires)} trigger firings: flush-cache/hit-rate-low in shadow mode (its thread says what would "
            f"have run; `/ops auto report`), restart-worker/worker-stuck ran by itself"
            + (f" ({ran.outcome or 'running'}, incident #{ran.incident_id})" if ran else ""))
