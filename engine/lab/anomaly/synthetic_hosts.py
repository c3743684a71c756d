"""Third held-out generator style: host and service metrics as a Prometheus scrape sees them, in NAB's form.

Written before any tuning it checks, by a different recipe than synthetic_metrics.py (sine
days, independent noise) and synthetic_fleet.py (one load curve drives everything). Here
each series has its own daily *and* weekly profile whose phase drifts (users move, a
daylight-saving jump of an hour), rows come from scrapes that fail now and then (gaps of
minutes to an hour: timestamps are irregular) and normal life includes what pages people
wrongly: counter resets at restarts (one short row in a rate), deploys that move a level a
little and stay (not anomalies), nightly log rotation, a pool that touches its cap at peak.
Six categories:

- ``http_rate``: per-second rate of a request counter, naive per-scrape delta, so a
  restart's reset leaves one short row; incidents: traffic lost to a bad route, a bot surge;
- ``latency_p99``: seconds, log-normal around a load-following base; incidents: a bad
  deploy that multiplies latency until its rollback, a cluster of stop-the-world pauses;
- ``disk_used``: percent, a slow fill reset by nightly rotation; incidents: runaway logging
  (a steep ramp that plateaus at 100), a cleanup that wipes most of the volume;
- ``pool_in_use``: connections in use (integers) capped at the pool size; incidents: a
  connection leak (the floor climbs to the cap and stays), the pool disconnected (zero);
- ``batch_duration``: sparse, one row per job run every 10-30 minutes with missed runs;
  incidents: a slow dependency tripling durations, runs hitting their timeout;
- ``cpu_host``: percent with scrape gaps; deploys move it a few points (normal); incidents:
  a busy loop after a deploy (a large lasting shift until fixed), a noisy neighbour.

Windows follow NAB's rule (together 10% of the file's rows, split evenly, centred on each
onset); `nab_labels` gives them as NAB's combined_windows.json. Score it once, at the end.
"""

from __future__ import annotations

import numpy as np

from engine.lab.anomaly.nab.corpus import DataFile

CATEGORIES = ("http_rate", "latency_p99", "disk_used", "pool_in_use", "batch_duration", "cpu_host")
DAY_S = 86400
WEEK_S = 7 * DAY_S


def _times(rng: np.random.Generator, cat: str) -> np.ndarray:
    """Return scrape times in seconds: a regular step with failed scrapes removed (batch: job runs)."""
    if cat == "batch_duration":
        days = int(rng.integers(10, 22))
        every = rng.uniform(600, 1800)
        t = np.cumsum(every + rng.normal(0, every * 0.05, int(days * DAY_S / every)))
        keep = rng.random(len(t)) > rng.uniform(0.02, 0.1)  # missed runs
        return np.asarray(t[keep])
    step = 60.0 if rng.random() < 0.4 else 300.0
    days = int(rng.integers(6, 11)) if step == 60 else int(rng.integers(10, 22))
    t = np.arange(int(days * DAY_S / step), dtype=np.float64) * step
    keep = np.ones(len(t), dtype=bool)
    for _ in range(int(rng.poisson(days * rng.uniform(0.1, 0.8)))):  # scrape outages
        at = int(rng.integers(0, len(t)))
        keep[at : at + max(1, int(rng.uniform(120, 3600) / step))] = False
    return np.asarray(t[keep])


