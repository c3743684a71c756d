"""Same data, same verdicts as Evidently's DataDriftPreset (method, score and drift flag)."""

from __future__ import annotations

import numpy as np
import pytest

from engine.drift import DriftOptions, TableSource, compare

pytestmark = pytest.mark.evidently

EVIDENTLY_METHOD = {"K-S p_value": "ks", "chi-square p_value": "chisquare", "Z-test p_value": "z",
                    "Wasserstein distance (normed)": "wasserstein", "Jensen-Shannon distance": "jensenshannon"}


def _agree(ref, cur, run_evidently, options=None):
    theirs, their_dataset = run_evidently(ref, cur)
    ours = compare(TableSource(ref, "ref"), TableSource(cur, "cur"), options)
    mine = {f.name: f for f in ours.features}
    assert set(mine) == set(theirs)
    for name, (method, score, drifted) in theirs.items():
        f = mine[name]
        assert f.method == EVIDENTLY_METHOD[method], name
        assert f.drifted == drifted, (name, f.score, score)
        if options is None or options.exact_limit >= len(ref):
            assert f.score == pytest.approx(score, rel=1e-6, abs=1e-12), name
    assert ours.dataset_drift == their_dataset
    return ours


@pytest.mark.parametrize("n_ref,n_cur,shift", [(400, 600, 0.0), (400, 600, 0.6), (1000, 800, 0.15),
                                               (3000, 2000, 0.0), (3000, 2000, 0.4), (1001, 5000, 0.15)])
def test_verdicts_match_evidently(frames, run_evidently, n_ref, n_cur, shift):
    _agree(frames(n_ref, 0.0, seed=1), frames(n_cur, shift, seed=2), run_evidently)


def test_missing_values_and_few_valued_numbers(frames, run_evidently):
    ref, cur = frames(800, 0.0, seed=3), frames(900, 0.3, seed=4)
    rng = np.random.default_rng(5)
    for df in (ref, cur):
        df.loc[rng.random(len(df)) < 0.1, "income"] = np.nan
        df["rating"] = rng.choice([1.0, 2.5, 4.0], len(df))  # float column with 3 values: chi-square
    cur.loc[:50, "age"] = np.nan  # int with missing values is read as float: numerical
    ours = _agree(ref, cur, run_evidently)
    assert {f.name: f.method for f in ours.features}["rating"] == "chisquare"


def test_large_reference_with_new_category(frames, run_evidently):
    ref, cur = frames(4000, 0.0, seed=6), frames(4000, 0.2, seed=7)
    cur.loc[:400, "segment"] = "z"
    _agree(ref, cur, run_evidently)


def test_columns_spilled_to_disk_keep_exact_scores(frames, run_evidently, monkeypatch):
    from engine.drift import numeric

    monkeypatch.setattr(numeric, "SPILL_AFTER", 1_500)  # every numeric column of both sides goes to disk
    ref, cur = frames(6000, 0.0, seed=10), frames(4500, 0.15, seed=11)
    _agree(ref, cur, run_evidently)


def test_sketched_columns_keep_the_verdicts(frames, run_evidently):
    ref, cur = frames(30_000, 0.0, seed=8), frames(30_000, 0.12, seed=9)
    _agree(ref, cur, run_evidently, DriftOptions(exact_limit=10_000))
