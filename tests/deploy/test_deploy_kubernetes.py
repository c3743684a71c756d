"""Kustomize overlays: render, validate against Kubernetes schemas, lint security."""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest

from deploy_helpers import DEPLOY, load_all, run, tool, walk

K8S = DEPLOY / "kubernetes"
OVERLAYS = ["development", "production"]
# Oldest supported Kubernetes (PDB unhealthyPodEvictionPolicy is GA from 1.31) and the newest
# schema kubernetes-validate ships.
K8S_VERSIONS = ["1.31.0", "latest"]
CRDS = {"monitoring.coreos.com/v1": {"ServiceMonitor", "PrometheusRule"}}
SECRET_ENV = re.compile(r"TOKEN|SECRET|PASSWORD|DATABASE_URL")
# Real-looking Slack tokens and database URLs with a password; ${VAR} and PASSWORD-style
# placeholders are fine.
SECRET_VALUE = re.compile(r"xox[abpr]-[0-9A-Za-z-]{8,}|xapp-\d-[0-9A-Za-z-]{8,}"
                          r"|postgres(?:ql)?://[^:@/\s]+:(?!\$\{)(?![A-Z_]+@)[^@\s]+@")


def render(path: str) -> list[dict[str, Any]]:
    """Render a kustomization with kubectl's built-in kustomize."""
    result = run(tool("kubectl"), "kustomize", str(K8S / path))
    assert result.returncode == 0, result.stderr
    return load_all(result.stdout)


@pytest.fixture(scope="module", params=OVERLAYS)
def overlay(request: pytest.FixtureRequest) -> tuple[str, list[dict[str, Any]]]:
    return request.param, render(f"overlays/{request.param}")


