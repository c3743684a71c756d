"""Demo data for alerts: a seeded storm over a small service graph, posted through the real webhooks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

import aiohttp

from engine.lab.alerts.storm import StormParams, deliveries, header
from engine.lab import SEED_WAIT_S

# Fixed seed: every demo shows the same storm, cascades over a 9-service graph plus noise,
# chosen to collapse into a few incidents when replayed at once (about 80 alerts -> 3).
DEMO_STORM = StormParams(seed=5, layers=[2, 3, 4], cascades=4, noise=3, duration_s=1800.0,
                         instances=(4, 8), hop_delay_s=(10.0, 60.0), recurrence_gap_s=600.0)
# Replay only the storm's first 20 minutes: causes are still firing, so the incidents stay
# open and their buttons have something to act on.
REPLAY_S = 1200.0
PATHS = {"alertmanager": "/webhooks/alertmanager", "generic": "/webhooks/alerts"}


def demo_alerts_config() -> dict[str, Any]:
    """Return the demo's `alerts:` section: the storm's service graph and its routes."""
    return {**header(DEMO_STORM)["alerts_config"], "default_channel": "#incidents",
            "routes": [{"match": {"severity": "info"}, "channel": "#ops"}]}


@dataclass
class Replay:
    """What a replay sent: webhook deliveries and distinct alerts."""

    deliveries: int
    alerts: int


async def post_storm(base_url: str, token: str, params: StormParams = DEMO_STORM,
                     replay_s: float = REPLAY_S, now: datetime | None = None) -> Replay:
    """POST a storm's deliveries up to `replay_s` into it, as if it started `replay_s` ago."""
    now = now or datetime.now(timezone.utc)
    base = now - timedelta(seconds=replay_s)
    sent, alerts = 0, set()
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    async with aiohttp.ClientSession() as http:
        for d in deliveries(params, base):
            if datetime.fromisoformat(d["at"].replace("Z", "+00:00")) > now:
                break  # the rest of the storm has not happened yet
            for a in d["body"]["alerts"]:
                a.pop("incident_truth", None)  # labelled for evaluation; Opsbot never sees it
                alerts.add(tuple(sorted(a["labels"].items())))
            async with http.post(base_url + PATHS[d["source"]], json=d["body"], headers=headers) as r:
                if r.status != 200:
                    raise RuntimeError(f"webhook refused the storm: {r.status} {await r.text()}")
            sent += 1
    return Replay(sent, len(alerts))


async def seed_alert_storm(stack: Any, params: StormParams = DEMO_STORM, replay_s: float = REPLAY_S) -> str:
    """Post the demo storm through the bot's webhooks and wait for its incident messages."""
    token = stack.bot_settings.webhook_token
    if token is None:
        raise RuntimeError("the demo stack has no OPSBOT_WEBHOOK_TOKEN")
    queries = stack.bot.engine.alerts.queries
    before = max((i.id for i in await queries.incidents("all", limit=1)), default=0)  # other seeds' incidents
    replay = await post_storm(stack.bot.url, token.get_secret_value(), params, replay_s)
    incidents = [i for i in await queries.incidents("all", limit=500) if i.posted and i.id > before]
    channels = sorted({i.channel for i in incidents})

    keys = {f"incident:{i.id}" for i in incidents}
    silence = "Silence in Alertmanager, " if stack.bot.engine.config.alerts.alertmanager_url else ""

    def shown() -> int:
        return sum(1 for ch in channels for m in stack.workspace.messages(ch)
                   if (m.get("metadata") or {}).get("event_payload", {}).get("key") in keys)
    await stack.workspace.wait_for(lambda: shown() >= len(keys), timeout=SEED_WAIT_S)
    return (f"{replay.alerts} alerts in {replay.deliveries} webhook deliveries -> {len(incidents)} incidents "
            f"in {', '.join(channels)} (try Acknowledge, Snooze, {silence}a suggested runbook, `/ops why <id>`)")


def _card(stack: Any, channel: str, incident_id: int) -> dict[str, Any] | None:
    for m in stack.workspace.messages(channel):
        if (m.get("metadata") or {}).get("event_payload", {}).get("key") == f"incident:{incident_id}":
            return m  # type: ignore[no-any-return]
    return None


async def seed_corrections(stack: Any, user: str = "alice") -> str:
    """Click Split… and Merge into… on the storm's incidents as a person would, through the workspace."""
    engine, ws = stack.bot.engine, stack.workspace
    graph = header(DEMO_STORM)["alerts_config"]["depends_on"]
    storm = set(graph) | {d for deps in graph.values() for d in deps}
    # Only the storm's incidents: other seeds' incidents (RCA's cascade) keep their demo.
    open_now = sorted((i for i in await engine.alerts.queries.incidents("open", limit=50)
                       if i.services and set(i.services) <= storm), key=lambda i: (-i.alert_count, i.id))
    if len(open_now) < 2 or open_now[0].alert_count < 2:
        return "skipped: the storm left fewer than two open incidents"
    big = open_now[0]
    card = await ws.wait_for(lambda: _card(stack, big.channel, big.id), timeout=SEED_WAIT_S)
    await ws.click(user, big.channel, card["ts"], "alerts.split")
    view = await ws.wait_for(lambda: ws.open_view(user), timeout=SEED_WAIT_S)
    options = [(o["text"]["text"].split(" ")[0], o["value"]) for o in view["blocks"][1]["element"]["options"]]
    # The alerts of the last key listed (name@service): a part of the incident, never all of it.
    picked = [value for key, value in options if key == options[-1][0]]
    if len(picked) == len(options):
        picked = picked[:1]
    await ws.submit_view(user, {"alerts": picked})
    if ws.open_view(user) is not None:
        raise RuntimeError(f"the Split… form refused the demo's choice: {ws.view_errors(user)}")
    # Merge the smallest other incident into the split one's remainder.
    small = open_now[-1]
    card = await ws.wait_for(lambda: _card(stack, small.channel, small.id), timeout=SEED_WAIT_S)
    await ws.click("bob", small.channel, card["ts"], "alerts.merge")
    await ws.wait_for(lambda: ws.open_view("bob"), timeout=SEED_WAIT_S)
    await ws.submit_view("bob", {"target": str(big.id)})
    if ws.open_view("bob") is not None:
        raise RuntimeError(f"the Merge into… form refused the demo's choice: {ws.view_errors('bob')}")
    await ws.wait_for(lambda: (_card(stack, small.channel, small.id) or {}).get("text", "").startswith(
        f"[merged into #{big.id}]"), timeout=SEED_WAIT_S)
    return (f"{user} split {len(picked)} alert(s) out of incident #{big.id}; bob merged #{small.id} into "
            f"#{big.id} (try Split… and Merge into… on any open incident, then `/ops stats`)")
