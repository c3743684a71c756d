"""Held-out root-cause cases: typed faults on a call graph, written before the ranker was tuned.

Unlike ``simulate.py`` (CIRCA's linear VAR) and ``simulate_alt.py`` (step shifts through
softplus links), this one models requests: a diurnal, autocorrelated front-end load fans out
over a random call graph (each edge makes 1-3 calls per request); a service's CPU is its
utilisation, its own latency grows by queueing (1 / (1 - utilisation)); a caller's latency
sums its callees' latency times the expected attempts of a retry policy (up to 3 attempts on
an error or a timeout), so a slow or failing callee is amplified on the way up, and on a random
half of the edges the caller only sees it a minute later (queues and retry storms take time).
Memory is a GC sawtooth; past 85 % it adds pauses to latency.  Noise is multiplicative and
log-normal with a per-service level, plus rare baseline spikes.  Values stay in their own units
(ms, CPU fraction, MB, error ratio).

Fault types, one per case, on one service, ramping in over 1-3 minutes and then held:
``latency`` (added network delay), ``cpu`` (a hog taking capacity: CPU up, latency up by
queueing), ``mem`` (a leak: memory ramps, GC pauses add latency), ``errors`` (a share of
requests fail: callers retry, their latency and errors rise).  The answer is
``s<i>_<type>``.  Severity doubles until some service's latency and the faulty metric leave their 3-sigma bands.

Used as a held-out check (bench_rca.py --heldout SEED).  Its seeds 7773 and 7774 were used for
development of the amplification rule (issue #21); only fresh seeds are held out.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

METRICS = ("latency", "errors", "cpu", "mem")
FAULTS = ("latency", "cpu", "mem", "errors")
STEP = 60


@dataclass(frozen=True)
class CallCase:
    """One case: columns ``s<i>_<metric>``, the fault's row and its answer."""

    names: list[str]
    data: np.ndarray  # (time, column)
    inject_row: int
    answer: str
    fault: str


@dataclass(frozen=True)
class Topology:
    """Who calls whom, how often, with what timeout, and which edges lag a minute."""

    calls: np.ndarray  # calls[i, j] > 0: i calls j that many times per request (j > i)
    timeout: np.ndarray  # ms, per edge
    lagged: np.ndarray  # bool, per edge
    service_ms: np.ndarray  # own work per request at zero load
    headroom: np.ndarray  # capacity / baseline load


def call_graph(n: int, rng: np.random.Generator) -> Topology:
    """Draw a call graph with front end 0; every other service has one or two callers."""
    calls = np.zeros((n, n))
    for j in range(1, n):
        for i in rng.choice(j, size=min(j, 1 + int(rng.random() < 0.35)), replace=False):
            calls[i, j] = int(rng.integers(1, 4))
    service_ms = rng.uniform(3.0, 30.0, n)
    headroom = rng.uniform(2.0, 4.0, n)  # peak-hour utilisation stays under about 0.65
    # Timeouts are set against each callee's usual latency (at mean load, no retries).
    usual = np.zeros(n)
    for s in range(n - 1, -1, -1):
        usual[s] = service_ms[s] / (1.0 - 1.0 / headroom[s]) + calls[s] @ usual
    timeout = np.where(calls > 0, usual[None, :] * rng.uniform(3.0, 6.0, (n, n)), np.inf)
    lagged = (rng.random((n, n)) < 0.5) & (calls > 0)
    return Topology(calls, timeout, lagged, service_ms, headroom)


def _attempts(p: float) -> float:
    """Expected attempts with up to 3 tries when each fails with probability ``p``."""
    return 1.0 + p + p * p


