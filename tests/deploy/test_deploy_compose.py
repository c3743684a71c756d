"""deploy/compose.yaml: structure, dependencies, and the files it mounts."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from deploy_helpers import DEPLOY, ROOT, load_yaml, run, tool

COMPOSE = DEPLOY / "compose.yaml"


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return load_yaml(COMPOSE)


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, Any]:
    return compose["services"]


def _depends(service: dict[str, Any]) -> dict[str, dict[str, str]]:
    deps = service.get("depends_on", {})
    return {d: {"condition": "service_started"} for d in deps} if isinstance(deps, list) else deps


def test_matches_the_compose_spec_schema() -> None:
    checker = tool("check-jsonschema")
    result = run(checker, "--builtin-schema", "vendor.compose-spec", str(COMPOSE))
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_service_has_an_image_or_build(services: dict[str, Any]) -> None:
    for name, svc in services.items():
        assert "image" in svc or "build" in svc, name
        build = svc.get("build")
        if build:
            context = DEPLOY / (build["context"] if isinstance(build, dict) else build)
            dockerfile = context / (build.get("dockerfile", "Dockerfile") if isinstance(build, dict) else "Dockerfile")
            assert dockerfile.is_file(), f"{name}: {dockerfile} missing"


def test_dependencies_exist_and_use_known_conditions(services: dict[str, Any]) -> None:
    conditions = {"service_started", "service_healthy", "service_completed_successfully"}
    for name, svc in services.items():
        for dep, spec in _depends(svc).items():
            assert dep in services, f"{name} depends on unknown service {dep}"
            assert spec["condition"] in conditions
            if spec["condition"] == "service_healthy":
                has_check = "healthcheck" in services[dep] or services[dep].get("build")
                assert has_check, f"{dep} has no health check for {name} to wait on"


def test_volumes_secrets_and_bind_mounts_resolve(compose: dict[str, Any], services: dict[str, Any]) -> None:
    named = set(compose.get("volumes", {}))
    secrets = set(compose.get("secrets", {}))
    for name, svc in services.items():
        for vol in svc.get("volumes", []):
            source = vol.split(":")[0]
            if source.startswith((".", "/")):
                assert (DEPLOY / source).exists(), f"{name}: bind mount {source} missing"
            else:
                assert source in named, f"{name}: volume {source} not declared"
        for secret in svc.get("secrets", []):
            assert (secret if isinstance(secret, str) else secret["source"]) in secrets


def test_two_bot_replicas_wait_for_the_migration(services: dict[str, Any]) -> None:
    bot, migrate = services["opsbot"], services["opsbot-migrate"]
    assert bot["deploy"]["replicas"] == 2
    assert bot["build"] == migrate["build"] and bot["image"] == migrate["image"], "same image"
    assert migrate["command"] == ["migrate"] and migrate["restart"] == "no"
    assert _depends(bot)["opsbot-migrate"]["condition"] == "service_completed_successfully"
    assert _depends(migrate)["postgres"]["condition"] == "service_healthy"
    # Replicas are anonymous; a published host port would collide between them.
    assert "ports" not in bot and "container_name" not in bot


def test_bot_environment_is_complete_and_hardened(services: dict[str, Any]) -> None:
    env = services["opsbot"]["environment"]
    for var in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "OPSBOT_DATABASE_URL",
                "OPSBOT_CONFIG", "OPSBOT_WEBHOOK_TOKEN", "MLFLOW_TRACKING_URI", "OPSBOT_PROMETHEUS_URL",
                "OPSBOT_ALERTMANAGER_URL"):
        assert var in env, var
    assert env["OPSBOT_DATABASE_URL"].startswith("postgresql://") and "@postgres:5432/" in env["OPSBOT_DATABASE_URL"]
    for var in ("MLFLOW_TRACKING_URI", "OPSBOT_PROMETHEUS_URL", "OPSBOT_ALERTMANAGER_URL"):
        host = re.match(r"https?://([^:/]+)", env[var]).group(1)
        assert host in services, f"{var} points at {host}, not a compose service"
    bot = services["opsbot"]
    assert bot["read_only"] is True and bot["cap_drop"] == ["ALL"] and "/tmp" in bot["tmpfs"]


def test_socket_mode_by_default_http_mode_as_a_profile(services: dict[str, Any]) -> None:
    # Without a profile only Socket Mode runs: nothing listens publicly for Slack.
    default = {n: s for n, s in services.items() if not s.get("profiles")}
    published = [p for s in default.values() for p in s.get("ports", [])]
    assert all(str(p).startswith("127.0.0.1:") for p in published), published
    proxy = services["proxy"]
    assert proxy["profiles"] == ["http"]
    assert _depends(proxy)["opsbot"]["condition"] == "service_healthy"
    caddyfile = (DEPLOY / "caddy" / "Caddyfile").read_text()
    assert "dynamic a opsbot 3000" in caddyfile and "/slack/events" in caddyfile


def test_caddyfile_is_valid() -> None:
    caddy = tool("caddy")
    env = {**os.environ, "OPSBOT_PUBLIC_HOST": "opsbot.example.com"}
    result = subprocess.run([caddy, "validate", "--adapter", "caddyfile", "--config",
                             str(DEPLOY / "caddy" / "Caddyfile")], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr[-2000:]


def test_mlflow_uses_postgres_and_an_artifact_volume(services: dict[str, Any]) -> None:
    mlflow = services["mlflow"]
    args = " ".join(mlflow["command"])
    assert "--backend-store-uri=postgresql://" in args and "@postgres:5432/mlflow" in args
    assert "--artifacts-destination=/mlartifacts" in args
    assert any(v.startswith("mlartifacts:/mlartifacts") for v in mlflow["volumes"])
    init = (DEPLOY / "postgres" / "init").glob("*.sql")
    assert any("CREATE DATABASE mlflow" in p.read_text() for p in init)


def test_prometheus_and_alertmanager_mount_their_configs(services: dict[str, Any]) -> None:
    prom = " ".join(services["prometheus"]["command"])
    assert "--config.file=/etc/prometheus/prometheus.yml" in prom
    assert "./prometheus:/etc/prometheus:ro" in services["prometheus"]["volumes"]
    am = services["alertmanager"]
    assert "--config.file=/etc/alertmanager/alertmanager.yml" in " ".join(am["command"])
    assert "opsbot_webhook_token" in am["secrets"]


def test_every_interpolated_variable_is_documented(compose: dict[str, Any]) -> None:
    text = COMPOSE.read_text()
    used = set(re.findall(r"\$\{(\w+)", text))
    documented = set(re.findall(r"^#?\s*(\w+)=", (DEPLOY / ".env.example").read_text(), re.M))
    assert used <= documented, f"not in .env.example: {sorted(used - documented)}"
    required = set(re.findall(r"\$\{(\w+):\?", text))
    assert {"POSTGRES_PASSWORD", "SLACK_BOT_TOKEN", "OPSBOT_WEBHOOK_TOKEN"} <= required


def test_shipped_opsbot_yaml_files_pass_the_config_schema() -> None:
    config = pytest.importorskip("engine.config")
    paths = [DEPLOY / "config" / "opsbot.yaml", *sorted((DEPLOY / "kubernetes").rglob("opsbot.yaml"))]
    assert len(paths) >= 3
    for path in paths:
        config.load_config(Path(path))


def test_readme_mentions_only_files_that_exist() -> None:
    text = (DEPLOY / "README.md").read_text()
    paths = {p for p in re.findall(r"`([\w./-]+\.(?:ya?ml|json|py|example)|[\w-]+/(?:[\w.-]+/)*)`", text)
             if not p.startswith(("http", "/"))}
    assert len(paths) >= 10
    def exists(p: str) -> bool:
        if "/" not in p.rstrip("/"):  # a bare file name: somewhere in deploy/
            return any(DEPLOY.rglob(p.rstrip("/")))
        return any((base / p).exists() for base in (DEPLOY, ROOT, DEPLOY / "kubernetes"))

    missing = [p for p in paths if not exists(p)]
    assert not missing, missing
    for section in ("## Compose, step by step", "## Kubernetes, step by step", "## Upgrades",
                    "## Backup and restore", "## Sizing"):
        assert section in text
