"""compare(): method choice, overrides, quality findings, ranking, JSON, async, sketch mode."""

from __future__ import annotations

import asyncio
import json

import numpy as np
import pandas as pd
import pytest

from engine.drift import DriftOptions, DriftReport, TableSource, compare, compare_async
from engine.errors import InvalidInput


def _run(ref, cur, **kw) -> DriftReport:
    return compare(TableSource(ref, "ref"), TableSource(cur, "cur"), DriftOptions(**kw) if kw else None)


def _by_name(report):
    return {f.name: f for f in report.features}


def test_default_methods_follow_evidently_rules(frames):
    small = _by_name(_run(frames(500), frames(500, seed=1)))
    assert {n: f.method for n, f in small.items()} == {
        "income": "ks", "latency": "ks", "age": "ks", "kids": "chisquare", "country": "chisquare",
        "segment": "chisquare", "churned": "z", "plan": "z"}
    assert small["kids"].kind == "categorical"  # int column with <= 10 values
    large = _by_name(_run(frames(2000), frames(2000, seed=1)))
    assert {f.method for n, f in large.items() if f.kind == "numerical"} == {"wasserstein"}
    assert {f.method for n, f in large.items() if f.kind == "categorical"} == {"jensenshannon"}


def test_overrides_and_psi(frames):
    ref, cur = frames(3000), frames(3000, 0.5, seed=1)
    report = _by_name(_run(ref, cur, per_column_method={"income": "psi", "country": "chisquare"},
                           per_column_threshold={"latency": 0.9}, cat_method="psi"))
    assert report["income"].method == "psi" and report["income"].drifted
    assert report["country"].method == "chisquare" and report["country"].threshold == 0.05
    assert report["latency"].threshold == 0.9 and not report["latency"].drifted
    assert report["plan"].method == "psi"
    with pytest.raises(InvalidInput, match="`country`"):
        _run(ref, cur, per_column_method={"country": "ks"})


def test_dataset_drift_share_and_ranking(frames):
    report = _run(frames(3000), frames(3000, 1.0, seed=1))
    assert report.dataset_drift == (report.share_drifted >= 0.5)
    drivers = report.drivers()
    assert drivers and drivers[0].name == "income"
    assert [f.effect for f in drivers] == sorted((f.effect for f in drivers), reverse=True)
    assert drivers[0].description.startswith("`income` moved up: median 40.4k -> 48k")
    assert "Wasserstein" in drivers[0].description
    assert report.fingerprint() == (report.dataset_drift, tuple(f.name for f in drivers[:3]))
    loose = _run(frames(3000), frames(3000, 1.0, seed=1), drift_share=0.9)
    assert not loose.dataset_drift


def test_quality_findings(frames):
    ref, cur = frames(2000), frames(2000, seed=1)
    cur.loc[:300, "income"] = np.nan
    cur.loc[:200, "segment"] = "zz"
    cur = cur[cur["plan"] != "pro"].drop(columns=["churned"]).assign(extra=1.0)
    cur.loc[cur.index[:100], "latency"] = 1e6
    ref["age"] = ref["age"].astype(str)
    kinds = {(q.kind, q.column) for q in _run(ref, cur).quality}
    assert {("missing_rate", "income"), ("new_categories", "segment"), ("vanished_categories", "plan"),
            ("out_of_range", "latency"), ("column_removed", "churned"), ("column_added", "extra"),
            ("type_changed", "age")} <= kinds


def test_text_and_empty_columns_are_not_tested(frames):
    ref, cur = frames(400), frames(400, seed=1)
    ref["note"] = [f"free text {i}" for i in range(400)]
    cur["note"] = [f"other text {i}" for i in range(400)]
    ref["blank"] = None
    cur["blank"] = 1.0
    report = _run(ref, cur)
    assert {"note", "blank"}.isdisjoint(_by_name(report))
    assert {("not_tested", "note"), ("not_tested", "blank")} <= {(q.kind, q.column) for q in report.quality}


def test_report_serialises_to_json(frames):
    report = _run(frames(300), frames(300, 0.8, seed=1))
    data = json.loads(report.to_json())
    assert set(data) >= {"dataset_drift", "share_drifted", "features", "quality"}
    assert {"name", "kind", "method", "score", "threshold", "drifted", "effect", "description"} <= set(
        data["features"][0])
    assert DriftReport.from_dict(data) == report


async def test_compare_async_runs_off_the_loop(frames):
    ticks = 0

    async def ticker():
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.001)

    task = asyncio.create_task(ticker())
    report = await compare_async(TableSource(frames(200_000)), TableSource(frames(200_000, 0.3, seed=1)))
    task.cancel()
    assert report.n_features == 8 and ticks > 5


def test_sketch_mode_is_close_to_exact(frames):
    ref, cur = frames(60_000), frames(60_000, 0.2, seed=1)
    ref.loc[::7, "income"] = 0.0  # exact zeros and negatives exercise the sketch's zero bucket
    cur["income"] -= 30_000
    exact = _by_name(_run(ref, cur))
    sketched = _by_name(_run(ref, cur, exact_limit=10_000))
    for name, f in exact.items():
        assert sketched[name].drifted == f.drifted
        assert sketched[name].score == pytest.approx(f.score, rel=0.01, abs=1e-3), name
    ks_exact = _by_name(_run(ref.head(800), cur, num_method="ks"))
    ks_sketched = _by_name(_run(ref.head(800), cur, num_method="ks", exact_limit=10_000))
    for name in ("income", "latency", "age"):  # current sketched, reference exact: D is still exact
        assert ks_sketched[name].score == pytest.approx(ks_exact[name].score, rel=1e-9)


def test_int_column_with_missing_values_is_numerical():
    ref = pd.DataFrame({"n": [1, 2, 3, 1, 2, 3] * 50})
    cur = pd.DataFrame({"n": pd.array([1, 2, None, 1, 2, 3] * 50, dtype="Int64")})
    assert _by_name(_run(ref, cur))["n"].kind == "numerical"
    assert _by_name(_run(ref, ref))["n"].kind == "categorical"


def test_columns_kept_on_disk_are_tested_one_at_a_time(frames, monkeypatch):
    import threading
    import time

    from engine.drift import numeric, service

    in_memory = _run(frames(3000), frames(3000, 0.5, seed=1))
    monkeypatch.setattr(numeric, "SPILL_AFTER", 500)  # every numeric column of 3000 rows goes to disk
    monkeypatch.setattr(service, "_WORKERS", 4)
    busy, most, guard = [0], [0], threading.Lock()
    real = service._tested

    def tested(name, r, c, kind, options):
        spilled = isinstance(r, numeric.NumericProfile) and r.spill is not None
        with guard:
            busy[0] += spilled
            most[0] = max(most[0], busy[0])
        try:
            time.sleep(0.02)  # long enough for another worker to start a column meanwhile
            return real(name, r, c, kind, options)
        finally:
            with guard:
                busy[0] -= spilled

    monkeypatch.setattr(service, "_tested", tested)
    report = _run(frames(3000), frames(3000, 0.5, seed=1))
    assert most[0] == 1  # four workers, three spilled numeric columns: never two at once
    assert [(f.name, f.score, f.drifted) for f in report.features] == \
           [(f.name, f.score, f.drifted) for f in in_memory.features]
