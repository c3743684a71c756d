"""Fourth held-out generator style: JVM, database and queue metrics of one service, in NAB's form.

Written before the tuning it checks, by a recipe unlike the other three (sine days;
one load curve; drifting host profiles): here normal life is dominated by *scheduled
machinery* rather than user load. A nightly batch job (same minute every day, lasting
20-90 minutes) loads the database and fills the queue; a weekly backup (one night a
week, hours long) slows queries and lags the replica; every deploy restarts the JVM,
so the heap's sawtooth restarts low and the cache warms up again over tens of minutes.
Load itself is a plateau-shaped business day with a lunch dip and quiet weekends.
Six categories:

- ``heap_used``: MB, a GC sawtooth (allocation rate follows load, the collector frees to
  a live-set floor); incidents: a slow leak (the floor creeps up for hours), GC thrash
  (live set near the limit, collections back to back: a flat band near the top);
- ``gc_pause_ms``: worst pause per scrape, heavy tailed; incidents: a full-GC storm
  (pauses of seconds for a while), a pause-free stall (the collector stops reporting: zeros);
- ``db_query_ms``: mean query latency; normal: the nightly batch and weekly backup raise
  it; incidents: lock contention (a tall hump), a missing index after a deploy (a lasting step);
- ``queue_depth``: messages waiting; normal: the nightly batch floods it and consumers
  drain it; incidents: consumers stuck (a linear climb), a poison message (depth pinned);
- ``cache_hit``: hit ratio in percent; normal: a warm-up dip after each deploy;
  incidents: an eviction storm (a deep, lasting dip at no deploy), a cold cache key flood;
- ``replica_lag_s``: replication lag; normal: weekly-backup and batch bumps; incidents:
  replication broken (lag grows with wall time), a network partition (lag saw-teeth).

Windows follow NAB's rule (together 10% of the file's rows, split evenly, centred on each
onset); `nab_labels` gives them as NAB's combined_windows.json. Score it once, at the end.
"""

from __future__ import annotations

import numpy as np

from engine.lab.anomaly.nab.corpus import DataFile
from engine.lab.anomaly.synthetic_hosts import nab_labels, nab_onsets

__all__ = ["CATEGORIES", "make_corpus", "nab_labels"]

CATEGORIES = ("heap_used", "gc_pause_ms", "db_query_ms", "queue_depth", "cache_hit", "replica_lag_s")
DAY_S = 86400
WEEK_S = 7 * DAY_S


def _times(rng: np.random.Generator) -> np.ndarray:
    """Return scrape times in seconds: 1, 2 or 5 minutes over 5-20 days, with jitter."""
    step = float(rng.choice([60.0, 120.0, 300.0], p=[0.4, 0.3, 0.3]))
    days = int(rng.integers(5, 9)) if step == 60 else int(rng.integers(8, 21))
    t = np.arange(int(days * DAY_S / step), dtype=np.float64) * step
    return np.asarray(t + rng.uniform(0, 0.1 * step, len(t)))


def _load(rng: np.random.Generator, t: np.ndarray) -> np.ndarray:
    """Return business load in about [0.1, 1]: a plateau day with a lunch dip, quiet weekends."""
    hour = ((t + rng.uniform(-2, 2) * 3600) % DAY_S) / 3600
    day = 1 / (1 + np.exp(-(hour - 8.5) * 2)) * 1 / (1 + np.exp((hour - 18) * 1.5))
    day = day * (1 - 0.2 * np.exp(-0.5 * ((hour - 12.5) / 0.5) ** 2))
    wd = ((t + rng.integers(0, 7) * DAY_S) % WEEK_S) // DAY_S
    return np.asarray(0.1 + 0.9 * day * np.where(wd >= 5, rng.uniform(0.2, 0.5), 1.0))


