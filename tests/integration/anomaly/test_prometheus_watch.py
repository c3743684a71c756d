"""A watch against a real Prometheus backfilled with a NAB series: the anomaly reaches Slack."""

from __future__ import annotations

import csv
import time
from datetime import datetime
from pathlib import Path

import pytest

from bot.stack import start_local_stack
from engine.config import OpsbotConfig
from engine.settings import EngineSettings
from tests.servers import openmetrics, start_prometheus

NAB = Path(__file__).resolve().parents[2] / "fixtures" / "nab" / "data" / "realAdExchange"
LAST_ROW = 298  # two hours after NAB's labelled anomaly of 2011-07-14 (window 07-13 09:15..07-15 11:15)


def nab_points(name: str, rows: int, end: float) -> list[tuple[float, float]]:
    """Return the first `rows` points of a NAB file shifted so the last one lands at `end`."""
    with (NAB / name).open() as fh:
        data = [(datetime.fromisoformat(r["timestamp"]).timestamp(), float(r["value"])) for r in csv.DictReader(fh)]
    data = data[:rows]
    shift = end - data[-1][0]
    return [(t + shift, v) for t, v in data]


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("prom-anomaly")
    end = (time.time() // 3600 - 1) * 3600  # hourly NAB file: keep points on the hour grid
    points = nab_points("exchange-3_cpc_results.csv", LAST_ROW + 1, end)
    proc, url = start_prometheus(tmp, openmetrics({"ad_cpc": points}, {"ad_cpc": {"service": "ads", "exchange": "3"}}))
    yield url
    proc.terminate()
    proc.wait(10)


async def test_nab_anomaly_in_prometheus_becomes_an_incident_with_evidence(prometheus, tmp_path):
    settings = EngineSettings(OPSBOT_DATABASE_URL=f"sqlite:///{tmp_path / 'opsbot.db'}",
                              OPSBOT_PROMETHEUS_URL=prometheus)
    config = OpsbotConfig.model_validate({"watches": [{
        "name": "ad-cpc", "query": 'ad_cpc{service="ads"}', "step": "1h", "lookback": "14d", "interval": "1h",
        "channel": "incidents", "labels": {"service": "$service", "owner": "ads-team"}}]})
    stack = await start_local_stack(settings, config)
    try:
        ws, eng = stack.workspace, stack.bot.engine
        result = await eng.watches.run("ad-cpc", force=True)
        assert result.ok and result.series == 1 and result.points == LAST_ROW + 1 and result.fired == 1
        incident = await ws.wait_for(lambda: next((m for m in ws.messages("incidents")
                                                   if "MetricAnomaly on ads" in m.get("text", "")), None), 15)
        evidence = await ws.wait_for(lambda: next((r for r in ws.replies("incidents", incident["ts"])
                                                   if "Anomaly" in str(r.get("blocks"))), None), 15)
        shown = str(evidence["blocks"])
        for word in ("Expected range", "Value", "Since", "Prometheus graph", "/graph?g0.expr=ad_cpc"):
            assert word in shown, word
        await ws.click("alice", "incidents", evidence["ts"], "anomaly.useful")
        await ws.wait_for(lambda: "marked *useful* by" in str(ws.replies("incidents", incident["ts"])), 10)
        await ws.click("bob", "incidents", incident["ts"], "anomaly.not_anomaly")
        await ws.wait_for(lambda: "not an anomaly" in str(ws.ephemerals("bob")), 10)
        [status] = await eng.watches.statuses()
        assert status["useful"] == 1 and status["not_anomaly"] == 1 and status["firing"] == 0
    finally:
        await stack.stop()
