"""Scoring throughput: one day of 1-minute points (1440) for 10,000 series, and per-point cost.

Run: .venv/bin/python tests/benchmarks/bench_anomaly_throughput.py [SERIES]
Matrix form (series as columns, 2 processes) against the peer measured side by side:
one stateful detector per series fed the same day. Then the stateful per-point update
(one new point on a detector that already holds 3 days), median and p99.
"""

from __future__ import annotations

import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor

import numpy as np

from engine.anomaly.detectors.record import RobustRecordDetector
from engine.anomaly.detectors.robust import RobustParams, State, score_matrix

POINTS = 1440
CHUNK = 500


def _series(seed: int, m: int, points: int = POINTS) -> np.ndarray:
    """Return (points, m) noisy daily series with a few spikes."""
    rng = np.random.default_rng(seed)
    t = np.arange(points)[:, None]
    y = 100 + 10 * np.sin(2 * np.pi * t / POINTS + rng.uniform(0, 6, m)) + rng.normal(0, 2, (points, m))
    y[rng.integers(300, points, m), np.arange(m)] += 40
    return y


def _score_chunk(seed: int) -> int:
    """Score one chunk of series (fresh, daily period known) as a matrix; return points scored."""
    p = RobustParams()
    y = _series(seed, CHUNK)
    out = score_matrix(y, State.fresh(CHUNK, p, POINTS), POINTS, p)
    assert out.scores.shape == y.shape
    return y.size


def main() -> None:
    """Print matrix throughput on 2 processes, the per-series peer and per-point latency."""
    n_series = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    workers = min(2, os.cpu_count() or 1)
    t0 = time.perf_counter()
    with ProcessPoolExecutor(max_workers=workers) as pool:
        points = sum(pool.map(_score_chunk, range(n_series // CHUNK)))
    elapsed = time.perf_counter() - t0
    print(f"matrix form: {n_series} series x {POINTS} points = {points} points in {elapsed:.1f}s "
          f"on {workers} processes -> {points / elapsed:,.0f} points/s (target < 60 s)")
    peer_n = 50
    y = _series(99, peer_n)
    ts = 1.7e9 + np.arange(POINTS) * 60.0
    t0 = time.perf_counter()
    for j in range(peer_n):
        RobustRecordDetector().score_batch(ts, y[:, j])
    per = (time.perf_counter() - t0) / peer_n
    t0 = time.perf_counter()
    _score_chunk(7)
    mat = (time.perf_counter() - t0) / CHUNK
    print(f"per series, 1 process: stateful score_batch {per * 1e3:.2f} ms vs matrix {mat * 1e3:.2f} ms "
          f"(ratio {per / mat:.1f}x); peer would take {per * n_series / workers:.0f}s for {n_series} on {workers}")
    days = _series(5, 1, 4 * POINTS)[:, 0]
    ts = 1.7e9 + np.arange(len(days)) * 60.0
    det = RobustRecordDetector()
    det.score_batch(ts[: 3 * POINTS], days[: 3 * POINTS])
    lat = []
    for i in range(3 * POINTS, 3 * POINTS + 1000):
        t0 = time.perf_counter()
        det.update(ts[i], days[i])
        lat.append(time.perf_counter() - t0)
    lat_ms = np.array(lat) * 1e3
    print(f"stateful update (1-min series, daily period, 3 days held): median {np.median(lat_ms):.3f} ms, "
          f"p99 {np.percentile(lat_ms, 99):.3f} ms over 1000 points")


if __name__ == "__main__":
    main()