def _schedule(rng: np.random.Generator, t: np.ndarray) -> dict[str, np.ndarray]:
    """Return 0/1 masks of the nightly batch and the weekly backup, and the deploy rows."""
    hour = (t % DAY_S) / 3600
    b0, blen = rng.uniform(0, 4), rng.uniform(20, 90) / 60
    batch = ((hour >= b0) & (hour < b0 + blen)).astype(float)
    wd = ((t % WEEK_S) // DAY_S).astype(int)
    k0, klen, kday = rng.uniform(1, 4), rng.uniform(2, 5), int(rng.integers(0, 7))
    backup = ((wd == kday) & (hour >= k0) & (hour < k0 + klen)).astype(float)
    deploys = [int(np.searchsorted(t, d * DAY_S + rng.uniform(9, 17) * 3600))
               for d in range(int(t[-1] // DAY_S) + 1) if d % 7 < 5 and rng.random() < 0.45]
    return {"batch": batch, "backup": backup, "deploys": np.array([i for i in deploys if 0 < i < len(t)], dtype=int)}


def _since_deploy(t: np.ndarray, deploys: np.ndarray) -> np.ndarray:
    """Return seconds since the last deploy (large before the first)."""
    last = np.full(len(t), -1e9)
    for i in deploys:
        last[i:] = t[i]
    return np.asarray(t - last)


def _render(cat: str, rng: np.random.Generator, t: np.ndarray, s: dict[str, np.ndarray],
            inc: list[tuple[int, int, int]]) -> np.ndarray:
    """Return observed values of one category; `inc` lists incidents as (kind, start row, end row)."""
    n = len(t)
    load, batch, backup = _load(rng, t), s["batch"], s["backup"]
    dt = float(np.median(np.diff(t)))
    warm = np.exp(-_since_deploy(t, s["deploys"]) / rng.uniform(600, 2400))  # 1 just after a restart
    mult = np.ones(n)
    if cat == "heap_used":
        limit = rng.uniform(1024, 8192)
        live = np.full(n, limit * rng.uniform(0.2, 0.4)) * (1 - 0.5 * warm)
        alloc = limit * rng.uniform(0.02, 0.1) * (0.3 + load + 0.8 * batch) / 60  # MB per second
        thrash = np.zeros(n, dtype=bool)
        for kind, a, b in inc:
            if kind == 0:  # slow leak: live set grows until the restart that ends it
                live[a:b] += np.linspace(0, limit * rng.uniform(0.25, 0.45), b - a)
            else:
                thrash[a:b] = True
        y, h = np.empty(n), float(live[0])
        restarts = set(s["deploys"].tolist())
        for i in range(n):
            if i in restarts:
                h = float(live[i])
            h += alloc[i] * dt * rng.uniform(0.7, 1.3)
            if thrash[i]:
                h = limit * rng.uniform(0.88, 0.97)
            elif h > 0.75 * limit:  # a collection frees to the live set
                h = float(live[i]) * rng.uniform(1.0, 1.05) + alloc[i] * dt * rng.random()
            y[i] = min(h, limit)
        return np.asarray(np.round(y, 1))
    if cat == "gc_pause_ms":
        base = rng.uniform(5, 40)
        y = base * (0.5 + load + 0.5 * batch) * rng.lognormal(0, 0.5, n)
        y += (rng.random(n) < 0.01) * base * rng.uniform(3, 8, n)  # the odd long young collection
        for kind, a, b in inc:
            if kind == 0:
                y[a:b] = rng.uniform(800, 4000, b - a)
            else:
                y[a:b] = 0.0
        return np.asarray(np.round(y, 2))
    if cat == "db_query_ms":
        base = rng.uniform(2, 30)
        step_up = np.ones(n)
        for kind, a, b in inc:
            if kind == 0:
                mid = (a + b) / 2
                mult[a:b] *= 1 + rng.uniform(3, 8) * np.exp(-0.5 * ((np.arange(a, b) - mid) / max(1, (b - a) / 4)) ** 2)
            else:
                step_up[a:b] *= rng.uniform(2, 4)
        y = base * (1 + 0.6 * load + 1.5 * batch + 2.5 * backup) * mult * step_up * rng.lognormal(0, 0.15, n)
        return np.asarray(np.round(y, 3))
    if cat == "queue_depth":
        rate_in = rng.uniform(50, 500) * (load + 6 * batch) * (1 + 0.3 * warm)
        cap = rng.uniform(1.1, 1.6) * rng.uniform(50, 500) * (1 + 1.5 * (batch > 0))  # consumers scale for the batch
        stuck = np.zeros(n, dtype=bool)
        pinned = np.full(n, np.nan)
        for kind, a, b in inc:
            if kind == 0:
                stuck[a:b] = True
            else:
                pinned[a:b] = rng.uniform(200, 3000)
        y, q = np.empty(n), 0.0
        for i in range(n):
            out = 0.0 if stuck[i] else float(cap[i])
            q = max(0.0, q + (rng.poisson(rate_in[i] * dt / 60) - out * dt / 60))
            y[i] = q if np.isnan(pinned[i]) else pinned[i] + rng.integers(0, 3)
        return np.asarray(np.round(y))
    if cat == "cache_hit":
        hit = rng.uniform(85, 98)
        y = hit - (hit - rng.uniform(20, 50)) * warm - 2 * load + rng.normal(0, rng.uniform(0.3, 1.2), n)
        for kind, a, b in inc:
            if kind == 0:
                y[a:b] -= rng.uniform(25, 50)
            else:
                y[a:b] -= rng.uniform(8, 20) * rng.random(b - a)
        return np.asarray(np.clip(np.round(y, 2), 0, 100))
    lag = rng.uniform(0.05, 0.5) * (1 + load) + 5 * batch * rng.random(n) + 60 * backup * rng.uniform(0.5, 1, n)
    lag = lag * rng.lognormal(0, 0.3, n)
    for kind, a, b in inc:
        if kind == 0:
            lag[a:b] += t[a:b] - t[a]
        else:
            lag[a:b] += (t[a:b] - t[a]) % rng.uniform(300, 900) * rng.uniform(0.3, 1)
    return np.asarray(np.round(lag, 3))


def make_corpus(files_per_category: int = 6, seed: int = 31337) -> list[DataFile]:
    """Return labelled files: each category's first file has no anomaly, the others 1-3 each."""
    rng = np.random.default_rng(seed)
    files: list[DataFile] = []
    start = np.datetime64("2026-09-07T00:00:00")
    for cat in CATEGORIES:
        for k in range(files_per_category):
            t = _times(rng)
            n = len(t)
            s = _schedule(rng, t)
            count = 0 if k == 0 else int(rng.integers(1, 4))
            onsets, windows = nab_onsets(rng, n, count)
            inc = []
            for at in onsets:
                minutes = rng.uniform(30, 360)
                end = int(min(n, max(at + 3, np.searchsorted(t, t[at] + minutes * 60))))
                inc.append((int(rng.integers(0, 2)), at, end))
            y = _render(cat, rng, t, s, inc)
            stamps = (start + np.round(t).astype("timedelta64[s]")).astype("datetime64[ns]")
            files.append(DataFile(f"{cat}/{cat}_{k}.csv", stamps, np.asarray(y, dtype=np.float64), windows))
    return files
