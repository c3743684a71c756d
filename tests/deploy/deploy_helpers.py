"""Helpers shared by the deployment tests: paths, tools, YAML and PromQL parsing."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any, Iterator

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
VENV_BIN = ROOT / ".venv" / "bin"

PROMQL_KEYWORDS = {
    "and", "or", "unless", "by", "without", "on", "ignoring", "group_left", "group_right",
    "offset", "bool", "inf", "nan", "atan2",
}


def tool(name: str) -> str:
    """Return the path of a command-line tool, or skip the test saying which one is missing."""
    path = shutil.which(name) or (str(VENV_BIN / name) if (VENV_BIN / name).exists() else None)
    if path is None:
        pytest.skip(f"{name} is not installed")
    return path


def run(*argv: str, cwd: Path | None = None, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run a command and return it; the caller asserts on returncode with the output shown."""
    return subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=timeout)


def load_yaml(path: Path) -> Any:
    """Parse one YAML document."""
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def load_all(text: str) -> list[dict[str, Any]]:
    """Parse a multi-document YAML stream, dropping empty documents."""
    return [d for d in yaml.safe_load_all(text) if d]


def walk(node: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """Yield (path, value) for every node of a parsed YAML/JSON tree."""
    yield path, node
    if isinstance(node, dict):
        for key, value in node.items():
            yield from walk(value, f"{path}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from walk(value, f"{path}[{i}]")


def _strip_balanced(expr: str, opener: str, closer: str) -> str:
    out, depth = [], 0
    for ch in expr:
        if ch == opener:
            depth += 1
        elif ch == closer and depth:
            depth -= 1
        elif not depth:
            out.append(ch)
    return "".join(out)


def promql_metrics(expr: str) -> set[str]:
    """Return the metric names a PromQL expression selects (functions and keywords excluded)."""
    e = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)  # label values may contain anything
    e = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", e)
    e = _strip_balanced(e, "{", "}")
    e = _strip_balanced(e, "[", "]")
    names = set()
    for m in re.finditer(r"(?<![\w.$])([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(\()?", e):
        name, call = m.group(1), m.group(2)
        if call or name.lower() in PROMQL_KEYWORDS:
            continue
        names.add(name)
    return names


def promql_label_matchers(expr: str) -> dict[str, set[str]]:
    """Return, per metric name written with {...} matchers, the label names it matches on."""
    e = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    found: dict[str, set[str]] = {}
    for m in re.finditer(r"([a-zA-Z_:][a-zA-Z0-9_:]*)\s*\{([^}]*)\}", e):
        labels = {l.strip() for l in re.findall(r"([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)", m.group(2))}
        found.setdefault(m.group(1), set()).update(labels)
    return found


def promql_grouping_labels(expr: str) -> set[str]:
    """Return the label names used in by(...)/without(...)/on(...) clauses."""
    labels: set[str] = set()
    for m in re.finditer(r"\b(?:by|without|on|ignoring)\s*\(([^)]*)\)", expr):
        labels.update(l.strip() for l in m.group(1).split(",") if l.strip())
    return labels


def bot_metric_series() -> dict[str, set[str]]:
    """Return every series name the bot exports at /metrics, with its label names."""
    metrics_mod = pytest.importorskip("bot.metrics")
    m = metrics_mod.Metrics()
    series: dict[str, set[str]] = {}
    for collector in list(m.registry._collector_to_names):  # noqa: SLF001 - no public listing
        labels = set(getattr(collector, "_labelnames", ()))
        kind = getattr(collector, "_type", "")
        base = collector._name
        if kind == "counter":
            names = [base + "_total"]
        elif kind == "histogram":
            names = [base + s for s in ("_bucket", "_sum", "_count")]
            labels = labels | {"le"}
        else:
            names = [base]
        for n in names:
            series[n] = labels
    return series


# Scrape-time labels every series gets, and the relabelling the scrape configs apply:
# the bot labels lease metrics with "job", which Prometheus stores as "lease".
TARGET_LABELS = {"job", "instance"}


def scraped_labels(series: str, exported: set[str]) -> set[str]:
    """Return a series' label names as Prometheus stores them after our relabelling."""
    labels = set(exported)
    if "job" in labels and series.startswith("opsbot_lease_"):
        labels = (labels - {"job"}) | {"lease"}
    return labels | TARGET_LABELS
