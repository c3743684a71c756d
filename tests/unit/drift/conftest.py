"""Data generators and the Evidently runner shared by the drift tests."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest


def make_frame(n: int, shift: float = 0.0, seed: int = 0) -> pd.DataFrame:
    """Return n rows of numeric, integer, categorical and binary features; `shift` moves them."""
    rng = np.random.default_rng(seed)
    p_country = np.array([0.5, 0.3, 0.2]) * (1 - shift) + np.array([0.2, 0.3, 0.5]) * shift
    return pd.DataFrame({
        "income": rng.normal(41_000 + 7_000 * shift, 10_000, n),
        "latency": rng.lognormal(3 + 0.3 * shift, 0.5, n),
        "age": rng.integers(18, 80, n),
        "kids": rng.integers(0, 3 + int(shift > 0.5), n),
        "country": rng.choice(["US", "DE", "FR"], n, p=p_country / p_country.sum()),
        "segment": rng.choice(["a", "b", "c", "d", "e", "f"], n),
        "churned": rng.random(n) < 0.3 + 0.1 * shift,
        "plan": rng.choice(["free", "pro"], n, p=[0.7 - 0.2 * shift, 0.3 + 0.2 * shift]),
    })


@pytest.fixture
def frames():
    """Return the make_frame generator."""
    return make_frame


def evidently_verdicts(reference: pd.DataFrame, current: pd.DataFrame) -> tuple[dict, bool]:
    """Run Evidently's DataDriftPreset; return {column: (method, score, drifted)} and dataset drift."""
    from evidently import Report
    from evidently.presets import DataDriftPreset

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        snap = Report([DataDriftPreset()], include_tests=True).run(current, reference)
    data = snap.dict()
    status = {t["metric_config"]["metric_id"]: t["status"] == "FAIL" for t in data["tests"] if t["id"] == "drift"}
    dataset = [t["status"] == "FAIL" for t in data["tests"] if t["id"] == "lt"][0]
    out = {}
    for m in data["metrics"]:
        if m["config"]["type"].endswith("ValueDrift"):
            out[m["config"]["column"]] = (m["config"]["method"], m["value"], status[m["id"]])
    return out, dataset


@pytest.fixture
def run_evidently():
    """Return the Evidently runner (skips the test when Evidently is not installed)."""
    try:
        import evidently  # noqa: F401 - test extra; needs pandas<3
    except ImportError as exc:
        pytest.skip(f"evidently not importable: {exc}")
    return evidently_verdicts
