"""Prometheus rules and config, Alertmanager config: checked by the real tools."""

from __future__ import annotations

from typing import Any

import pytest

from deploy_helpers import (DEPLOY, bot_metric_series, load_yaml, promql_grouping_labels,
                            promql_label_matchers, promql_metrics, run, scraped_labels, tool)
from deploy_rules_sync import PROMETHEUS_RULE, prometheus_rule, render

PROM = DEPLOY / "prometheus"
AM = DEPLOY / "alertmanager" / "alertmanager.yml"
REQUIRED_ALERTS = {"OpsbotOutboxBacklog", "OpsbotSlackApiErrors", "OpsbotLeaseChurn", "OpsbotWebhookRejections"}


def _rules(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return [r for g in doc["groups"] for r in g["rules"]]


@pytest.mark.parametrize("name", ["opsbot-rules.yaml", "example-rules.yaml"])
def test_promtool_checks_rules(name: str) -> None:
    result = run(tool("promtool"), "check", "rules", str(PROM / name))
    assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_checks_config_with_its_rule_files() -> None:
    result = run(tool("promtool"), "check", "config", str(PROM / "prometheus.yml"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 rule files found" in result.stdout


def test_promtool_unit_tests_pass() -> None:
    result = run(tool("promtool"), "test", "rules", "tests/opsbot-rules.test.yaml", cwd=PROM)
    assert result.returncode == 0, result.stdout + result.stderr
    tested = {t["alertname"] for case in load_yaml(PROM / "tests" / "opsbot-rules.test.yaml")["tests"]
              for t in case.get("alert_rule_test", [])}
    assert REQUIRED_ALERTS <= tested


def test_promtool_unit_tests_can_fail(tmp_path) -> None:
    # Guard against a vacuous suite: a wrong expectation must make promtool fail.
    text = (PROM / "tests" / "opsbot-rules.test.yaml").read_text()
    broken = text.replace("changed owner 6 times", "changed owner 7 times")
    assert broken != text
    (tmp_path / "t.yaml").write_text(broken.replace("../opsbot-rules.yaml", str(PROM / "opsbot-rules.yaml")))
    result = run(tool("promtool"), "test", "rules", str(tmp_path / "t.yaml"))
    assert result.returncode != 0


def test_bot_alerts_cover_the_operating_risks() -> None:
    rules = _rules(load_yaml(PROM / "opsbot-rules.yaml"))
    alerts = {r["alert"]: r for r in rules}
    assert REQUIRED_ALERTS <= set(alerts)
    for name, rule in alerts.items():
        assert rule["labels"]["severity"] in {"warning", "critical"}, name
        assert rule["labels"]["component"] == "opsbot", name  # routes to the fallback receiver
        assert rule["annotations"]["summary"] and rule["annotations"]["description"], name


def test_bot_rules_use_only_metrics_and_labels_the_bot_exports() -> None:
    series = bot_metric_series()
    known = set(series) | {"up"}
    for rule in _rules(load_yaml(PROM / "opsbot-rules.yaml")):
        expr = rule["expr"]
        used = promql_metrics(expr)
        assert used and used <= known, f"{rule['alert']}: unknown metrics {used - known}"
        available = set().union(*(scraped_labels(m, series.get(m, set())) for m in used))
        for metric, labels in promql_label_matchers(expr).items():
            assert labels <= scraped_labels(metric, series.get(metric, set())), f"{rule['alert']}: {labels}"
        assert promql_grouping_labels(expr) <= available, f"{rule['alert']}: grouping labels"


def test_example_rules_cover_model_quality_and_service_slos() -> None:
    doc = load_yaml(PROM / "example-rules.yaml")
    groups = {g["name"]: g for g in doc["groups"]}
    assert {"service.slo", "model.quality"} <= set(groups)
    alerts = {r["alert"] for r in _rules(doc) if "alert" in r}
    assert {"ServiceHighErrorRate", "ServiceHighLatency", "ModelQualityDegraded", "ModelFeatureDrift"} <= alerts


def test_kubernetes_prometheusrule_matches_the_rules_file() -> None:
    assert PROMETHEUS_RULE.read_text() == render(), "run python tests/deploy/deploy_rules_sync.py"
    assert load_yaml(PROMETHEUS_RULE) == prometheus_rule(load_yaml(PROM / "opsbot-rules.yaml"))


def test_amtool_checks_the_alertmanager_config() -> None:
    result = run(tool("amtool"), "check-config", str(AM))
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(("labels", "receivers"), [
    (["alertname=ServiceHighErrorRate", "service=api", "severity=critical"], "opsbot"),
    (["alertname=OpsbotOutboxBacklog", "component=opsbot"], "platform-oncall,opsbot"),
])
def test_alertmanager_routes(labels: list[str], receivers: str) -> None:
    result = run(tool("amtool"), "config", "routes", "test", f"--config.file={AM}",
                 f"--verify.receivers={receivers}", *labels)
    assert result.returncode == 0, result.stdout + result.stderr


def test_alertmanager_posts_to_the_bot_with_the_bearer_secret() -> None:
    config = load_yaml(AM)
    compose = load_yaml(DEPLOY / "compose.yaml")
    (receiver,) = [r for r in config["receivers"] if r["name"] == "opsbot"]
    (hook,) = receiver["webhook_configs"]
    assert hook["url"] == "http://opsbot:3000/webhooks/alertmanager" and hook["send_resolved"] is True
    auth = hook["http_config"]["authorization"]
    assert auth["type"] == "Bearer" and "credentials" not in auth, "no token value in the repo"
    secret = auth["credentials_file"].removeprefix("/run/secrets/")
    assert secret in compose["services"]["alertmanager"]["secrets"]
    assert compose["secrets"][secret] == {"environment": "OPSBOT_WEBHOOK_TOKEN"}


def test_prometheus_scrapes_every_replica_and_maps_the_lease_label() -> None:
    config = load_yaml(PROM / "prometheus.yml")
    jobs = {j["job_name"]: j for j in config["scrape_configs"]}
    sd = jobs["opsbot"]["dns_sd_configs"][0]
    assert sd["names"] == ["opsbot"] and sd["type"] == "A" and sd["port"] == 3000
    relabel = jobs["opsbot"]["metric_relabel_configs"][0]
    assert relabel["target_label"] == "lease" and "exported_job" in relabel["source_labels"]
    targets = config["alerting"]["alertmanagers"][0]["static_configs"][0]["targets"]
    assert targets == ["alertmanager:9093"]
