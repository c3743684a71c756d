"""A cascade backfilled into a real Prometheus pages through a real Alertmanager; the thread
of the incident names the true root cause, and people's verdicts reach `/ops rca stats`."""

from __future__ import annotations

import asyncio
import json
import time
import urllib.request
from datetime import datetime, timezone

import pytest

from bot.stack import start_local_stack
from engine.config import OpsbotConfig
from engine.lab.rca.demo import DEMO_GRAPH, cascade, incident_message
from engine.settings import EngineSettings
from tests.servers import start_alertmanager, start_prometheus

QUERIES = {m: f'demo_{m}{{service="{{service}}"}}' for m in ("latency", "errors", "saturation")}


def _openmetrics(columns: dict, times) -> str:
    """One family per metric with every service's series in it (families must be contiguous)."""
    lines = []
    for metric in ("latency", "errors", "saturation"):
        lines.append(f"# TYPE demo_{metric} gauge")
        for name, values in sorted(columns.items()):
            svc, _, m = name.partition("_")
            if m == metric:
                lines += [f'demo_{metric}{{service="{svc}"}} {v:.5f} {t:.0f}' for t, v in zip(times, values)]
    return "\n".join(lines) + "\n# EOF\n"


def _iso(t: float) -> str:
    return datetime.fromtimestamp(t, timezone.utc).isoformat().replace("+00:00", "Z")


@pytest.fixture
def prometheus_cascade(tmp_path):
    end = float(int(time.time()) // 60 * 60 - 60)
    case = cascade(end=end, root="payments_latency", baseline_points=70, after_points=8, seed=3)
    proc, url = start_prometheus(tmp_path, _openmetrics(case.columns, case.times))
    yield url, case
    proc.terminate()
    proc.wait(10)


async def test_hypotheses_in_the_thread_name_the_root_cause(tmp_path, prometheus_cascade):
    prom_url, case = prometheus_cascade
    config = OpsbotConfig.model_validate({
        "alerts": {"default_channel": "#incidents"},
        "rca": {"services": {s: {"depends_on": d} for s, d in DEMO_GRAPH.items()}, "queries": QUERIES,
                "auto_interval_s": 0}})
    settings = EngineSettings(OPSBOT_DATABASE_URL=f"sqlite:///{tmp_path / 'opsbot.db'}",
                              OPSBOT_PROMETHEUS_URL=prom_url)
    stack = await start_local_stack(settings, config, webhook_token="test-token")
    am, am_url = start_alertmanager(tmp_path, webhook_url=f"{stack.bot.url}/webhooks/alertmanager")
    try:
        alert = [{"labels": {"alertname": "HighLatency", "service": "frontend", "severity": "critical"},
                  "annotations": {"summary": "frontend p99 above 1 s"}, "startsAt": _iso(case.onset + 180)}]
        req = urllib.request.Request(f"{am_url}/api/v2/alerts", json.dumps(alert).encode(),
                                     {"Content-Type": "application/json"}, method="POST")
        await asyncio.to_thread(lambda: urllib.request.urlopen(req, timeout=5).read())
        ws = stack.workspace
        msg = await ws.wait_for(lambda: incident_message(ws, "incidents"), timeout=30)
        await ws.click("alice", "incidents", msg["ts"], "rca.show")
        reply = await ws.wait_for(lambda: next((r for r in ws.replies("incidents", msg["ts"])
                                                if r["text"].startswith("Hypotheses")), None), timeout=30)
        first = next(b for b in reply["blocks"][1:] if b["type"] == "section")["text"]["text"]
        assert first.startswith("*1. payments"), first
        assert "/graph?g0.expr=demo_" in json.dumps(reply["blocks"])  # evidence links to Prometheus
        assert "Would explain: checkout, frontend" in first
        # The incident message itself now names the likely cause.
        top = await ws.wait_for(lambda: next((m for m in ws.messages("incidents") if m["ts"] == msg["ts"]
                                              and "Likely cause" in json.dumps(m["blocks"])), None), timeout=15)
        assert "payments" in json.dumps(top["blocks"])
        # Wrong on #1: the reply keeps every hypothesis's buttons and its footer; the card drops the cause.
        buttons, footer = _buttons(reply), reply["blocks"][-1]["elements"]
        await ws.click("bob", "incidents", reply["ts"], "rca.wrong", value=f"{reply_id(reply)}:1")
        judged = await ws.wait_for(lambda: _reply(ws, msg["ts"], "wrong by bob"), timeout=15)
        assert _buttons(judged) == buttons and judged["blocks"][-1]["elements"] == footer
        await ws.wait_for(lambda: "Likely cause" not in json.dumps(_card(ws, msg["ts"])["blocks"]), timeout=15)
        # One vote per person, the latest wins: bob changes his mind, and the card names the cause he confirmed.
        await ws.click("bob", "incidents", reply["ts"], "rca.confirm", value=f"{reply_id(reply)}:1")
        final = await ws.wait_for(lambda: _reply(ws, msg["ts"], "confirmed by bob"), timeout=15)
        assert "wrong by bob" not in json.dumps(final["blocks"]) and _buttons(final) == buttons
        card = await ws.wait_for(lambda: (lambda c: c if "confirmed by bob" in json.dumps(c["blocks"]) else None)(
            _card(ws, msg["ts"])), timeout=15)
        assert "*Cause:* payments" in json.dumps(card["blocks"]), card["blocks"]
        # Asking again re-renders the one reply from the newest analysis: no second, identical set.
        incident_id = msg["text"].split("#")[1].split(":")[0].split()[0]
        await ws.send_slash_command("bob", "incidents", f"rca {incident_id}")
        await ws.wait_for(lambda: any("Posted" in e["text"] for e in ws.ephemerals("bob")), timeout=30)
        await asyncio.sleep(1.5)  # the outbox would have posted a second reply by now
        replies = [r for r in ws.replies("incidents", msg["ts"]) if r["text"].startswith("Hypotheses")]
        assert len(replies) == 1, [r["text"] for r in replies]
        await ws.send_slash_command("bob", "incidents", "rca stats")
        stats = await ws.wait_for(lambda: next((e for e in ws.ephemerals("bob") if "Hypotheses, last" in e["text"]),
                                               None))
        assert "top-1 confirmed 100%" in stats["text"]
    finally:
        am.terminate()
        am.wait(10)
        await stack.stop()


def reply_id(reply: dict) -> str:
    """Return the analysis id carried by the reply's Confirmed buttons."""
    for b in reply["blocks"]:
        for el in b.get("elements", []):
            if el.get("action_id") == "rca.confirm":
                return el["value"].split(":")[0]
    raise AssertionError("no Confirmed button")


def _buttons(reply: dict) -> list[list[str]]:
    """Return each actions block's button ids, in order."""
    return [[el["action_id"] for el in b["elements"]] for b in reply["blocks"] if b["type"] == "actions"]


def _reply(ws, ts: str, text: str) -> dict | None:
    """Return the hypotheses reply once it shows `text`."""
    return next((r for r in ws.replies("incidents", ts)
                 if r["text"].startswith("Hypotheses") and text in json.dumps(r["blocks"])), None)


def _card(ws, ts: str) -> dict:
    """Return the incident card as it stands."""
    return next(m for m in ws.messages("incidents") if m["ts"] == ts)
