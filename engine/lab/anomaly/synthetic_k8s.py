"""Sixth held-out generator style: Kubernetes container metrics of one deployment, in NAB's form.

Written before the tuning it checks, by a recipe unlike the other five (sine days; one load
curve; drifting host profiles; scheduled JVM machinery; cloud-monitoring periods). Here rows
are what Prometheus scrapes from cAdvisor and kube-state-metrics for one deployment, mostly at
1-minute resolution (some files 5-minute, as a long-term store downsamples them). Request load
has a daily shape with a morning ramp, an evening tail and a weekly cycle; a horizontal pod
autoscaler (HPA) follows it with a scale-up delay and a 5-minute scale-down stabilisation, so
per-pod figures fall at every scale-up. Rollouts (weekdays, office hours) replace every pod:
restart counters go back to zero, memory restarts low, and a new version may shift per-pod CPU
and latency a little and keep it (normal, not an incident). Six categories:

- ``cpu_throttled``: share of CFS periods throttled (0-1), near zero until per-pod CPU nears
  its limit at peak; incidents: a rollout with a too-low CPU limit (throttling pinned high for
  hours), a CPU-hungry regression (throttling at every load);
- ``memory_working_set``: bytes summed over pods; page cache grows and is reclaimed near the
  limit (a slow sawtooth), rollouts reset it; incidents: a leak that drives pods into OOM kills
  (a fast sawtooth at the limit), a bad config doubling the resident set;
- ``restarts``: kube-state-metrics restart counter summed over the deployment's pods (a
  cumulative integer, back to zero on each rollout, the odd single restart is normal);
  incidents: CrashLoopBackOff (one restart every back-off, doubling from 10 s up to 5 minutes);
- ``request_rate``: ingress requests per second, Poisson at the scrape; incidents: a bad
  ingress rule sending most traffic elsewhere, a client retry loop multiplying it;
- ``latency_p99``: histogram_quantile over fixed buckets, so values snap between bucket
  edges; incidents: a slow dependency (3-10x), the HPA at its maximum while load still grows
  (latency climbs with the queue);
- ``replicas_available``: integer, follows the HPA; a rollout's surge adds a pod for a few
  minutes and a node drain removes one briefly (normal); incidents: pods stuck Pending after a
  node pool shrinks (available far below desired), a failed rollout (readiness fails: a few
  pods unavailable for hours).

Windows follow NAB's rule (together 10% of the file's rows, split evenly, centred on each
onset); `nab_labels` gives them as NAB's combined_windows.json. Score it once, at the end.
"""

from __future__ import annotations

import numpy as np

from engine.lab.anomaly.nab.corpus import DataFile
from engine.lab.anomaly.synthetic_hosts import nab_labels, nab_onsets

__all__ = ["CATEGORIES", "make_corpus", "nab_labels"]

CATEGORIES = ("cpu_throttled", "memory_working_set", "restarts", "request_rate", "latency_p99", "replicas_available")
DAY_S = 86400
WEEK_S = 7 * DAY_S
SEED = 88463
BUCKETS = np.array([0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0])


def _times(rng: np.random.Generator) -> np.ndarray:
    """Return scrape times in seconds: 1-minute (a few 5-minute) rows, missed scrapes and a few outages removed."""
    step = 300.0 if rng.random() < 0.2 else 60.0
    days = int(rng.integers(4, 11)) if step == 60 else int(rng.integers(10, 22))
    t = np.arange(int(days * DAY_S / step), dtype=np.float64) * step
    keep = rng.random(len(t)) > rng.uniform(0.0, 0.01)
    for _ in range(int(rng.poisson(0.2 * days))):  # Prometheus restarts, target down for a few scrapes
        at = int(rng.integers(0, len(t)))
        keep[at : at + int(rng.integers(2, 15))] = False
    return np.asarray(t[keep])


def _load(rng: np.random.Generator, t: np.ndarray) -> np.ndarray:
    """Return load in about [0.05, 1.2]: a morning ramp, a flat day, an evening tail, weekly cycle, noise."""
    hour = (t % DAY_S) / 3600 + rng.uniform(-3, 3)
    up, down = rng.uniform(6, 9), rng.uniform(19, 23)
    day = 1 / (1 + np.exp(-(hour % 24 - up) * 1.5)) * 1 / (1 + np.exp((hour % 24 - down) * 0.8))
    wd = ((t + rng.integers(0, 7) * DAY_S) % WEEK_S) // DAY_S
    weekly = np.where(wd == 5, rng.uniform(0.5, 0.9), np.where(wd == 6, rng.uniform(0.3, 0.8), 1.0))
    weekly = weekly * np.where(wd == 0, rng.uniform(1.0, 1.15), 1.0)  # Monday catch-up
    wobble = np.exp(np.cumsum(rng.normal(0, 0.004, len(t))))
    return np.asarray(0.05 + 0.95 * day * weekly * np.clip(wobble, 0.8, 1.25))


