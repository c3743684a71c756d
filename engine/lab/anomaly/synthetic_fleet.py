"""Second held-out generator style: a fleet's server metrics driven by one load curve, in NAB's corpus form.

Unlike synthetic_metrics.py (fixed 5-minute steps, 14 days, sine days, independent noise),
every series here is derived from a simulated *load*: business-hours peaks, quieter
weekends, day-to-day amplitude changes and a slow drift, sampled at 1, 2 or 5 minutes for 4
to 16 days (so short series see few days before their anomalies). Normal life includes what
production has and a detector must not page on: deploys (small lasting level shifts and a
short restart blip), garbage-collection sawtooths, nightly batch jobs. Five categories:

- ``rps``: requests per step, over-dispersed counts (gamma-Poisson) of the load;
- ``heap``: JVM heap, a GC sawtooth whose fill rate follows the load, reset by deploys;
- ``queue``: latency of a saturating queue, base / (1 - utilisation), capped by a timeout;
- ``errors``: 5xx per step, sparse counts proportional to the load;
- ``cpu``: percent, load plus a nightly batch job, clipped at 100.

Windows follow NAB's rule (together 10% of the file, split evenly, centred on each onset).
Nothing here was looked at while tuning a detector: score it once, after the design is frozen.
"""

from __future__ import annotations

import numpy as np

from engine.lab.anomaly.nab.corpus import DataFile
from engine.lab.anomaly.synthetic_hosts import nab_onsets

CATEGORIES = ("rps", "heap", "queue", "errors", "cpu")
STEPS_S = (60, 120, 300)
DAY_S = 86400