def _simulate(top: Topology, rng_seed: int, total: int, inject: int, fault: str, root: int,
              severity: float) -> np.ndarray:
    n: int = top.calls.shape[0]
    rng = np.random.default_rng(rng_seed)
    phase = rng.uniform(0, 2 * np.pi)
    ar = np.zeros(total)
    for t in range(1, total):
        ar[t] = 0.9 * ar[t - 1] + rng.normal(0, 0.03)
    front = 200.0 * (1 + 0.3 * np.sin(2 * np.pi * np.arange(total) / 1440 + phase)) * np.exp(ar)
    sigma = rng.uniform(0.02, 0.12, (n, 4))
    noise = np.exp(rng.standard_normal((total, n, 4)) * sigma)
    spikes = np.where(rng.random((total, n, 4)) < 0.002, rng.uniform(1.5, 3.0, (total, n, 4)), 1.0)
    gc_period = rng.integers(25, 120, n)
    mem_base = rng.uniform(200.0, 2000.0, n)
    err_base = rng.uniform(0.0005, 0.01, n)
    # Baseline load per service (fan-out of the mean front load) sets each one's capacity.
    mean_rps = np.zeros(n)
    mean_rps[0] = 200.0
    for callee in range(1, n):
        mean_rps[callee] = sum(mean_rps[i] * top.calls[i, callee] for i in range(callee))
    capacity = mean_rps * top.headroom
    ramp = np.clip((np.arange(total) - inject + 1) / rng.integers(1, 4), 0.0, 1.0)
    lat = np.zeros((total, n))
    err = np.zeros((total, n))
    load = np.zeros((total, n))
    out = np.zeros((total, n, 4))
    for t in range(total):
        f = severity * ramp[t]
        rps = np.zeros(n)
        rps[0] = front[t]
        fail = np.zeros((n, n))
        for s in range(n - 1, -1, -1):  # callees have higher indices: settle them first
            own_err = err_base[s] + (min(0.6, 0.04 * f) if fault == "errors" and s == root else 0.0)
            hog = min(0.9, 0.12 * f) if fault == "cpu" and s == root else 0.0
            leak = 0.08 * f if fault == "mem" and s == root else 0.0
            mem_frac = 0.55 + 0.25 * ((t % gc_period[s]) / gc_period[s]) + leak
            out[t, s, 3] = mem_base[s] * mem_frac
            gc_ms = 60.0 * max(mem_frac - 0.85, 0.0) * top.service_ms[s]
            delay = 4.0 * f * top.service_ms[s] if fault == "latency" and s == root else 0.0
            down_ms, down_err = 0.0, 0.0
            for j in np.flatnonzero(top.calls[s]):
                src = t - 1 if (top.lagged[s, j] and t) else t
                p_timeout = 1.0 / (1.0 + np.exp(-(lat[src, j] - top.timeout[s, j]) / (0.1 * top.timeout[s, j])))
                p = min(0.95, err[src, j] + p_timeout)
                fail[s, j] = p
                down_ms += top.calls[s, j] * _attempts(p) * min(lat[src, j], top.timeout[s, j])
                down_err = max(down_err, p ** 3)
            err[t, s] = min(1.0, own_err + down_err)
            out[t, s, 1] = err[t, s]
            # Load is settled front-to-back below; last minute's sets utilisation (queues lag).
            util = min(0.97, (load[t - 1, s] if t else mean_rps[s]) / capacity[s] + hog)
            lat[t, s] = top.service_ms[s] / (1.0 - util) + gc_ms + delay + down_ms
        for s in range(n):  # propagate load with retries, callers first
            for j in np.flatnonzero(top.calls[s]):
                rps[j] += rps[s] * top.calls[s, j] * _attempts(fail[s, j])
        load[t] = rps
        for s in range(n):
            hog = min(0.9, 0.12 * f) if fault == "cpu" and s == root else 0.0
            out[t, s, 2] = min(1.0, rps[s] / capacity[s] + hog)
        out[t, :, 0] = lat[t]
    return out * noise * spikes


def generate_call_case(top: Topology, rng: np.random.Generator, fault: str, normal: int = 720,
                       abnormal: int = 20) -> CallCase:
    """Simulate one case of ``fault`` on a random service (not the front end)."""
    n = top.calls.shape[0]
    total, inject = normal + abnormal, normal
    root = int(rng.integers(1, n))
    seed = int(rng.integers(0, 2**31))
    column = root * len(METRICS) + METRICS.index(fault)
    severity = 1.0
    for _ in range(6):  # runs at least once: `data` is always set
        data = _simulate(top, seed, total, inject, fault, root, severity)
        flat = data.reshape(total, -1)
        med = np.median(flat[:normal], axis=0)
        spread = (np.percentile(flat[:normal], 75, axis=0) - np.percentile(flat[:normal], 25, axis=0)) / 1.349
        peak = np.abs(flat[normal:] - med).max(axis=0) / np.maximum(spread, 1e-12)
        # Some service's latency must alert, and the fault must show in its own metric.
        if peak[0::len(METRICS)].max() > 3.0 and peak[column] > 3.0:
            break
        severity *= 2
    names = [f"s{i:02d}_{m}" for i in range(n) for m in METRICS]
    return CallCase(names, data.reshape(total, n * 4), inject, f"s{root:02d}_{fault}", fault)


def simulate_calls(num_services: int, num_cases: int, seed: int) -> list[CallCase]:
    """Generate cases cycling the fault types, a new call graph every eight cases."""
    rng = np.random.default_rng(seed)
    cases: list[CallCase] = []
    for k in range(num_cases):
        if k % 8 == 0:  # true first: `top` is always set
            top = call_graph(num_services, rng)
        cases.append(generate_call_case(top, rng, FAULTS[k % len(FAULTS)]))
    return cases
