"""Where a watch's series come from: Prometheus (PromQL) or a CSV replayed as if live."""

from __future__ import annotations

import asyncio
import csv
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from engine.adapters.prometheus import PrometheusMetrics
from engine.anomaly.watches.config import WatchConfig
from engine.errors import InvalidInput, Unavailable
from engine.ports import Metrics, Series, WatchSeries


class PromSource:
    """A PromQL range query through the Prometheus adapter (threads, timeouts, one attempt)."""

    def __init__(self, metrics: Metrics, watch: WatchConfig) -> None:
        self.metrics, self.watch = metrics, watch

    async def fetch(self, start: datetime, end: datetime, state: dict[str, Any]) -> list[Series]:
        """Run the range query on step-aligned times, so every run sees the same evaluation grid."""
        step = self.watch.step_s
        a = datetime.fromtimestamp(start.timestamp() // step * step, timezone.utc)
        b = datetime.fromtimestamp(end.timestamp() // step * step, timezone.utc)
        return await self.metrics.query_range(self.watch.query or "", a, b, step)

    def link(self, start: datetime, end: datetime) -> str | None:
        """Return Prometheus's graph page for the query."""
        return self.metrics.graph_url(self.watch.query or "", start, end, self.watch.step_s)


def read_csv(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Read `timestamp,value` rows (ISO or epoch timestamps, UTC) sorted by time."""
    try:
        with path.open(newline="", encoding="utf-8") as fh:
            rows = [r for r in csv.reader(fh) if r]
    except OSError as exc:
        raise Unavailable(f"cannot read replay file {path}: {exc.strerror}") from exc
    if rows and not _is_number(rows[0][1] if len(rows[0]) > 1 else ""):
        rows = rows[1:]  # header
    ts, vs = [], []
    for i, row in enumerate(rows, start=2):
        if len(row) < 2:
            raise InvalidInput(f"{path}: row {i} needs timestamp,value")
        ts.append(_epoch(row[0], path, i))
        vs.append(float(row[1]))
    order = np.argsort(ts, kind="stable")
    return np.asarray(ts, dtype=np.float64)[order], np.asarray(vs, dtype=np.float64)[order]


def _is_number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


def _epoch(text: str, path: Path, row: int) -> float:
    if _is_number(text):
        return float(text)
    try:
        dt = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(f"{path}: row {row}: {text!r} is not a timestamp") from None
    return (dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)).timestamp()


class ReplaySource:
    """Replays a CSV as if live: row `start_row` lands on the first run's clock, later rows
    appear as real time passes (the series keeps its own step)."""

    def __init__(self, path: Path, watch: WatchConfig) -> None:
        self.path, self.watch = path, watch
        self._data: tuple[np.ndarray, np.ndarray] | None = None

    async def _load(self) -> tuple[np.ndarray, np.ndarray]:
        if self._data is None:
            self._data = await asyncio.to_thread(read_csv, self.path)
        return self._data

    def _start_row(self, ts: np.ndarray) -> int:
        cfg = self.watch.replay
        if cfg is not None and cfg.start_row is not None:
            return min(cfg.start_row, len(ts) - 1)
        full = int(np.searchsorted(ts, ts[0] + self.watch.lookback_s))
        return min(max(full, 0), len(ts) - 1)

    async def fetch(self, start: datetime, end: datetime, state: dict[str, Any]) -> list[Series]:
        """Return the replayed points that have 'happened' by `end`, shifted onto real time."""
        ts, vs = await self._load()
        if len(ts) == 0:
            return []
        if "offset" not in state:  # first run: anchor the replay so it survives restarts
            state["offset"] = end.timestamp() - float(ts[self._start_row(ts)])
        shifted = ts + float(state["offset"])
        keep = (shifted >= start.timestamp()) & (shifted <= end.timestamp())
        return [Series({"replay": self.path.stem}, shifted[keep].tolist(), vs[keep].tolist())]

    def link(self, start: datetime, end: datetime) -> str | None:
        """Replays have no graph page."""
        return None


def build_source(watch: WatchConfig, prometheus_url: str | None, base_dir: Path) -> WatchSeries:
    """Return the source a watch is configured with, or raise InvalidInput naming what is missing."""
    if watch.replay is not None:
        path = Path(watch.replay.path)
        return ReplaySource(path if path.is_absolute() else base_dir / path, watch)
    if not prometheus_url:
        raise InvalidInput(f"watch {watch.name!r} has a PromQL query but no Prometheus is configured",
                           hint="set OPSBOT_PROMETHEUS_URL")
    return PromSource(PrometheusMetrics(prometheus_url, timeout_s=watch.timeout_s), watch)
