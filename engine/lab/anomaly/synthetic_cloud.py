"""Fifth held-out generator style: cloud-monitoring metrics of an autoscaled web tier, in NAB's form.

Written before the tuning it checks, by a recipe unlike the other four (sine days; one load
curve; drifting host profiles; scheduled JVM machinery). Here rows are what a cloud
provider's monitoring service returns: 5-minute averages or sums (a few files 1-minute
"detailed monitoring"), datapoints now and then missing, values quantized the way the
provider reports them (an idle instance's CPU in steps of 1/15 percent, counts and bytes as
integers). Load has two regional humps a day and a slow growth trend; an auto-scaling group
adds and removes instances with a lag, so per-instance CPU rises in plateaus and drops at
each scale-out. Normal life also holds what is not an incident: the instance behind a
metric is replaced mid-file (new idle level and noise), ad-hoc batch jobs at random times
with heavy-tailed sizes, heavy-tailed network bursts. Six categories:

- ``ec2_cpu``: percent 0-100 of one instance; incidents: a runaway process pinning it near
  100, the application crashed (CPU falls to the idle floor), a slow swap-thrash creep;
- ``ec2_network_in``: bytes per period, Pareto-tailed bursts; incidents: a flood (5-20x),
  the instance cut off (a health-check trickle);
- ``elb_request_count``: requests per period, Poisson, a low-traffic app near zero at
  night; incidents: traffic lost upstream (0.1-0.4x), a client retry storm (spiky 3-6x);
- ``elb_latency``: seconds, log-normal tails; incidents: a slow backend (3-10x), fast
  failures (errors answered at a fraction of normal latency);
- ``rds_write_bytes``: bytes per period; normal: bursty batch jobs and an hourly flush;
  incidents: a runaway job writing for hours, writes stopped (near zero);
- ``rds_cpu``: percent; incidents: a missing index (a lasting step up), a lock storm
  (repeated tall spikes).

Windows follow NAB's rule (together 10% of the file's rows, split evenly, centred on each
onset); `nab_labels` gives them as NAB's combined_windows.json. Score it once, at the end.
"""

from __future__ import annotations

import numpy as np

from engine.lab.anomaly.nab.corpus import DataFile
from engine.lab.anomaly.synthetic_hosts import nab_labels, nab_onsets

__all__ = ["CATEGORIES", "make_corpus", "nab_labels"]

CATEGORIES = ("ec2_cpu", "ec2_network_in", "elb_request_count", "elb_latency", "rds_write_bytes", "rds_cpu")
DAY_S = 86400
WEEK_S = 7 * DAY_S
SEED = 60917


def _times(rng: np.random.Generator) -> np.ndarray:
    """Return period start times in seconds: 5-minute periods (a few 1-minute), missing datapoints removed."""
    step = 60.0 if rng.random() < 0.2 else 300.0
    days = int(rng.integers(4, 8)) if step == 60 else int(rng.integers(9, 19))
    t = np.arange(int(days * DAY_S / step), dtype=np.float64) * step
    keep = rng.random(len(t)) > rng.uniform(0.0, 0.02)  # "insufficient data" periods
    for _ in range(int(rng.poisson(0.3 * days))):  # agent or API outages of a few periods
        at = int(rng.integers(0, len(t)))
        keep[at : at + int(rng.integers(2, 12))] = False
    return np.asarray(t[keep])


def _load(rng: np.random.Generator, t: np.ndarray) -> np.ndarray:
    """Return load in about [0.05, 1.3]: two regional humps a day, softer weekends, slow growth."""
    hour = (t % DAY_S) / 3600
    h1, h2 = rng.uniform(7, 11), rng.uniform(14, 19)
    w1, w2 = rng.uniform(1.5, 3), rng.uniform(2, 4)
    a2 = rng.uniform(0.4, 1.0)
    d1, d2 = (hour - h1 + 12) % 24 - 12, (hour - h2 + 12) % 24 - 12  # hours from each hump, across midnight
    day = np.exp(-0.5 * (d1 / w1) ** 2) + a2 * np.exp(-0.5 * (d2 / w2) ** 2)
    day = day / day.max()
    wd = ((t + rng.integers(0, 7) * DAY_S) % WEEK_S) // DAY_S
    weekly = np.where(wd >= 5, rng.uniform(0.4, 0.8), 1.0)
    growth = 1 + rng.uniform(-0.05, 0.25) * t / t[-1]
    wander = np.exp(np.cumsum(rng.normal(0, 0.01, len(t))) * rng.uniform(0.3, 1))
    return np.asarray(0.05 + (0.15 + 0.85 * day) * weekly * growth * np.clip(wander, 0.7, 1.4))


