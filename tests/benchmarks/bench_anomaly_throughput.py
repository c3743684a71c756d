"""Scoring cost: one day of 1-minute points (1440) for 10,000 series, and per-point cost.

Run: .venv/bin/python tests/benchmarks/bench_anomaly_throughput.py [SERIES] [DETECTOR,...]
Per detector (default: `robust`, `ensemble`, `ensemble-coarse`, the default `ensemble-calm`
and the opt-in `ensemble-flat`):
- the production path: what a watch's worker thread runs on its first run, a day of lookback
  for every series (WatchService._score_all: score, decide, the state snapshot it stores),
  10,000 series as watches of WATCH_SERIES on 2 processes; beside it the same work one series
  at a time (score_new per series, the path before new series were batched), on a sample;
- the matrix form (score_fresh_matrix / score_matrix: fresh series as columns, no watch
  bookkeeping);
- the stateful per-point update (one new point on a detector that already holds 3 days):
  median, mean and p99, and the state's JSON size.
Every figure is the median of REPEATS runs; the machine is shared, so load shows in p99.
"""

from __future__ import annotations

import json
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from statistics import median

import numpy as np

from pathlib import Path

# This checkout's code, not whichever one the editable install points at (a worktree's run would measure main's).
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from engine.anomaly import registry
from engine.anomaly.watches.config import WatchConfig
from engine.anomaly.watches.scoring import SeriesMemory, score_new
from engine.anomaly.watches.service import WatchService
from engine.ports import Series
from engine.anomaly.detectors.ensemble import score_fresh_matrix
from engine.anomaly.detectors.robust import RobustParams, State, score_matrix

POINTS = 1440
CHUNK = 500
REPEATS = 3
WATCH_SERIES = 500  # series per watch in the production path (a watch allows up to 1000)
ONE_BY_ONE_SAMPLE = 200  # series scored one at a time, for the per-series figure


def _series(seed: int, m: int, points: int = POINTS) -> np.ndarray:
    """Return (points, m) noisy daily series with a few spikes."""
    rng = np.random.default_rng(seed)
    t = np.arange(points)[:, None]
    y = 100 + 10 * np.sin(2 * np.pi * t / POINTS + rng.uniform(0, 6, m)) + rng.normal(0, 2, (points, m))
    y[rng.integers(300, points, m), np.arange(m)] += 40
    return y


def _score_chunk(job: tuple[str, int]) -> tuple[int, float]:
    """Score one chunk of fresh series (daily period known) as a matrix; return (points, CPU seconds)."""
    detector, seed = job
    c0 = time.process_time()
    y = _series(seed, CHUNK)
    if detector.startswith("ensemble"):
        # One day of rows: the coarse view (two-hour buckets) is still in its quiet rows.
        scores = score_fresh_matrix(y, POINTS, step=60.0, coarse=detector != "ensemble",
                                    flat=detector == "ensemble-flat",
                                    stamps=1.7e9 + np.arange(POINTS) * 60.0 if detector == "ensemble-calm" else None)
    else:
        p = RobustParams()
        scores = score_matrix(y, State.fresh(CHUNK, p, POINTS), POINTS, p).scores
    assert scores.shape == y.shape
    return y.size, time.process_time() - c0


def _watch(detector: str) -> WatchConfig:
    return WatchConfig(name="bench", query="up", detector=detector, max_series=1000)


def _production_chunk(job: tuple[str, int]) -> tuple[int, float]:
    """Run a watch's scoring of WATCH_SERIES new series (a day each); return (points, CPU seconds)."""
    detector, seed = job
    y = _series(seed, WATCH_SERIES)
    ts = (1.7e9 + np.arange(POINTS) * 60.0).tolist()
    work = [(Series({"i": str(j)}, ts, y[:, j].tolist()), None) for j in range(WATCH_SERIES)]
    c0 = time.process_time()
    out = WatchService._score_all(_watch(detector), work)
    cpu = time.process_time() - c0
    assert len(out) == WATCH_SERIES and all(v.new_points == POINTS for v, _ in out)
    return y.size, cpu


