"""Grafana dashboard and Slack app manifests: valid, complete, and consistent with the bot."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from deploy_helpers import (DEPLOY, bot_metric_series, load_yaml, promql_grouping_labels,
                            promql_label_matchers, promql_metrics, scraped_labels, walk)

SCOPES = {"commands", "chat:write", "chat:write.public", "users:read", "usergroups:read",
          "channels:read", "groups:read", "channels:history", "groups:history",  # notifier.py: ids, recovery
          "channels:manage", "pins:write", "files:write"}  # incident channels, pinned card, postmortem file
CONTRACT_METRICS = {"opsbot_requests_total", "opsbot_ack_latency_seconds_bucket", "opsbot_errors_total",
                    "opsbot_outbox_depth", "opsbot_slack_api_errors_total", "opsbot_webhook_rejections_total",
                    "opsbot_lease_changes_total", "opsbot_lease_held"}


@pytest.fixture(scope="module")
def dashboard() -> dict[str, Any]:
    return json.loads((DEPLOY / "grafana" / "opsbot-dashboard.json").read_text())


def _panels(dashboard: dict[str, Any]) -> list[dict[str, Any]]:
    return [p for p in dashboard["panels"] if p["type"] != "row"]


def test_dashboard_is_a_grafana_dashboard(dashboard: dict[str, Any]) -> None:
    assert dashboard["uid"] and dashboard["title"] and isinstance(dashboard["schemaVersion"], int)
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids)), "panel ids must be unique"
    occupied: set[tuple[int, int]] = set()
    for p in dashboard["panels"]:
        g = p["gridPos"]
        assert g["x"] >= 0 and g["w"] > 0 and g["x"] + g["w"] <= 24, p["title"]
        cells = {(x, y) for x in range(g["x"], g["x"] + g["w"]) for y in range(g["y"], g["y"] + g["h"])}
        assert not cells & occupied, f"panel {p['title']!r} overlaps another"
        occupied |= cells
    variables = {v["name"]: v for v in dashboard["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource" and variables["datasource"]["query"] == "prometheus"


def test_every_panel_queries_prometheus_through_the_variable(dashboard: dict[str, Any]) -> None:
    for p in _panels(dashboard):
        assert p["datasource"]["uid"] == "${datasource}", p["title"]
        assert p["targets"], p["title"]
        refs = [t["refId"] for t in p["targets"]]
        assert len(refs) == len(set(refs)), p["title"]


def test_every_expression_uses_known_metrics_and_labels(dashboard: dict[str, Any]) -> None:
    series = bot_metric_series()
    known = set(series) | {"up"}
    seen: set[str] = set()
    for p in _panels(dashboard):
        for t in p["targets"]:
            expr = t["expr"]
            used = promql_metrics(expr)
            assert used and used <= known, f"{p['title']}: unknown {used - known}"
            seen |= used
            available = set().union(*(scraped_labels(m, series.get(m, set())) for m in used))
            for metric, labels in promql_label_matchers(expr).items():
                assert labels <= scraped_labels(metric, series.get(metric, set())), f"{p['title']}: {labels}"
            assert promql_grouping_labels(expr) <= available, f"{p['title']}: {expr}"
            legend_labels = set(re.findall(r"\{\{\s*(\w+)\s*\}\}", t.get("legendFormat", "")))
            assert legend_labels <= promql_grouping_labels(expr), f"{p['title']}: legend {legend_labels}"
    assert CONTRACT_METRICS <= seen, f"no panel for {CONTRACT_METRICS - seen}"


def test_metric_extraction_rejects_unknown_names() -> None:
    assert promql_metrics('sum by (le) (rate(opsbot_typo_seconds_bucket{job="x"}[5m]))') == {"opsbot_typo_seconds_bucket"}
    assert promql_metrics("max(opsbot_outbox_depth) > 5 unless absent(up)") == {"opsbot_outbox_depth", "up"}


@pytest.fixture(scope="module", params=["slack-app-manifest.yaml", "slack-app-manifest.socket.yaml"])
def manifest(request: pytest.FixtureRequest) -> tuple[str, dict[str, Any]]:
    return request.param, load_yaml(DEPLOY / request.param)


def test_manifest_has_ops_command_scopes_and_interactivity(manifest: tuple[str, dict[str, Any]]) -> None:
    _, m = manifest
    info = m["display_information"]
    # Slack's limits: name <= 35, description <= 140, long_description 175..4000.
    assert len(info["name"]) <= 35 and len(info["description"]) <= 140
    assert 175 <= len(info["long_description"]) <= 4000
    assert re.fullmatch(r"#[0-9a-fA-F]{6}", info["background_color"])
    (cmd,) = m["features"]["slash_commands"]
    assert cmd["command"] == "/ops" and cmd["description"] and len(cmd["description"]) <= 2000
    assert set(m["oauth_config"]["scopes"]["bot"]) == SCOPES
    assert m["settings"]["interactivity"]["is_enabled"] is True
    assert m["features"]["bot_user"]["display_name"]
    # The Home tab is published on app_home_opened (views.publish needs no scope).
    assert m["features"]["app_home"]["home_tab_enabled"] is True
    assert m["settings"]["event_subscriptions"]["bot_events"] == ["app_home_opened"]


def test_http_manifest_points_at_the_events_endpoint() -> None:
    m = load_yaml(DEPLOY / "slack-app-manifest.yaml")
    assert m["settings"]["socket_mode_enabled"] is False
    urls = [m["features"]["slash_commands"][0]["url"], m["settings"]["interactivity"]["request_url"],
            m["settings"]["event_subscriptions"]["request_url"]]
    for url in urls:
        assert re.fullmatch(r"https://[a-z0-9.-]+/slack/events", url), url


def test_socket_manifest_has_no_urls() -> None:
    m = load_yaml(DEPLOY / "slack-app-manifest.socket.yaml")
    assert m["settings"]["socket_mode_enabled"] is True
    keys = [path for path, _ in walk(m)]
    assert not [k for k in keys if k.endswith((".url", ".request_url"))], "Socket Mode needs no URLs"


def test_both_manifests_differ_only_in_transport() -> None:
    http = load_yaml(DEPLOY / "slack-app-manifest.yaml")
    socket = load_yaml(DEPLOY / "slack-app-manifest.socket.yaml")
    assert http["oauth_config"] == socket["oauth_config"]
    assert http["display_information"] == socket["display_information"]
    strip = lambda c: {k: v for k, v in c.items() if k != "url"}
    assert strip(http["features"]["slash_commands"][0]) == socket["features"]["slash_commands"][0]