def _instances(rng: np.random.Generator, load: np.ndarray, dt: float) -> np.ndarray:
    """Return an auto-scaling group's capacity in load units: scale out above 70% per instance, in below 35%, after a lag."""
    cap = rng.uniform(0.15, 0.45)  # load one instance carries at 100%
    lag = max(1, int(rng.uniform(300, 900) / dt))
    n, out, wait = max(1, int(np.ceil(load[0] / cap / 0.5))), np.empty(len(load)), 0
    for i, x in enumerate(load):
        per = x / (cap * n)
        want = n + 1 if per > 0.7 else (n - 1 if per < 0.35 and n > 1 else n)
        wait = wait + 1 if want != n else 0
        if wait >= lag:
            n, wait = want, 0
        out[i] = n
    return np.asarray(out * cap)


def _batches(rng: np.random.Generator, t: np.ndarray) -> np.ndarray:
    """Return ad-hoc batch job intensity: Poisson starts, 5-60 minutes long, Pareto-sized."""
    out = np.zeros(len(t))
    for start in rng.uniform(0, t[-1], int(rng.poisson(rng.uniform(2, 6) * t[-1] / DAY_S))):
        end = start + rng.uniform(300, 3600)
        out[(t >= start) & (t < end)] += min(20.0, rng.pareto(2.0) + 0.5)
    return out


def _replaced(rng: np.random.Generator, n: int) -> int:
    """Return the row where the instance behind the metric is replaced (n: never)."""
    return int(rng.integers(int(0.25 * n), int(0.9 * n))) if rng.random() < 0.5 else n


def _quantize_cpu(y: np.ndarray) -> np.ndarray:
    """Round CPU percent as the provider reports it: steps of 1/15 percent below 2, else 3 decimals."""
    low = np.round(y * 15) / 15
    return np.asarray(np.clip(np.where(y < 2, np.round(low, 3), np.round(y, 3)), 0, 100))