def _rollouts(rng: np.random.Generator, t: np.ndarray) -> list[int]:
    """Return rows where a rollout replaced every pod: weekdays 9-18, about one day in two."""
    out = []
    for d in range(int(t[-1] // DAY_S) + 1):
        if ((d + 2) % 7) < 5 and rng.random() < 0.55:
            i = int(np.searchsorted(t, d * DAY_S + rng.uniform(9, 18) * 3600))
            if 0 < i < len(t):
                out.append(i)
    return out


def _hpa(rng: np.random.Generator, demand: np.ndarray, dt: float, lo: int, hi: int) -> np.ndarray:
    """Return the HPA's replica count: up 1 min after demand exceeds it, down after 5 min of less."""
    up_lag, down_lag = max(1, int(60 / dt)), max(1, int(300 / dt))
    n, out, over, under = lo, np.empty(len(demand)), 0, 0
    for i, want in enumerate(np.clip(np.ceil(demand), lo, hi)):
        over = over + 1 if want > n else 0
        under = under + 1 if want < n else 0
        if over >= up_lag:
            n, over = int(want), 0
        elif under >= down_lag:
            n, under = int(want), 0
        out[i] = n
    return out


def _quantile(lat: np.ndarray, q: float = 0.99) -> np.ndarray:
    """Return histogram_quantile of log-normal latencies (median lat, spread 0.6) over BUCKETS, as Prometheus does."""
    from math import erf, sqrt

    z = (np.log(BUCKETS)[None, :] - np.log(lat)[:, None]) / (0.6 * sqrt(2))
    cdf = np.concatenate([np.zeros((len(lat), 1)), 0.5 * (1 + np.vectorize(erf)(z))], axis=1)
    edges = np.concatenate([[0.0], BUCKETS])
    k = (cdf < q).sum(axis=1)  # first bucket whose cumulative share reaches q
    out = np.full(len(lat), edges[-1])  # beyond the last bucket: the highest finite edge
    ok = k < len(edges)
    rows, kk = np.nonzero(ok)[0], k[ok]
    lo_c, hi_c = cdf[rows, kk - 1], cdf[rows, kk]
    out[ok] = edges[kk - 1] + (edges[kk] - edges[kk - 1]) * (q - lo_c) / np.maximum(hi_c - lo_c, 1e-12)
    return out


def _render(cat: str, rng: np.random.Generator, t: np.ndarray, inc: list[tuple[int, int, int]]) -> np.ndarray:
    """Return observed values of one category; `inc` lists incidents as (kind, start row, end row)."""
    n = len(t)
    dt = float(np.median(np.diff(t)))
    load = _load(rng, t)
    roll = _rollouts(rng, t)
    version = np.searchsorted(np.array(roll, dtype=int), np.arange(n), side="right")  # rollouts so far
    shift = np.exp(rng.normal(0, 0.08, len(roll) + 1))[version]  # each version's cost per request
    lo, hi = int(rng.integers(2, 4)), int(rng.integers(8, 20))
    per_pod = rng.uniform(0.1, 0.25)  # load one pod serves at its HPA target
    rps = load * rng.uniform(20, 2000)
    demand = load / per_pod
    for kind, a, b in inc:
        if cat == "request_rate":
            demand[a:b] *= rng.uniform(0.05, 0.3) if kind == 0 else rng.uniform(2.5, 6)
    pods = _hpa(rng, demand, dt, lo, hi)
    if cat == "request_rate":
        lam = rps * demand / (load / per_pod)  # the incidents' share of traffic
        return np.asarray(np.round(rng.poisson(lam * dt) / dt, 3))
    per = load / (pods * per_pod) * shift  # per-pod CPU as a share of its HPA target
    if cat == "cpu_throttled":
        limit = rng.uniform(1.3, 2.0)
        y = np.clip((per - 0.8 * limit) / (0.4 * limit), 0, 1) ** 1.5 + np.abs(rng.normal(0, 0.004, n))
        y += (rng.random(n) < 0.01) * rng.uniform(0, 0.15, n)  # GC or startup bursts
        for kind, a, b in inc:
            if kind == 0:
                y[a:b] = np.clip(rng.uniform(0.4, 0.8) + 0.3 * per[a:b] - 0.3 + rng.normal(0, 0.05, b - a), 0, 1)
            else:
                y[a:b] = np.clip(y[a:b] + rng.uniform(0.15, 0.35) * (0.5 + load[a:b]), 0, 1)
        return np.asarray(np.round(np.clip(y, 0, 1), 4))
    if cat == "memory_working_set":
        base = rng.uniform(150, 600) * 2**20
        limit = base * rng.uniform(2.0, 3.5)
        y = np.empty(n)
        cache, last = 0.0, 0
        rate = rng.uniform(0.2, 1.0) * (limit - base) / (DAY_S / dt)  # page cache per row
        for i in range(n):
            if last < len(roll) and i == roll[last]:
                cache, last = 0.0, last + 1
            cache += rate * (0.3 + load[i]) * rng.uniform(0.5, 1.5)
            if base + cache > 0.92 * limit:  # the kernel reclaims page cache near the limit
                cache *= rng.uniform(0.3, 0.6)
            y[i] = base * (1 + 0.15 * load[i]) + cache
        for kind, a, b in inc:
            if kind == 0:  # leak to the limit, OOM kill, restart low, again
                grow = (limit - base) / max(3, int(rng.uniform(600, 3600) / dt))
                level = y[a]
                for i in range(a, b):
                    level += grow * rng.uniform(0.5, 1.5)
                    if level >= limit:
                        level = base
                    y[i] = level
            else:
                y[a:b] += base * rng.uniform(0.8, 1.2)
        return np.asarray(np.round(y * pods / pods.mean() * rng.lognormal(0, 0.01, n)))
    if cat == "restarts":
        counter, last, out = 0, 0, np.empty(n)
        crash = np.zeros(n, dtype=bool)
        for _, a, b in inc:
            crash[a:b] = True
        backoff, next_at = 10.0, None
        for i in range(n):
            if last < len(roll) and i == roll[last]:
                counter, last = 0, last + 1
            if rng.random() < 0.0015 * dt / 60:  # the odd single restart (a node reboot, a probe blip)
                counter += 1
            if crash[i]:
                next_at = t[i] if next_at is None else next_at
                while next_at <= t[i]:  # one restart per back-off, doubling to 5 minutes
                    counter += 1
                    backoff = min(300.0, backoff * 2)
                    next_at += backoff
            else:
                backoff, next_at = 10.0, None
            out[i] = counter
        return out
    if cat == "latency_p99":
        med = rng.uniform(0.01, 0.15) * shift * (1 + 0.6 * np.clip(per - 0.7, 0, None) ** 2)
        med *= rng.lognormal(0, 0.08, n)
        for kind, a, b in inc:
            if kind == 0:
                med[a:b] *= rng.uniform(3, 10)
            else:  # saturated: the queue grows with load above what the capped pods carry
                med[a:b] *= 1 + np.cumsum(rng.uniform(0.5, 1.5, b - a)) / max(1, (b - a) / 4)
        return np.asarray(np.round(_quantile(med), 6))
    # replicas_available
    y = pods.copy()
    for r in roll:  # maxSurge 1: one extra pod for a few minutes
        y[r : r + max(1, int(rng.uniform(120, 600) / dt))] += 1
    for _ in range(int(rng.poisson(t[-1] / DAY_S * 0.4))):  # node drains: a pod missing until rescheduled
        at = int(rng.integers(0, n))
        y[at : at + max(1, int(rng.uniform(30, 240) / dt))] -= 1
    for kind, a, b in inc:
        if kind == 0:
            y[a:b] = np.minimum(y[a:b], rng.integers(1, max(2, lo)))
        else:
            y[a:b] -= int(rng.integers(2, 4))
    return np.asarray(np.maximum(y, 0))


def make_corpus(files_per_category: int = 6, seed: int = SEED) -> list[DataFile]:
    """Return labelled files: each category's first file has no anomaly, the others 1-3 each."""
    rng = np.random.default_rng(seed)
    files: list[DataFile] = []
    start = np.datetime64("2026-11-02T00:00:00")
    for cat in CATEGORIES:
        for k in range(files_per_category):
            t = _times(rng)
            n = len(t)
            count = 0 if k == 0 else int(rng.integers(1, 4))
            onsets, windows = nab_onsets(rng, n, count)
            inc = []
            for at in onsets:
                minutes = rng.uniform(20, 360)
                end = int(min(n, max(at + 3, np.searchsorted(t, t[at] + minutes * 60))))
                inc.append((int(rng.integers(0, 2)), at, end))
            y = _render(cat, rng, t, inc)
            stamps = (start + np.round(t).astype("timedelta64[s]")).astype("datetime64[ns]")
            files.append(DataFile(f"{cat}/{cat}_{k}.csv", stamps, np.asarray(y, dtype=np.float64), windows))
    return files