def _production(detector: str, n_series: int, workers: int) -> tuple[float, float]:
    """Return (wall seconds, CPU seconds / workers) of the production path for n_series new series."""
    t0 = time.perf_counter()
    with ProcessPoolExecutor(max_workers=workers) as pool:
        done = list(pool.map(_production_chunk, [(detector, s) for s in range(n_series // WATCH_SERIES)]))
    assert sum(p for p, _ in done) == n_series * POINTS
    return time.perf_counter() - t0, sum(c for _, c in done) / workers


def _one_by_one(detector: str) -> float:
    """Return CPU seconds per series of score_new one series at a time (no batching of new series)."""
    y = _series(99, ONE_BY_ONE_SAMPLE)
    ts = 1.7e9 + np.arange(POINTS) * 60.0
    watch = _watch(detector)
    c0 = time.process_time()
    for j in range(ONE_BY_ONE_SAMPLE):
        score_new(watch, SeriesMemory(), ts, y[:, j])
    return (time.process_time() - c0) / ONE_BY_ONE_SAMPLE


def _matrix(detector: str, n_series: int, workers: int) -> tuple[float, float]:
    """Return (wall seconds, CPU seconds / workers) to score n_series fresh series x POINTS in matrix form."""
    t0 = time.perf_counter()
    with ProcessPoolExecutor(max_workers=workers) as pool:
        done = list(pool.map(_score_chunk, [(detector, s) for s in range(n_series // CHUNK)]))
    assert sum(p for p, _ in done) == n_series * POINTS
    return time.perf_counter() - t0, sum(c for _, c in done) / workers


def _update_latency(detector: str) -> tuple[np.ndarray, np.ndarray]:
    """Return per-point update wall and CPU milliseconds for 1000 points after 3 days held."""
    days = _series(5, 1, 4 * POINTS)[:, 0]
    ts = 1.7e9 + np.arange(len(days)) * 60.0
    det = registry.create(detector)
    det.score_batch(ts[: 3 * POINTS], days[: 3 * POINTS])
    wall, cpu = [], []
    for i in range(3 * POINTS, 3 * POINTS + 1000):
        t0, c0 = time.perf_counter(), time.process_time()
        det.update(ts[i], days[i])
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return np.array(wall) * 1e3, np.array(cpu) * 1e3


def main() -> None:
    """Print the production path and the matrix form on 2 processes, the one-by-one path and per-point latency."""
    n_series = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    detectors = sys.argv[2].split(",") if len(sys.argv) > 2 else ["robust", "ensemble", "ensemble-coarse", "ensemble-calm", "ensemble-flat"]
    workers = min(2, os.cpu_count() or 1)
    print(f"load average at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; medians of {REPEATS} runs")
    for det in detectors:
        prods = [_production(det, n_series, workers) for _ in range(REPEATS)]
        secs, cpu = median(r[0] for r in prods), median(r[1] for r in prods)
        print(f"{det:<9} production path (a watch's first run: score, decide, state snapshot), {n_series} new series "
              f"x {POINTS} points as watches of {WATCH_SERIES}: {secs:.1f}s wall on {workers} processes, CPU {cpu:.1f}s "
              f"per process (target < 60 s)")
        per = median(_one_by_one(det) for _ in range(REPEATS))
        print(f"          the same one series at a time (score_new each, {ONE_BY_ONE_SAMPLE} series): {per * 1e3:.1f} ms "
              f"CPU per series -> {per * n_series / workers:.0f}s CPU per process for {n_series}")
        mats = [_matrix(det, n_series, workers) for _ in range(REPEATS)]
        secs, cpu = median(r[0] for r in mats), median(r[1] for r in mats)
        print(f"          matrix form (scores only): {n_series} series x {POINTS} points in {secs:.1f}s wall on {workers} "
              f"processes -> {n_series * POINTS / secs:,.0f} points/s; CPU {cpu:.1f}s per process")
        runs = [_update_latency(det) for _ in range(REPEATS)]
        for label, k in (("wall", 0), ("CPU", 1)):
            med = median(float(np.median(r[k])) for r in runs)
            mean = median(float(r[k].mean()) for r in runs)
            p99 = median(float(np.percentile(r[k], 99)) for r in runs)
            print(f"          stateful update {label} (1-min series, daily period, 3 days held): median {med:.3f} ms, "
                  f"mean {mean:.3f} ms, p99 {p99:.3f} ms over 1000 points (target < 0.2 ms)")
        held = registry.create(det)
        days = _series(5, 1, 4 * POINTS)[:, 0]
        held.score_batch(1.7e9 + np.arange(len(days)) * 60.0, days)
        print(f"          state JSON after 4 days of 1-minute points: {len(json.dumps(held.to_state())) / 1e3:.0f} kB")


if __name__ == "__main__":
    main()
