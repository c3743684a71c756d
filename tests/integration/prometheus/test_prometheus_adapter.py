"""The Prometheus adapter against a real, backfilled Prometheus."""

from __future__ import annotations

import time
from datetime import datetime, timezone

import pytest

from engine.adapters.prometheus import PrometheusMetrics
from engine.errors import InvalidInput, Unavailable
from tests.servers import free_port, openmetrics, start_prometheus


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("prom")
    now = int(time.time()) // 60 * 60
    points = [(now - 7200 + 60 * i, float(i % 10)) for i in range(120)]
    proc, url = start_prometheus(tmp, openmetrics({"latency_ms": points}, {"latency_ms": {"service": "api"}}))
    yield url, now
    proc.terminate()
    proc.wait(10)


async def test_range_query_returns_the_backfilled_points(prometheus):
    url, now = prometheus
    prom = PrometheusMetrics(url, timeout_s=10)
    start = datetime.fromtimestamp(now - 7200, timezone.utc)
    end = datetime.fromtimestamp(now - 60, timezone.utc)
    [series] = await prom.query_range('latency_ms{service="api"}', start, end, 60)
    assert series.labels["service"] == "api"
    assert len(series.values) == 120 and series.values[:3] == [0.0, 1.0, 2.0]
    assert "g0.expr=latency_ms" in prom.graph_url("latency_ms", start, end)


async def test_bad_promql_and_unreachable_server_say_what_went_wrong(prometheus):
    url, _ = prometheus
    with pytest.raises(InvalidInput):
        await PrometheusMetrics(url).instant_values("sum(")
    with pytest.raises(Unavailable, match="127.0.0.1"):
        await PrometheusMetrics(f"http://127.0.0.1:{free_port()}", timeout_s=2).instant_values("up")