def by_kind(objs: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [o for o in objs if o["kind"] == kind]


def pod_specs(objs: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    """Return (name, pod spec) for every workload."""
    out = []
    for o in objs:
        if o["kind"] in {"Deployment", "StatefulSet", "DaemonSet", "Job"}:
            out.append((f"{o['kind']}/{o['metadata']['name']}", o["spec"]["template"]["spec"]))
    return out


def containers(spec: dict[str, Any]) -> list[dict[str, Any]]:
    return spec.get("initContainers", []) + spec["containers"]


def _kv_version(version: str) -> str:
    kv = pytest.importorskip("kubernetes_validate")
    return kv.utils.latest_version() if version == "latest" else version


@pytest.mark.parametrize("version", K8S_VERSIONS)
def test_core_objects_match_kubernetes_schemas(overlay, version: str) -> None:
    kv = pytest.importorskip("kubernetes_validate")
    _, objs = overlay
    core = [o for o in objs if o["apiVersion"] not in CRDS]
    assert len(core) >= 10
    for obj in core:
        kv.validate(obj, _kv_version(version), strict=True)


def test_validator_rejects_a_broken_deployment(overlay) -> None:
    kv = pytest.importorskip("kubernetes_validate")
    (deploy,) = [o for o in by_kind(overlay[1], "Deployment")]
    broken = copy.deepcopy(deploy)
    broken["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]["httpGett"] = {}
    with pytest.raises(kv.ValidationError):
        kv.validate(broken, _kv_version("latest"), strict=True)
    broken = copy.deepcopy(deploy)
    broken["spec"]["replicas"] = "two"
    with pytest.raises(kv.ValidationError):
        kv.validate(broken, _kv_version("latest"), strict=True)


def test_crds_are_structurally_valid(overlay) -> None:
    _, objs = overlay
    services = {s["metadata"]["name"]: s for s in by_kind(objs, "Service")}
    (monitor,) = by_kind(objs, "ServiceMonitor")
    (rule,) = by_kind(objs, "PrometheusRule")
    assert set(monitor) == {"apiVersion", "kind", "metadata"} | {"spec"}
    matched = [s for s in services.values()
               if monitor["spec"]["selector"]["matchLabels"].items() <= s["metadata"]["labels"].items()]
    assert [s["metadata"]["name"] for s in matched] == ["opsbot"]
    port_names = {p["name"] for p in matched[0]["spec"]["ports"]}
    for ep in monitor["spec"]["endpoints"]:
        assert ep["port"] in port_names and ep["path"] == "/metrics"
        assert re.fullmatch(r"\d+s", ep["interval"])
        for r in ep.get("metricRelabelings", []):
            assert r.get("action", "replace") in {"replace", "labeldrop", "keep", "drop", "labelmap"}
    groups = rule["spec"]["groups"]
    assert groups and all(g["name"] and g["rules"] for g in groups)
    for r in (r for g in groups for r in g["rules"]):
        assert set(r) <= {"alert", "record", "expr", "for", "labels", "annotations", "keep_firing_for"}
        assert ("alert" in r) != ("record" in r) and isinstance(r["expr"], str)
        assert "for" not in r or re.fullmatch(r"\d+[smh]", r["for"])


def test_pods_are_locked_down(overlay) -> None:
    _, objs = overlay
    for name, spec in pod_specs(objs):
        assert spec.get("automountServiceAccountToken") is False, name
        psc = spec.get("securityContext", {})
        assert psc.get("runAsNonRoot") is True and psc.get("runAsUser", 0) != 0, name
        assert psc.get("seccompProfile", {}).get("type") == "RuntimeDefault", name
        assert not spec.get("hostNetwork") and not spec.get("hostPID") and not spec.get("hostIPC"), name
        assert not [v for v in spec.get("volumes", []) if "hostPath" in v], f"{name}: hostPath"
        for c in containers(spec):
            sc = c.get("securityContext", {})
            where = f"{name}/{c['name']}"
            assert sc.get("privileged", False) is False, where
            assert sc.get("allowPrivilegeEscalation") is False, where
            assert sc.get("readOnlyRootFilesystem") is True, where
            assert sc.get("capabilities", {}).get("drop") == ["ALL"], where
            assert not sc.get("capabilities", {}).get("add"), where
            res = c.get("resources", {})
            for kind in ("requests", "limits"):
                assert {"cpu", "memory"} <= set(res.get(kind, {})), f"{where}: {kind}"
            assert c["image"] and ":" in c["image"].split("/")[-1] or "@sha256:" in c["image"], where


def test_read_only_root_has_a_writable_tmp(overlay) -> None:
    _, objs = overlay
    for name, spec in pod_specs(objs):
        if not name.endswith("opsbot") and "migrate" not in name:
            continue
        empty = {v["name"] for v in spec["volumes"] if "emptyDir" in v}
        for c in containers(spec):
            tmp = [m for m in c.get("volumeMounts", []) if m["mountPath"] == "/tmp"]
            assert tmp and tmp[0]["name"] in empty, f"{name}/{c['name']}"


def test_bot_deployment_probes_replicas_and_migration(overlay) -> None:
    _, objs = overlay
    (deploy,) = by_kind(objs, "Deployment")
    spec = deploy["spec"]
    assert spec["replicas"] == 2 and spec["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
    pod = spec["template"]["spec"]
    (bot,) = pod["containers"]
    assert bot["args"][0] == "serve"
    assert bot["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert bot["livenessProbe"]["httpGet"]["path"] == "/healthz"
    (init,) = pod["initContainers"]
    assert init["args"] == ["migrate"] and init["image"] == bot["image"]
    (job,) = by_kind(objs, "Job")
    (jc,) = job["spec"]["template"]["spec"]["containers"]
    assert jc["args"] == ["migrate"] and jc["image"] == bot["image"]
    assert job["spec"]["template"]["spec"]["restartPolicy"] == "Never"


def test_references_resolve(overlay) -> None:
    _, objs = overlay
    names = {(o["kind"], o["metadata"]["name"]) for o in objs}
    (deploy,) = by_kind(objs, "Deployment")
    pod_labels = deploy["spec"]["template"]["metadata"]["labels"]
    for name, spec in pod_specs(objs):
        for vol in spec.get("volumes", []):
            if "configMap" in vol:
                assert ("ConfigMap", vol["configMap"]["name"]) in names, f"{name}: {vol}"
        for c in containers(spec):
            for src in c.get("envFrom", []):
                assert ("ConfigMap", src["configMapRef"]["name"]) in names
            mounts = {m["name"] for m in c.get("volumeMounts", [])}
            assert mounts <= {v["name"] for v in spec.get("volumes", [])} | {
                t["metadata"]["name"] for o in objs if o["kind"] == "StatefulSet" and name.endswith(o["metadata"]["name"])
                for t in o["spec"].get("volumeClaimTemplates", [])}
        if "serviceAccountName" in spec:
            assert ("ServiceAccount", spec["serviceAccountName"]) in names
    for kind in ("Service", "PodDisruptionBudget"):
        for o in by_kind(objs, kind):
            if o["metadata"]["name"] != "opsbot":
                continue
            selector = o["spec"]["selector"]
            selector = selector.get("matchLabels", selector)
            assert selector.items() <= pod_labels.items(), kind
    (policy,) = [p for p in by_kind(objs, "NetworkPolicy") if p["metadata"]["name"] == "opsbot"]
    assert policy["spec"]["podSelector"]["matchLabels"].items() <= pod_labels.items()
    job_labels = by_kind(objs, "Job")[0]["spec"]["template"]["metadata"]["labels"]
    assert policy["spec"]["podSelector"]["matchLabels"].items() <= job_labels.items(), "migration egress"
    for ing in by_kind(objs, "Ingress"):
        for rule in ing["spec"]["rules"]:
            for p in rule["http"]["paths"]:
                assert ("Service", p["backend"]["service"]["name"]) in names
                assert p["path"] == "/slack/events"


def test_secrets_are_referenced_never_included(overlay) -> None:
    _, objs = overlay
    assert not by_kind(objs, "Secret"), "Secrets come from outside the repo"
    for name, spec in pod_specs(objs):
        for c in containers(spec):
            for env in c.get("env", []):
                if SECRET_ENV.search(env["name"]):
                    assert "value" not in env and "secretKeyRef" in env["valueFrom"], f"{name}: {env['name']}"
    for path, value in walk(objs):
        if isinstance(value, str):
            assert not SECRET_VALUE.search(value), f"secret-looking value at {path}"


def test_no_secret_values_anywhere_in_deploy() -> None:
    assert SECRET_VALUE.search("postgresql://opsbot:s3cr3t@db:5432/opsbot")
    assert SECRET_VALUE.search("SLACK_BOT_TOKEN=xoxb-1234567890-abcdefgh")
    for path in DEPLOY.rglob("*"):
        if path.is_file() and path.suffix in {".yaml", ".yml", ".json", ".example", ""}:
            assert not SECRET_VALUE.search(path.read_text(errors="ignore")), path


def test_secret_example_is_not_deployed() -> None:
    kustomization = (K8S / "base" / "kustomization.yaml").read_text()
    assert (K8S / "base" / "secret.example.yaml").exists()
    assert "secret.example.yaml" not in re.sub(r"#.*", "", kustomization)


def test_overlay_specifics() -> None:
    prod, dev = render("overlays/production"), render("overlays/development")
    for o in prod:
        if o["kind"] != "Namespace":
            assert o["metadata"].get("namespace") == "opsbot", o["metadata"]["name"]
    for _, spec in pod_specs(prod):
        for c in containers(spec):
            tag = c["image"].rsplit(":", 1)[-1] if "@" not in c["image"] else "digest"
            assert tag not in {"latest", "dev"} and "/" in c["image"], c["image"]
    assert by_kind(prod, "Ingress") and by_kind(prod, "Ingress")[0]["spec"]["tls"]
    assert by_kind(prod, "ServiceMonitor")[0]["metadata"]["labels"]["release"] == "kube-prometheus-stack"
    assert not by_kind(dev, "Ingress"), "development runs Socket Mode"
    assert by_kind(dev, "StatefulSet"), "development brings its own PostgreSQL"
    for ns in by_kind(prod, "Namespace") + by_kind(dev, "Namespace"):
        assert ns["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
