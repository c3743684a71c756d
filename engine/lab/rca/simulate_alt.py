"""A second case generator, unlike CIRCA's, to check that the ranker generalises.

Differences from ``simulate.py`` on purpose: several metrics per service (latency, errors,
cpu), non-linear links (a saturating latency response, errors that rise only past a
threshold), heavy-tailed Student-t noise, propagation delayed by one step on a random
half of the service edges, several front ends instead of one sink, and a fault that is a
sustained step (the whole abnormal window) on one metric of 1 + Poisson(0.5) services,
sized so that some front end leaves its 3-sigma band.  Used only by the benchmark.

``links="linear"`` is a third check: the same services, delays and step faults, but linear
links (latency = load + 0.8 cpu, errors = 0.5 latency) and Gaussian noise, so a gain or loss
there can be told apart from the effect of non-linear links and heavy tails.
"""

from __future__ import annotations

import numpy as np

from engine.lab.rca.simulate import SimCase

METRICS = ("latency", "errors", "cpu")


class AltCase(SimCase):
    """A simulated case whose columns are ``s<i>_<metric>``, three per service."""

    def column_names(self) -> list[str]:
        """Return the ``<service>_<metric>`` column name of every column."""
        return alt_names(self.data.shape[1] // len(METRICS))


def _service_dag(n: int, rng: np.random.Generator) -> np.ndarray:
    """Return ``m[i, j] != 0`` when service ``i`` calls (depends on) service ``j > i``."""
    m = np.zeros((n, n))
    for j in range(1, n):
        for i in rng.choice(j, size=min(j, 1 + int(rng.integers(0, 2))), replace=False):
            m[i, j] = rng.uniform(0.4, 1.2)
    return m


def generate_alt_case(
    deps: np.ndarray, rng: np.random.Generator, normal: int = 1440, abnormal: int = 10, links: str = "nonlinear"
) -> AltCase:
    """Simulate one case on a service DAG; columns are service-major ``(latency, errors, cpu)``."""
    linear = links == "linear"
    n = deps.shape[0]
    lagged = (rng.random(deps.shape) < 0.5) & (deps > 0)
    total = normal + abnormal
    causes = rng.choice(n, size=min(n, 1 + int(rng.poisson(0.5))), replace=False)
    metric = rng.integers(0, 2, size=causes.size) * 2  # 0 = latency, 2 = cpu
    shift = np.zeros((total, n, 3))

    def run(magnitude: float, seed: int) -> np.ndarray:
        noise_rng = np.random.default_rng(seed)
        if linear:
            noise = noise_rng.standard_normal(size=(total, n, 3)) * 0.3
        else:
            noise = noise_rng.standard_t(4, size=(total, n, 3)) * 0.3
        x = np.zeros((total, n, 3))
        shift[:] = 0.0
        shift[normal:, causes, metric] = magnitude
        for t in range(total):
            for s in range(n - 1, -1, -1):  # dependencies have higher indices: compute them first
                cpu = 0.5 * (x[t - 1, s, 2] if t else 0.0) + noise[t, s, 2] + shift[t, s, 2]
                load = 0.0
                for d in np.flatnonzero(deps[s]):
                    src = x[t - 1, d, 0] if (lagged[s, d] and t) else x[t, d, 0]
                    load += deps[s, d] * src
                if linear:
                    lat = load + 0.8 * cpu + noise[t, s, 0] + shift[t, s, 0]
                    err = 0.5 * lat + 0.2 * noise[t, s, 1]
                else:
                    lat = np.log1p(np.exp(load + 0.8 * cpu)) + noise[t, s, 0] + shift[t, s, 0]
                    err = max(lat - 2.0, 0.0) ** 2 + 0.2 * noise[t, s, 1]
                x[t, s] = (lat, err, cpu)
        return x

    seed = int(rng.integers(0, 2**31))
    fronts = [i for i in range(n) if not deps[:, i].any()]
    magnitude, data = 0.5, None
    for _ in range(12):
        data = run(magnitude, seed)
        base = data[:normal, fronts, 0]
        peak = np.abs(data[normal:, fronts, 0] - base.mean(axis=0)) / base.std(axis=0)
        if peak.max() > 3.0:
            break
        magnitude *= 2
    flat = data.reshape(total, n * 3)
    mean, std = flat[:normal].mean(axis=0), flat[:normal].std(axis=0)
    std[std == 0] = 1.0
    cols = tuple(sorted(int(c) * 3 + int(m) for c, m in zip(causes, metric)))
    return AltCase(np.round((flat - mean) / std, 3), cols, np.zeros((n * 3, n * 3)), normal)


def alt_names(num_services: int) -> list[str]:
    """Return the column names of an alternative case with ``num_services`` services."""
    return [f"s{i:02d}_{m}" for i in range(num_services) for m in METRICS]


def simulate_alt(num_services: int, num_cases: int, seed: int, links: str = "nonlinear") -> list[AltCase]:
    """Generate ``num_cases`` alternative cases, a new service graph every ten cases (``links``: see module)."""
    if links not in ("nonlinear", "linear"):
        raise ValueError(f"links must be 'nonlinear' or 'linear', not {links!r}")
    rng = np.random.default_rng(seed)
    cases, deps = [], None
    for k in range(num_cases):
        if k % 10 == 0:
            deps = _service_dag(num_services, rng)
        cases.append(generate_alt_case(deps, rng, links=links))
    return cases