def _load(rng: np.random.Generator, t: np.ndarray) -> np.ndarray:
    """Return a load curve in about [0.1, 1.2] at times t (seconds): business hours, weekends, drift."""
    hour = (t % DAY_S) / 3600.0
    day = (t // DAY_S).astype(int)
    tz = rng.uniform(-3, 3)  # the fleet's users are not all in one time zone
    morning = np.exp(-0.5 * ((hour - 10.5 - tz) / rng.uniform(1.5, 2.5)) ** 2)
    evening = rng.uniform(0.4, 0.9) * np.exp(-0.5 * ((hour - 16.5 - tz) / rng.uniform(1.5, 3.0)) ** 2)
    days = day.max() + 1
    amp = rng.uniform(0.85, 1.15, days)  # one day busier than the next
    weekend = ((day + int(rng.integers(0, 7))) % 7 >= 5) * rng.uniform(0.3, 0.6)
    curve = 0.15 + (morning + evening) * amp[day] * (1 - weekend)
    # Slow drift: a smoothed random walk, a few percent over days.
    walk = np.cumsum(rng.normal(0, 1, days * 24))
    walk = (walk - walk.mean()) / (np.abs(walk).max() + 1e-9) * rng.uniform(0.0, 0.1)
    return np.asarray(curve * (1 + walk[(t // 3600).astype(int)]))


def _deploys(rng: np.random.Generator, t: np.ndarray) -> np.ndarray:
    """Return row indices of deploys: about one per working day, in working hours."""
    out = []
    for d in range(int(t[-1] // DAY_S) + 1):
        if rng.random() < 0.7:
            at = d * DAY_S + rng.uniform(9, 17) * 3600
            i = int(np.searchsorted(t, at))
            if 0 < i < len(t):
                out.append(i)
    return np.array(out, dtype=int)


def _shifts(rng: np.random.Generator, n: int, deploys: np.ndarray, size: float) -> np.ndarray:
    """Return a multiplicative level that moves by up to +-size at each deploy and stays."""
    level = np.ones(n)
    for i in deploys:
        level[i:] *= 1 + rng.uniform(-size, size)
    return level


def _heap(rng: np.random.Generator, load: np.ndarray, step: float) -> tuple[np.ndarray, np.ndarray, float]:
    """Return (post-GC floor per row, allocation per row, GC trigger) in MB: the sawtooth's drivers."""
    n = len(load)
    size = rng.uniform(1000, 8000)
    floor, top = rng.uniform(0.2, 0.35) * size, rng.uniform(0.7, 0.85) * size
    # At peak load a GC cycle takes 5-30 minutes; a little allocation goes on at night too.
    alloc = (top - floor) / (rng.uniform(5, 30) * 60 / step) * load / load.max()
    return np.full(n, floor), alloc * rng.lognormal(0, 0.2, n) + (top - floor) * 0.002, top


def _sawtooth(start: np.ndarray, alloc: np.ndarray, floor_rise: np.ndarray, top: float, resets: set[int]) -> np.ndarray:
    """Integrate allocations; collect down to the (possibly rising) floor at `top` or at a reset."""
    n = len(alloc)
    y = np.empty(n)
    h = start[0]
    for i in range(n):
        h += alloc[i]
        if h >= top or i in resets:
            h = start[i] + floor_rise[i]
        y[i] = h
    return y


def _series(cat: str, rng: np.random.Generator, t: np.ndarray, step: float) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Return the normal drivers of a category (load, level, ...) to render after injection."""
    n = len(t)
    load = _load(rng, t)
    deploys = _deploys(rng, t)
    parts = {"load": load, "deploys": deploys, "level": _shifts(rng, n, deploys, 0.06)}
    if cat == "heap":
        start, alloc, top = _heap(rng, load, step)
        parts.update(start=start, alloc=alloc, floor_rise=np.zeros(n), top=np.array([top]))
    elif cat == "queue":
        parts.update(capacity=np.full(n, rng.uniform(1.25, 1.7) * load.max()), base=np.full(n, rng.uniform(20, 120)))
    elif cat == "cpu":
        # Nightly batch job: a 20-60 minute plateau at a fixed hour.
        job_h, job_len = rng.uniform(0, 5), rng.uniform(20, 60) * 60
        tod = t % DAY_S
        parts["batch"] = ((tod >= job_h * 3600) & (tod < job_h * 3600 + job_len)) * rng.uniform(15, 35)
    return load, parts


def _render(cat: str, rng: np.random.Generator, parts: dict[str, np.ndarray], step: float) -> np.ndarray:
    """Turn drivers into the observed metric, with the category's own noise."""
    load, level = parts["load"], parts["level"]
    n = len(load)
    if cat == "rps":
        lam = rng.uniform(20, 3000) * step / 60 * load * level
        shape = rng.uniform(20, 200)  # gamma-Poisson: more spread than Poisson
        return np.asarray(rng.poisson(rng.gamma(shape, lam / shape)), dtype=np.float64)
    if cat == "heap":
        resets = set(parts["deploys"].tolist()) | set(np.flatnonzero(parts.get("gc_now", np.zeros(n))).tolist())
        return _sawtooth(parts["start"], parts["alloc"], parts["floor_rise"], float(parts["top"][0]), resets)
    if cat == "queue":
        rho = np.minimum(load * level / parts["capacity"], 0.995)
        timeout = 40 * parts["base"][0]
        lat = parts["base"] / (1 - rho) * rng.lognormal(0, 0.12, n)
        return np.asarray(np.minimum(lat, timeout * rng.uniform(0.97, 1.0, n)))
    if cat == "errors":
        rate = parts.get("err_rate", np.full(n, rng.uniform(0.3, 4.0) * step / 60))
        return np.asarray(rng.poisson(rate * load * level / load.mean()), dtype=np.float64)
    busy = rng.uniform(20, 55) * load * level + parts["batch"] + parts.get("extra", np.zeros(n))
    return np.asarray(np.clip(busy + rng.normal(0, rng.uniform(0.8, 3.0), n), 0, 100))


def _inject(cat: str, parts: dict[str, np.ndarray], at: int, rng: np.random.Generator, step: float) -> None:
    """Change the drivers for one incident starting at row `at`, in place."""
    n = len(parts["load"])

    def minutes(lo: float, hi: float) -> int:
        """Return the rows of a random duration between lo and hi minutes (at least 2)."""
        return max(2, int(rng.uniform(lo, hi) * 60 / step))

    end = min(n, at + minutes(10, 90))
    kind = int(rng.integers(0, 3))
    if cat == "rps":
        if kind == 0:  # partial outage: one zone's traffic gone
            parts["level"][at:end] *= rng.uniform(0.1, 0.5)
        elif kind == 1:  # retry storm
            parts["level"][at:end] *= rng.uniform(2.0, 4.0)
        else:  # lost route: traffic sags to 40-70% within an hour or two and stays there
            sag = np.clip((np.arange(n - at) + 1) / minutes(30, 120), 0, 1)
            parts["level"][at:] *= 1 - rng.uniform(0.3, 0.6) * sag
    elif cat == "heap":
        if kind == 0:  # memory leak: the post-GC floor creeps up until the next deploy
            nxt = parts["deploys"][parts["deploys"] > at]
            stop = int(nxt[0]) if len(nxt) else n
            span = float(parts["top"][0] - parts["start"][0])
            parts["floor_rise"][at:stop] = np.linspace(0, rng.uniform(0.5, 0.8) * span, stop - at)
        elif kind == 1:  # allocation storm: GC cycles several times faster
            parts["alloc"][at:end] *= rng.uniform(4, 8)
        else:  # GC stalled: the heap fills to the limit and stays there
            stall = minutes(30, 120)
            parts["alloc"][at : at + stall] = 0.0
            parts["start"][at : at + stall] = parts["top"][0] * 0.999
            parts["gc_now"] = parts.get("gc_now", np.zeros(n))
            parts["gc_now"][at] = 1  # collect once, up to the stuck level
    elif cat == "queue":
        # Utilisation the incident drives the queue to, whatever the hour (a quiet hour's
        # lost replica would otherwise leave no trace to label).
        busy = parts["load"][at:end] * parts["level"][at:end] / rng.uniform(0.9, 0.98)
        if kind == 0:  # a replica lost: capacity drops, the queue saturates
            parts["capacity"][at:end] = np.minimum(parts["capacity"][at:end] * rng.uniform(0.45, 0.7), busy)
        elif kind == 1:  # slow dependency: every request waits longer
            parts["base"][at:end] *= rng.uniform(2.0, 3.5)
        else:  # traffic burst: the load nearly reaches capacity
            near = parts["capacity"][at:end] * rng.uniform(0.9, 0.98) / parts["level"][at:end]
            parts["load"][at:end] = np.maximum(parts["load"][at:end] * 1.5, near)
    elif cat == "errors":
        base = rng.uniform(0.3, 4.0) * step / 60
        parts["err_rate"] = np.full(n, base) if "err_rate" not in parts else parts["err_rate"]
        if kind == 0:  # error burst
            parts["err_rate"][at:end] *= rng.uniform(8, 30)
        elif kind == 1:  # bad deploy: a higher rate until the rollback
            parts["err_rate"][at : min(n, at + minutes(60, 240))] *= rng.uniform(3, 6)
        else:  # dependency down for a few minutes: almost every request fails
            parts["err_rate"][at : min(n, at + minutes(2, 8))] *= rng.uniform(40, 100)
    else:
        if kind == 0:  # runaway process pins the CPU
            parts["extra"] = parts.get("extra", np.zeros(n))
            parts["extra"][at:end] += 100
        elif kind == 1:  # batch job at the wrong hour (twice its length)
            parts["extra"] = parts.get("extra", np.zeros(n))
            parts["extra"][at : at + minutes(40, 120)] += float(parts["batch"].max())
        else:  # a noisy neighbour: steal time and a costlier load for hours
            hours = slice(at, min(n, at + minutes(120, 360)))
            parts["level"][hours] *= rng.uniform(1.4, 1.8)
            parts["extra"] = parts.get("extra", np.zeros(n))
            parts["extra"][hours] += rng.uniform(8, 15)


def make_corpus(files_per_category: int = 6, seed: int = 4711) -> list[DataFile]:
    """Return labelled files: each category has one file without anomalies, the others 1-3 each."""
    rng = np.random.default_rng(seed)
    files: list[DataFile] = []
    for cat in CATEGORIES:
        for k in range(files_per_category):
            step = float(STEPS_S[int(rng.integers(0, len(STEPS_S)))])
            days = int(rng.integers(4, 8)) if step == 60 else int(rng.integers(6, 17))
            n = int(days * DAY_S / step)
            t = np.arange(n) * step + rng.integers(0, 7) * DAY_S
            _, parts = _series(cat, rng, t, step)
            count = 0 if k == 0 else int(rng.integers(1, 4))
            onsets, windows = nab_onsets(rng, n, count)
            for at in onsets:
                _inject(cat, parts, at, rng, step)
            y = _render(cat, rng, parts, step)
            stamps = (np.datetime64("2026-03-02T00:00:00") + t.astype("timedelta64[s]")).astype("datetime64[ns]")
            files.append(DataFile(f"{cat}/{cat}_{k}.csv", stamps, y, windows))
    return files