def _profile(rng: np.random.Generator, t: np.ndarray) -> np.ndarray:
    """Return a load profile in about [0, 1]: daily and weekly shape with a drifting phase and a DST jump."""
    drift = np.cumsum(rng.normal(0, 1, int(t[-1] // DAY_S) + 2)) * rng.uniform(0, 0.25) * 3600  # s per day
    dst = (t > rng.uniform(0.3, 0.9) * t[-1]) * 3600 * (rng.random() < 0.5)
    local = t + drift[(t // DAY_S).astype(int)] + dst + rng.uniform(0, DAY_S)
    hour = (local % DAY_S) / 3600
    peak, width = rng.uniform(11, 15), rng.uniform(3, 5)
    daily = np.exp(-0.5 * ((hour - peak) / width) ** 2) + 0.25 * np.exp(-0.5 * ((hour - peak - 7) / 1.5) ** 2)
    weekday = ((local + rng.integers(0, 7) * DAY_S) % WEEK_S) // DAY_S
    weekly = np.where(weekday >= 5, rng.uniform(0.35, 0.75), 1.0) * np.where(weekday == 0, 1.1, 1.0)
    return np.asarray(0.1 + 0.9 * daily * weekly / 1.25)


def _deploys(rng: np.random.Generator, t: np.ndarray) -> list[int]:
    """Return row indices of deploys: weekdays, office hours, about every other day."""
    out = []
    for d in range(int(t[-1] // DAY_S) + 1):
        if d % 7 < 5 and rng.random() < 0.5:
            i = int(np.searchsorted(t, d * DAY_S + rng.uniform(10, 17) * 3600))
            if 0 < i < len(t):
                out.append(i)
    return out


def _level(rng: np.random.Generator, n: int, deploys: list[int], size: float) -> np.ndarray:
    """Return a multiplicative level that each deploy moves by up to +-size, lasting (normal life)."""
    lv = np.ones(n)
    for i in deploys:
        lv[i:] *= 1 + rng.uniform(-size, size)
    return lv


def _normal(cat: str, rng: np.random.Generator, t: np.ndarray) -> dict[str, np.ndarray]:
    """Return the drivers of a normal series of one category, to change by incidents and render."""
    n = len(t)
    dep = _deploys(rng, t)
    d: dict[str, np.ndarray] = {"load": _profile(rng, t), "level": _level(rng, n, dep, 0.12),
                                "deploys": np.array(dep, dtype=int), "add": np.zeros(n), "cap": np.full(n, np.inf)}
    if cat == "disk_used":
        d["base"] = np.full(n, rng.uniform(20, 60))
        d["fill"] = np.full(n, rng.uniform(2, 12) / DAY_S)  # percent per second at full load
    return d


def _render(cat: str, rng: np.random.Generator, t: np.ndarray, d: dict[str, np.ndarray]) -> np.ndarray:
    """Turn drivers into observed values, with the category's own noise and artefacts."""
    n, load, lv = len(t), d["load"], d["level"]
    dt = np.diff(t, prepend=t[0] - np.median(np.diff(t)))
    if cat == "http_rate":
        rps = rng.uniform(5, 800) * load * lv + d["add"]
        counts = rng.poisson(np.maximum(rps, 0) * dt)
        y = counts / dt
        for i in d["deploys"]:  # the restart resets the counter: the delta sees only part of the step
            y[i] *= rng.uniform(0.1, 0.9)
        return np.asarray(y)
    if cat == "latency_p99":
        base = rng.uniform(0.05, 0.6)
        y = base * (1 + 0.8 * load ** 2) * lv * rng.lognormal(0, rng.uniform(0.08, 0.25), n) + d["add"]
        return np.asarray(np.minimum(y, d["cap"]))
    if cat == "disk_used":
        y = np.empty(n)
        used = float(d["base"][0])
        rotate_h = rng.uniform(0, 5)
        for i in range(n):
            hour_before = ((t[i] - dt[i]) % DAY_S) / 3600
            hour = (t[i] % DAY_S) / 3600
            wrapped = hour < hour_before and (rotate_h <= hour or rotate_h > hour_before)
            if hour_before < rotate_h <= hour or wrapped or d["add"][i] < 0:
                used = float(d["base"][i]) + rng.uniform(-0.3, 0.3)  # nightly rotation (or the wipe)
            used = min(100.0, used + d["fill"][i] * (0.3 + load[i]) * dt[i])
            y[i] = used
        return np.asarray(np.clip(np.round(y + rng.normal(0, 0.02, n), 2), 0, 100))
    if cat == "pool_in_use":
        size = int(rng.integers(20, 200))
        busy = size * rng.uniform(0.6, 1.05) * load * lv + d["add"]
        return np.asarray(np.clip(rng.poisson(np.maximum(busy, 0)), 0, np.minimum(size, d["cap"])), dtype=np.float64)
    if cat == "batch_duration":
        y = rng.uniform(30, 600) * (0.6 + 0.6 * load) * lv * rng.lognormal(0, rng.uniform(0.1, 0.3), n) + d["add"]
        return np.asarray(np.minimum(y, d["cap"]))
    y = rng.uniform(10, 45) * load * lv + rng.uniform(2, 8) + d["add"] + rng.normal(0, rng.uniform(0.5, 2.5), n)
    return np.asarray(np.clip(y, 0, 100))


def _inject(cat: str, rng: np.random.Generator, t: np.ndarray, d: dict[str, np.ndarray], at: int) -> None:
    """Change the drivers for one incident starting at row `at`, in place."""
    n = len(t)

    def until(lo_min: float, hi_min: float) -> int:
        """Return the row an incident lasting lo-hi minutes ends at (at least 2 rows on)."""
        return int(min(n, max(at + 2, np.searchsorted(t, t[at] + rng.uniform(lo_min, hi_min) * 60))))

    kind = int(rng.integers(0, 2))
    if cat == "http_rate":
        d["level"][at : until(20, 180)] *= rng.uniform(0.2, 0.55) if kind == 0 else rng.uniform(2.0, 3.5)
    elif cat == "latency_p99":
        if kind == 0:  # bad deploy until rollback
            d["level"][at : until(60, 360)] *= rng.uniform(1.8, 3.0)
        else:  # stop-the-world pauses: a few rows far up over half an hour
            end = until(20, 40)
            hits = rng.choice(np.arange(at, end), min(end - at, int(rng.integers(2, 6))), replace=False)
            d["add"][np.append(hits, at)] += rng.uniform(2, 6)
    elif cat == "disk_used":
        if kind == 0:  # runaway logging: fill 8-20 times faster until someone reacts
            d["fill"][at : until(240, 900)] *= rng.uniform(8, 20)
        else:  # a cleanup wipes most of the volume (rotation resets to the new base too)
            d["base"][at:] *= rng.uniform(0.1, 0.4)
            d["add"][at] = -1.0  # marks the wipe row
    elif cat == "pool_in_use":
        if kind == 0:  # connection leak: held connections climb to the cap within an hour or two, stay until restart
            end = until(180, 600)
            ramp = np.clip((t[at:end] - t[at]) / rng.uniform(1800, 7200), 0, 1)
            d["add"][at:end] += ramp * 400
        else:  # pool disconnected: nothing in use
            d["cap"][at : until(15, 90)] = 0
    elif cat == "batch_duration":
        if kind == 0:  # slow dependency
            d["level"][at : until(120, 480)] *= rng.uniform(2.5, 4)
        else:  # runs hit their timeout
            end = until(90, 300)
            d["add"][at:end] += 1e6
            d["cap"][at:end] = 3600
    else:
        if kind == 0:  # busy loop shipped with a deploy: a big lasting shift until fixed
            d["add"][at : until(180, 900)] += rng.uniform(25, 50)
        else:  # noisy neighbour: steal time and slower everything
            end = until(60, 240)
            d["level"][at:end] *= rng.uniform(1.3, 1.6)
            d["add"][at:end] += rng.uniform(8, 15)


def make_corpus(files_per_category: int = 6, seed: int = 8123) -> list[DataFile]:
    """Return labelled files: each category's first file has no anomaly, the others 1-3 each."""
    rng = np.random.default_rng(seed)
    files: list[DataFile] = []
    start = np.datetime64("2026-05-04T00:00:00")
    for cat in CATEGORIES:
        for k in range(files_per_category):
            t = _times(rng, cat)
            n = len(t)
            d = _normal(cat, rng, t)
            count = 0 if k == 0 else int(rng.integers(1, 4))
            onsets, windows = nab_onsets(rng, n, count)
            for at in onsets:
                _inject(cat, rng, t, d, at)
            y = _render(cat, rng, t, d)
            stamps = (start + np.round(t).astype("timedelta64[s]")).astype("datetime64[ns]")
            files.append(DataFile(f"{cat}/{cat}_{k}.csv", stamps, np.asarray(y, dtype=np.float64), windows))
    return files


def nab_onsets(rng: np.random.Generator, n: int, count: int) -> tuple[list[int], list[tuple[int, int]]]:
    """Return `count` anomaly onsets in n rows and their windows, by NAB's rule (the generators share it).

    Onsets fall after NAB's probation (15%), far enough apart that windows never overlap; the
    windows together cover 10% of the rows, split evenly, centred on each onset.
    """
    half = int(0.1 * n / max(count, 1)) // 2
    slots = np.arange(int(0.2 * n), int(0.95 * n), max(2 * half + 2, n // 10))
    onsets = sorted(int(a) for a in rng.choice(slots, min(count, len(slots)), replace=False))
    return onsets, [(max(0, a - half), min(n - 1, a + half)) for a in onsets]


def nab_labels(files: list[DataFile]) -> dict[str, list[list[str]]]:
    """Return the files' windows as NAB's combined_windows.json maps them (timestamps, inclusive)."""
    def ts(x: np.datetime64) -> str:
        """Format a stamp the way NAB's label files do."""
        return str(x.astype("datetime64[us]")).replace("T", " ")

    return {f.name: [[ts(f.timestamps[a]), ts(f.timestamps[b])] for a, b in f.windows] for f in files}