def _render(cat: str, rng: np.random.Generator, t: np.ndarray, inc: list[tuple[int, int, int]]) -> np.ndarray:
    """Return observed values of one category; `inc` lists incidents as (kind, start row, end row)."""
    n = len(t)
    dt = float(np.median(np.diff(t)))
    load = _load(rng, t)
    jobs = _batches(rng, t)
    swap = _replaced(rng, n)
    if cat in ("ec2_cpu", "rds_cpu"):
        idle = np.where(np.arange(n) < swap, rng.uniform(0.1, 3), rng.uniform(0.1, 3))
        noise = np.where(np.arange(n) < swap, rng.uniform(0.5, 3), rng.uniform(0.5, 3))
        if cat == "ec2_cpu" and rng.random() < 0.35:  # a mostly idle instance: quantized near its floor
            idle, noise = idle * 0.2, noise * 0.1
            busy = rng.uniform(0.5, 6) * load
        elif cat == "ec2_cpu":
            per = load / (_instances(rng, load, dt) * rng.uniform(0.9, 1.1))  # share of one instance
            busy = 100 * np.clip(per, 0, 1)
        else:
            busy = rng.uniform(10, 50) * load
        y = idle + busy + 8 * jobs * rng.uniform(0.3, 1) + rng.normal(0, 1, n) * noise
        for kind, a, b in inc:
            if cat == "ec2_cpu" and kind == 0:
                y[a:b] = rng.uniform(93, 99.5) + rng.normal(0, 0.7, b - a)
            elif cat == "ec2_cpu" and kind == 1:
                y[a:b] = idle[a:b] * rng.uniform(0.2, 1) + np.abs(rng.normal(0, 0.1, b - a))
            elif cat == "ec2_cpu":
                y[a:b] += np.linspace(0, rng.uniform(30, 60), b - a) * rng.uniform(0.8, 1.2, b - a)
            elif kind == 0:
                y[a:b] += rng.uniform(20, 45)
            else:
                y[a:b] += (rng.random(b - a) < 0.3) * rng.uniform(30, 70, b - a)
        return _quantize_cpu(np.maximum(y, 0))
    if cat == "ec2_network_in":
        base = 10 ** rng.uniform(5, 8) * dt / 300
        y = base * (0.2 + load) * rng.lognormal(0, 0.25, n)
        y += base * (rng.random(n) < rng.uniform(0.005, 0.03)) * (rng.pareto(1.5, n) + 1)  # heavy-tailed transfers
        y += base * 2 * jobs
        y *= np.where(np.arange(n) < swap, 1.0, rng.uniform(0.7, 1.4))
        for kind, a, b in inc:
            if kind == 0:
                y[a:b] *= rng.uniform(5, 20) * rng.uniform(0.6, 1.4, b - a)
            else:
                y[a:b] = base * rng.uniform(0.001, 0.01) * rng.lognormal(0, 0.2, b - a)
        return np.asarray(np.round(y))
    if cat == "elb_request_count":
        peak = 10 ** rng.uniform(1, 4) * dt / 300
        lam = peak * load ** rng.uniform(1, 2.5)
        for kind, a, b in inc:
            if kind == 0:
                lam[a:b] *= rng.uniform(0.1, 0.4)
            else:
                lam[a:b] *= rng.uniform(3, 6) * rng.lognormal(0, 0.5, b - a)
        return np.asarray(rng.poisson(lam).astype(float))
    if cat == "elb_latency":
        base = rng.uniform(0.02, 0.4)
        y = base * (1 + 0.5 * load ** 2) * rng.lognormal(0, rng.uniform(0.1, 0.35), n)
        y += base * (rng.random(n) < 0.01) * rng.pareto(1.2, n)  # the odd slow period
        y *= np.where(np.arange(n) < swap, 1.0, rng.uniform(0.8, 1.25))  # new backend fleet
        for kind, a, b in inc:
            if kind == 0:
                y[a:b] *= rng.uniform(3, 10)
            else:
                y[a:b] *= rng.uniform(0.05, 0.25)
        return np.asarray(np.round(y, 6))
    # rds_write_bytes
    base = 10 ** rng.uniform(5, 7) * dt / 300
    flush = ((t % 3600) < dt) * rng.uniform(2, 6)  # an hourly checkpoint
    y = base * (0.3 + 0.7 * load + flush + 3 * jobs) * rng.lognormal(0, 0.3, n)
    for kind, a, b in inc:
        if kind == 0:
            y[a:b] += base * rng.uniform(4, 10) * rng.lognormal(0, 0.2, b - a)
        else:
            y[a:b] = base * rng.uniform(0.005, 0.05) * rng.lognormal(0, 0.3, b - a)
    return np.asarray(np.round(y))


def make_corpus(files_per_category: int = 6, seed: int = SEED) -> list[DataFile]:
    """Return labelled files: each category's first file has no anomaly, the others 1-3 each."""
    rng = np.random.default_rng(seed)
    files: list[DataFile] = []
    start = np.datetime64("2026-10-05T00:00:00")
    for cat in CATEGORIES:
        for k in range(files_per_category):
            t = _times(rng)
            n = len(t)
            count = 0 if k == 0 else int(rng.integers(1, 4))
            onsets, windows = nab_onsets(rng, n, count)
            inc = []
            for at in onsets:
                minutes = rng.uniform(30, 480)
                end = int(min(n, max(at + 3, np.searchsorted(t, t[at] + minutes * 60))))
                inc.append((int(rng.integers(0, 3 if cat == "ec2_cpu" else 2)), at, end))
            y = _render(cat, rng, t, inc)
            stamps = (start + np.round(t).astype("timedelta64[s]")).astype("datetime64[ns]")
            files.append(DataFile(f"{cat}/{cat}_{k}.csv", stamps, np.asarray(y, dtype=np.float64), windows))
    return files
