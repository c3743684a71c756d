"""Scoring throughput: one day of 1-minute points (1440) for 10,000 series.

Run: .venv/bin/python tests/benchmarks/bench_anomaly_throughput.py [SERIES]
Peer, measured side by side: one stateful detector per series (score_batch each).
"""

from __future__ import annotations

import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor

import numpy as np

from engine.anomaly.detectors.record import RobustRecordDetector
from engine.anomaly.detectors.robust import Carry, RobustParams, score_matrix

POINTS = 1440
CHUNK = 500


def _series(seed: int, m: int) -> np.ndarray:
    """Return (POINTS, m) noisy daily-ish series with a few spikes."""
    rng = np.random.default_rng(seed)
    t = np.arange(POINTS)[:, None]
    y = 100 + 10 * np.sin(2 * np.pi * t / POINTS + rng.uniform(0, 6, m)) + rng.normal(0, 2, (POINTS, m))
    y[rng.integers(300, POINTS, m), np.arange(m)] += 40
    return y


def _score_chunk(seed: int) -> int:
    """Score one chunk of series as a matrix; return points scored."""
    y = _series(seed, CHUNK)
    out = score_matrix(np.zeros((0, CHUNK)), y, None, Carry.fresh(CHUNK), RobustParams())
    assert out.scores.shape == y.shape
    return y.size


def main() -> None:
    """Print matrix throughput on 2 processes and the per-series peer."""
    n_series = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    workers = min(2, os.cpu_count() or 1)
    t0 = time.perf_counter()
    with ProcessPoolExecutor(max_workers=workers) as pool:
        points = sum(pool.map(_score_chunk, range(n_series // CHUNK)))
    elapsed = time.perf_counter() - t0
    print(f"matrix form: {n_series} series x {POINTS} points = {points} points in {elapsed:.1f}s "
          f"on {workers} processes -> {points / elapsed:,.0f} points/s (target < 60 s)")
    peer_n = 100
    y = _series(99, peer_n)
    ts = 1.7e9 + np.arange(POINTS) * 60.0
    t0 = time.perf_counter()
    for j in range(peer_n):
        RobustRecordDetector(seasonal=False).score_batch(ts, y[:, j])
    per = (time.perf_counter() - t0) / peer_n
    t0 = time.perf_counter()
    _score_chunk(7)
    mat = (time.perf_counter() - t0) / CHUNK
    print(f"per series, 1 process: stateful score_batch {per * 1e3:.2f} ms vs matrix {mat * 1e3:.2f} ms "
          f"(ratio {per / mat:.1f}x); peer would take {per * n_series / workers:.0f}s for {n_series} on {workers}")


if __name__ == "__main__":
    main()
