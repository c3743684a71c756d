"""One contract for the silence ports (Silences, and DurationSilences on top of it): the real
Alertmanager API v2 and the in-memory twin."""

from __future__ import annotations

from datetime import timedelta

import pytest

from engine.adapters.alertmanager import AlertmanagerClient, MemoryAlertmanager, RunbookSilences
from engine.ports import Matcher
from engine.core.clock import FakeClock, SystemClock
from engine.errors import NotFound, OpsError, Unavailable


@pytest.fixture(params=["twin", "real"])
async def port(request):
    """The silence port, once as the twin and once against a real Alertmanager."""
    if request.param == "twin":
        yield MemoryAlertmanager()
        return
    client = AlertmanagerClient(request.getfixturevalue("alertmanager"))
    yield client
    await client.aclose()


async def test_create_list_expire(port):
    now = SystemClock().now()
    matchers = [Matcher("alertname", "HighLatency|HighErrorRate", is_regex=True), Matcher("service", "checkout")]
    sid = await port.create_silence(matchers, now, now + timedelta(hours=1), "U123 (ann)", "incident #7")
    listed = {s.id: s for s in await port.list_silences()}
    s = listed[sid]
    assert s.state == "active" and s.created_by == "U123 (ann)" and s.comment == "incident #7"
    assert {(m.name, m.value, m.is_regex) for m in s.matchers} == {
        ("alertname", "HighLatency|HighErrorRate", True), ("service", "checkout", False)}
    await port.expire_silence(sid)
    assert {x.id: x for x in await port.list_silences()}[sid].state == "expired"


async def test_invalid_silences_are_refused(port):
    now = SystemClock().now()
    with pytest.raises(OpsError):
        await port.create_silence([], now, now + timedelta(hours=1), "ann", "x")
    with pytest.raises(OpsError):
        await port.create_silence([Matcher("a", "b")], now, now - timedelta(hours=1), "ann", "x")


async def test_expire_unknown_silence(port):
    with pytest.raises((NotFound, OpsError)):
        await port.expire_silence("00000000-0000-0000-0000-000000000000")


async def test_unreachable_alertmanager_is_unavailable():
    client = AlertmanagerClient("http://127.0.0.1:9", timeout_s=1.0)
    with pytest.raises(Unavailable, match="not reachable"):
        await client.list_silences()
    await client.aclose()


async def test_duration_silence_is_exact_match_from_now(port):
    clock = FakeClock(SystemClock().now())
    sid = await RunbookSilences(port, clock).create_silence({"alertname": "ModelAccuracyDrop", "model": "churn"},
                                                           1800, "runbook rollback-model", "U123")
    s = {x.id: x for x in await port.list_silences()}[sid]
    assert {(m.name, m.value, m.is_regex, m.is_equal) for m in s.matchers} == {
        ("alertname", "ModelAccuracyDrop", False, True), ("model", "churn", False, True)}
    assert abs((s.starts_at - clock.now()).total_seconds()) < 1
    assert abs((s.ends_at - s.starts_at).total_seconds() - 1800) < 1
    assert s.state == "active" and s.created_by == "U123" and s.comment == "runbook rollback-model"
