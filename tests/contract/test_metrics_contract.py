"""One contract for the metrics port, run on the in-memory twin and on a real, backfilled Prometheus;
the two feature-level sources on top of it (RCA's ServiceSignals, the watches' WatchSeries) too."""

from __future__ import annotations

import time
from datetime import datetime, timezone

import pytest

from engine.adapters.memory_prometheus import MemoryPrometheus
from engine.adapters.prometheus import PrometheusMetrics
from engine.anomaly.watches.config import WatchConfig
from engine.core.clock import FakeClock
from engine.anomaly.watches.sources import PromSource
from engine.errors import InvalidInput, Unavailable
from engine.rca.candidates import PrometheusSource
from tests.servers import free_port, start_prometheus

NOW = int(time.time()) // 60 * 60
API = [(NOW - 7200 + 60 * i, float(i % 10)) for i in range(120)]  # newest sample 60 s before NOW
DB = [(NOW - 7200 + 60 * i, 100.0 + i) for i in range(120)]


@pytest.fixture(scope="module")
def prometheus_url(tmp_path_factory):
    """A real Prometheus holding the API and DB series."""
    # one metric family with two series (openmetrics() writes one series per family)
    text = "# TYPE latency_ms gauge\n" + "".join(
        f'latency_ms{{service="{svc}"}} {v} {t}\n' for svc, pts in (("api", API), ("db", DB)) for t, v in pts) + "# EOF\n"
    # The data is stamped when this module is imported; an instant query asks at the server's now,
    # which may be minutes later in a long run: look back far enough to still see the newest sample.
    proc, url = start_prometheus(tmp_path_factory.mktemp("prom"), text, flags=("--query.lookback-delta=2h",))
    yield url
    proc.terminate()
    proc.wait(10)


@pytest.fixture(params=["twin", "real"])
def port(request):
    """The metrics port, once as the twin and once against a real Prometheus."""
    if request.param == "real":
        return PrometheusMetrics(request.getfixturevalue("prometheus_url"), timeout_s=10)
    twin = MemoryPrometheus(FakeClock(at(NOW)))  # "now" is when the data was stamped, as above
    twin.add("latency_ms", {"service": "api"}, API)
    twin.add("latency_ms", {"service": "db"}, DB)
    return twin


def at(t: float) -> datetime:
    return datetime.fromtimestamp(t, timezone.utc)


async def test_range_query_returns_the_points_of_each_matching_series(port):
    found = await port.query_range("latency_ms", at(NOW - 7200), at(NOW - 60), 60)
    by_service = {s.labels["service"]: s for s in found}
    assert set(by_service) == {"api", "db"}
    api = by_service["api"]
    assert api.labels["__name__"] == "latency_ms"
    assert api.timestamps == [float(t) for t, _ in API] and api.values == [v for _, v in API]


async def test_label_matchers_select_one_series(port):
    [series] = await port.query_range('latency_ms{service="db"}', at(NOW - 600), at(NOW - 60), 60)
    assert series.labels["service"] == "db"
    assert series.values == [v for t, v in DB if t >= NOW - 600]
    assert await port.query_range('latency_ms{service="web"}', at(NOW - 600), at(NOW - 60), 60) == []


async def test_range_query_on_a_coarser_step_samples_the_newest_point(port):
    [series] = await port.query_range('latency_ms{service="api"}', at(NOW - 3600 + 30), at(NOW - 60), 300)
    # each evaluation time takes the newest sample at or before it: 30 s older than the grid point
    expected = [dict(API)[int(t) - 30] for t in series.timestamps]
    assert len(series.values) == 12 and series.values == expected


async def test_instant_query_returns_the_newest_samples(port):
    assert sorted(await port.instant_values("latency_ms")) == [API[-1][1], DB[-1][1]]
    assert await port.instant_values('latency_ms{service="api"}') == [API[-1][1]]
    assert await port.instant_values("no_such_metric") == []


async def test_bad_promql_is_invalid_input(port):
    with pytest.raises(InvalidInput):
        await port.instant_values("sum(")
    with pytest.raises(InvalidInput):
        await port.query_range("latency_ms{service=}", at(NOW - 600), at(NOW - 60), 60)


async def test_graph_url_carries_the_query(port):
    url = port.graph_url("latency_ms", at(NOW - 7200), at(NOW))
    assert url.startswith(port.base_url + "/graph?") and "g0.expr=latency_ms" in url and "g0.range_input=2h" in url


async def test_unreachable_prometheus_is_unavailable_naming_the_url(port):
    if isinstance(port, MemoryPrometheus):
        port.available = False
        reg = port
    else:
        reg = PrometheusMetrics(f"http://127.0.0.1:{free_port()}", timeout_s=2)
    with pytest.raises(Unavailable) as err:
        await reg.instant_values("up")
    assert reg.base_url in err.value.message


async def test_rca_signals_sum_the_series_per_timestamp(port):
    source = PrometheusSource(port)
    signal = await source.fetch("all", "latency", "latency_ms", at(NOW - 600), at(NOW - 60), 60)
    assert signal is not None
    assert list(signal.values) == [a + d for (t, a), (_, d) in zip(API, DB) if t >= NOW - 600]
    assert await source.fetch("web", "latency", 'latency_ms{service="web"}', at(NOW - 600), at(NOW - 60), 60) is None
    assert "g0.expr=latency_ms" in (source.link("latency_ms", at(NOW - 600), at(NOW), 60) or "")


async def test_watch_series_run_on_a_step_aligned_grid(port):
    source = PromSource(port, WatchConfig(name="latency", query='latency_ms{service="api"}', step="5m"))
    [series] = await source.fetch(at(NOW - 3600 + 30), at(NOW - 60), {})
    assert series.timestamps and all(t % 300 == 0 for t in series.timestamps)
    assert series.values == [dict(API)[int(t)] for t in series.timestamps]
