"""Read evaluation cases from folders: our layout and RCAEval's.

Our layout: a folder with ``data.csv`` (``time`` in unix seconds, then one column per
``<service>_<metric>``), ``inject_time.txt`` and ``root_cause.txt`` (one ``<service>`` or
``<service>_<metric>`` per line); ``graph.json`` (service -> dependencies) is optional.

RCAEval layouts, where the answer comes from the folder names: flat
``<suite>_<service>_<fault>_<n>/`` or nested ``<service>_<fault>/<n>/``, holding
``data.csv`` (or ``simple_metrics.csv``) or ``metrics.json`` and ``inject_time.txt``.  The
fault maps to the metric RCAEval scores (cpu, mem, disk -> diskio, delay/loss -> latency,
socket).  ``metrics.json`` may be ``{"time": [...], "<name>": [...]}``, a list of row
objects with a ``time`` key, or ``{"<name>": [[t, v], ...]}`` (Prometheus-style pairs).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from engine.errors import InvalidInput
from engine.rca.grid import frame_series
from engine.rca.types import RcaInput, Series

DATA_FILES = ("data.csv", "simple_metrics.csv", "metrics.json")
FAULT_METRIC = {"cpu": "cpu", "mem": "mem", "disk": "diskio", "delay": "latency", "loss": "latency", "socket": "socket"}
_FLAT = re.compile(r"^(?P<suite>[^_]+)_(?P<service>.+)_(?P<fault>[^_]+)_(?P<n>\d+)$")
_NESTED = re.compile(r"^(?P<service>.+)_(?P<fault>[^_]+)$")


@dataclass(frozen=True)
class Case:
    """One evaluation case: the ranker input at the true inject time and the answer."""

    name: str
    path: Path
    inject_time: float
    series: dict[str, Series]
    root_causes: tuple[str, ...]  # "<service>" or "<service>_<metric>"
    graph: dict[str, list[str]] | None

    def input(self, delay: float = 0.0) -> RcaInput:
        """Return the ranker input with the detection ``delay`` seconds after injection."""
        return RcaInput(self.series, self.inject_time + delay, graph=self.graph)


def find_cases(root: Path) -> list[Path]:
    """Return every folder under ``root`` (itself included) that holds a case."""
    found = set()
    for inject in root.rglob("inject_time.txt"):
        if any((inject.parent / f).is_file() for f in DATA_FILES):
            found.add(inject.parent)
    return sorted(found)


def load_case(folder: Path) -> Case:
    """Load one case folder in either layout."""
    try:
        inject = float((folder / "inject_time.txt").read_text(encoding="utf-8").split()[0])
    except (OSError, IndexError, ValueError) as exc:
        raise InvalidInput(f"{folder}: unreadable inject_time.txt", hint="one unix timestamp") from exc
    series = _load_series(folder)
    roots = _root_causes(folder)
    graph_file = folder / "graph.json"
    graph = json.loads(graph_file.read_text(encoding="utf-8")) if graph_file.is_file() else None
    return Case(folder.name, folder, inject, series, roots, graph)


def _load_series(folder: Path) -> dict[str, Series]:
    for fname in ("data.csv", "simple_metrics.csv"):
        if (folder / fname).is_file():
            return frame_series(pd.read_csv(folder / fname))
    if (folder / "metrics.json").is_file():
        return _json_series(json.loads((folder / "metrics.json").read_text(encoding="utf-8")))
    raise InvalidInput(f"{folder}: no data.csv or metrics.json")


def _json_series(doc: object) -> dict[str, Series]:
    if isinstance(doc, list):
        return frame_series(pd.DataFrame(doc))
    if isinstance(doc, dict) and "time" in doc:
        return frame_series(pd.DataFrame(doc))
    if isinstance(doc, dict):
        out = {}
        for name, pairs in doc.items():
            arr = np.asarray(pairs, dtype=float).reshape(-1, 2)
            out[str(name)] = Series.of(arr[:, 0], arr[:, 1])
        return out
    raise InvalidInput("metrics.json: expected an object or a list of rows")


def _root_causes(folder: Path) -> tuple[str, ...]:
    rc_file = folder / "root_cause.txt"
    if rc_file.is_file():
        lines = [ln.strip() for ln in rc_file.read_text(encoding="utf-8").splitlines()]
        return tuple(ln for ln in lines if ln)
    flat = _FLAT.match(folder.name)
    if flat:
        return (_answer(flat["service"], flat["fault"]),)
    nested = _NESTED.match(folder.parent.name)
    if folder.name.isdigit() and nested:
        return (_answer(nested["service"], nested["fault"]),)
    raise InvalidInput(f"{folder}: no root_cause.txt and the folder name is not RCAEval's")


def _answer(service: str, fault: str) -> str:
    metric = FAULT_METRIC.get(fault.lower())
    return f"{service}_{metric}" if metric else service
