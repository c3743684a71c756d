"""Tuning style for typed microservice faults (the held-out style is ``simulate_calls``; never tune on it).

Written separately from ``simulate_calls`` and used to choose the ranker's service rules, so the
held-out style stays unseen.  Each case is a random call DAG (service ``i`` calls some ``j > i``;
the services nobody calls are front ends).  Every service reports four series in raw units:
``latency`` (ms), ``errors`` (fraction of requests), ``cpu`` (cores) and ``mem`` (MiB).

- Traffic: a daily wave plus noise enters the front ends and flows down the calls, each edge
  with its own fan-out (calls per request).
- CPU follows the traffic a service serves; its own latency grows with utilisation as an
  M/M/1 queue does (``1 / (1 - u)``), so a CPU hog shows as latency far more than as CPU.
- Latency of a caller is its own plus fan-out x its callees' latency x its retry factor;
  a caller retries on callee errors and on callee latency past its timeout, so latency
  (and, past the retries, errors) grow on the way up.
- Memory drifts slowly; above ``GC_PRESSURE`` of the limit, garbage collection adds pauses
  to latency and CPU.
- Noise differs per series: Gaussian, Student-t or log-normal, with rare isolated spikes.

Faults (one service, a sustained change from ``inject_row``, sometimes ramped): ``cpu``
(a hog taking cores), ``mem`` (a leak towards the limit: GC pauses), ``latency`` (a slow
dependency or lock: added own delay), ``errors`` (a share of requests failing).  The
fault's size is drawn so that some front end's latency or errors leave the normal band.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

METRICS = ("latency", "errors", "cpu", "mem")
FAULTS = ("cpu", "mem", "latency", "errors")
GC_PRESSURE = 0.8


@dataclass(frozen=True)
class FaultCase:
    """One case: (rows, services x 4) raw data, names, the injected row, the answer and fault type."""

    data: np.ndarray
    names: list[str]
    inject_row: int
    answer: str  # the root cause, ``<service>_<fault type>`` (a service-level answer scores the service)
    fault: str


def _call_dag(n: int, rng: np.random.Generator) -> np.ndarray:
    """Return fan-out ``m[i, j] > 0`` when service ``i`` calls ``j > i``; a few front ends."""
    m = np.zeros((n, n))
    fronts = max(1, n // 8)
    for j in range(fronts, n):
        for i in rng.choice(j, size=min(j, 1 + int(rng.random() < 0.35)), replace=False):
            m[i, j] = rng.choice([1.0, 1.0, 2.0, 3.0])
    return m


def _noise(rng: np.random.Generator, size: int, scale: float) -> np.ndarray:
    """Return multiplicative-free additive noise of a random family, with rare spikes."""
    kind = rng.integers(0, 3)
    if kind == 0:
        x = rng.standard_normal(size)
    elif kind == 1:
        x = rng.standard_t(3, size) / 1.7
    else:
        x = (np.exp(0.5 * rng.standard_normal(size)) - np.exp(0.125)) / 0.6
    spikes = rng.random(size) < 0.003
    x[spikes] += rng.uniform(3, 8, spikes.sum())
    return scale * x


def _run(m: np.ndarray, p: dict[str, Any], rows: int, fault: tuple[int, str, float, int, int], rng_seed: int) -> np.ndarray:
    """Simulate every series; ``fault`` is (service, type, size, inject row, ramp rows)."""
    rng = np.random.default_rng(rng_seed)
    n = m.shape[0]
    t = np.arange(rows)
    where, kind, size, inject, ramp = fault
    on = np.clip((t - inject + 1) / max(ramp, 1), 0.0, 1.0) * (t >= inject)
    wave = 1.0 + 0.15 * np.sin(2 * np.pi * (t / 1440.0 + p["phase"]))
    traffic = np.zeros((rows, n))
    for i in range(n):  # callers first: traffic flows down
        own = wave * p["rps"][i] * (1 + 0.05 * rng.standard_normal(rows)) if not m[:, i].any() else 0.0
        traffic[:, i] = own + sum(m[c, i] * traffic[:, c] for c in np.flatnonzero(m[:, i]))
    lat = np.zeros((rows, n))
    err = np.zeros((rows, n))
    cpu = np.zeros((rows, n))
    mem = np.zeros((rows, n))
    for i in range(n - 1, -1, -1):  # callees first: latency and errors flow up
        limit = p["mem_limit"][i]
        mem_i = limit * p["mem_level"][i] + np.cumsum(0.002 * limit * rng.standard_normal(rows)) * 0.05
        if where == i and kind == "mem":
            mem_i = mem_i + size * on * limit * (1 - p["mem_level"][i])
        pressure = np.clip((mem_i / limit - GC_PRESSURE) / (1 - GC_PRESSURE), 0.0, None)
        gc = 0.6 * pressure**2
        cores = p["cores"][i]
        cpu_i = cores * p["util"][i] * traffic[:, i] / traffic[:, i].mean() + gc * cores * 0.3
        if where == i and kind == "cpu":
            cpu_i = cpu_i + size * on * cores
        util = np.clip(cpu_i / cores, 0.0, 0.97)
        own_lat = p["base_ms"][i] / (1 - util) * (1 + 3 * gc)
        if where == i and kind == "latency":
            own_lat = own_lat + size * on * p["base_ms"][i]
        own_err = np.full(rows, p["err"][i]) + 0.02 * np.clip(util - 0.9, 0, None) / 0.07
        if where == i and kind == "errors":
            own_err = own_err + size * on * 0.1
        lat_i, fail = own_lat.copy(), 1 - np.clip(own_err, 0, 1)
        for j in np.flatnonzero(m[i]):
            slow = np.clip((lat[:, j] - p["timeout"][i, j]) / p["timeout"][i, j], 0.0, 1.0)
            retry_p = np.clip(err[:, j] + slow, 0.0, 1.0)
            tries = 1 + retry_p + retry_p**2  # up to two retries
            lat_i += m[i, j] * lat[:, j] * tries
            fail *= 1 - retry_p**3 * 0.8
        lat[:, i] = lat_i * np.exp(_noise(rng, rows, p["lat_noise"][i]))  # multiplicative: never below 0
        err[:, i] = np.clip(1 - fail + _noise(rng, rows, p["err_noise"][i]), 0.0, 1.0)
        cpu[:, i] = np.clip(cpu_i + _noise(rng, rows, p["cpu_noise"][i] * cores), 0.0, None)
        mem[:, i] = np.clip(mem_i + _noise(rng, rows, 0.01 * limit), 0.0, None)
    return np.stack([lat, err, cpu, mem], axis=2).reshape(rows, n * 4)


def generate_fault_case(m: np.ndarray, rng: np.random.Generator, fault: str, normal: int = 480,
                        abnormal: int = 20) -> FaultCase:
    """Simulate one case with ``fault`` on a random service of call DAG ``m``."""
    n = m.shape[0]
    p = {"phase": rng.random(), "rps": rng.uniform(20, 200, n), "mem_limit": rng.choice([512, 1024, 2048], n),
         "mem_level": rng.uniform(0.3, 0.6, n), "cores": rng.choice([0.5, 1.0, 2.0, 4.0], n),
         "util": rng.uniform(0.15, 0.55, n), "base_ms": rng.lognormal(2.0, 0.8, n), "err": rng.uniform(0, 0.01, n),
         "lat_noise": rng.uniform(0.02, 0.12, n),
         "err_noise": rng.uniform(0.001, 0.005, n), "cpu_noise": rng.uniform(0.01, 0.05, n)}
    timeout_mult = rng.uniform(1.5, 4.0, (n, n))  # a caller's timeout: this times the callee's normal latency
    rows = normal + abnormal
    where = int(rng.integers(0, n))
    ramp = int(rng.choice([1, 1, 3, 6])) if fault != "mem" else int(rng.integers(3, 10))
    seed = int(rng.integers(0, 2**31))
    fronts = [i for i in range(n) if not m[:, i].any()]
    p["timeout"] = np.full((n, n), 1e300)  # the calm run sets each callee's normal latency first
    calm = _run(m, p, normal, (where, fault, 0.0, rows, 1), seed).reshape(normal, n, 4)
    p["timeout"] = timeout_mult * np.median(calm[:, :, 0], axis=0)[None, :]
    size = {"cpu": 0.25, "mem": 0.6, "latency": 0.5, "errors": 0.3}[fault]
    for _ in range(8):
        data = _run(m, p, rows, (where, fault, size, normal, ramp), seed)
        cube = data.reshape(rows, n, 4)
        base = cube[:normal, fronts, :2]
        med, spread = np.median(base, axis=0), np.percentile(base, 75, axis=0) - np.percentile(base, 25, axis=0)
        peak = np.abs(np.median(cube[normal + ramp:, fronts, :2], axis=0) - med) / np.maximum(spread / 1.349, 1e-9)
        if peak.max() > 3.0:
            break
        size = min(size * 1.6, {"cpu": 0.95, "mem": 0.98}.get(fault, 50.0))
    names = [f"svc{i:02d}_{k}" for i in range(n) for k in METRICS]
    return FaultCase(np.round(data, 4), names, normal, f"svc{where:02d}_{fault}", fault)


def simulate_faults(num_services: int, num_cases: int, seed: int) -> list[FaultCase]:
    """Generate ``num_cases`` cases, fault types in turn, a new call DAG every eight cases."""
    rng = np.random.default_rng(seed)
    out: list[FaultCase] = []
    m = np.zeros((num_services, num_services))
    for k in range(num_cases):
        if k % 8 == 0:
            m = _call_dag(num_services, rng)
        out.append(generate_fault_case(m, rng, FAULTS[k % len(FAULTS)]))
    return out
