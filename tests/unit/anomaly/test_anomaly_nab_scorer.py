"""NAB scorer: hand-computed rows, a literal reference on the vendored slice, the oracle."""

import json
import math
from pathlib import Path

import numpy as np
import pytest

from engine.lab.anomaly.nab.corpus import DataFile, load_corpus, load_labels, load_scores
from engine.lab.anomaly.nab.evaluate import score_corpus
from engine.lab.anomaly.nab.scorer import PROFILES, probation_length, row_weights, scaled_sigmoid, sweep

FIXTURE = Path(__file__).parents[2] / "fixtures" / "nab"
SHARED = Path("/work/shared/data/nab")
STD = PROFILES["standard"]


def test_scaled_sigmoid_matches_nab_anchor_points():
    assert float(scaled_sigmoid(-1.0)) == pytest.approx(0.98661, abs=1e-5)
    assert float(scaled_sigmoid(-0.5)) == pytest.approx(0.84828, abs=1e-5)
    assert float(scaled_sigmoid(0.0)) == 0.0
    assert float(scaled_sigmoid(3.5)) == -1.0


def test_probation_is_15_percent_capped_at_750_rows():
    assert probation_length(100) == 15
    assert probation_length(20000) == 750


def test_row_weights_by_hand():
    rw = row_weights(20, [(10, 13)], STD)
    s = lambda x: 2 / (1 + math.exp(5 * x)) - 1
    assert not rw.scorable[2] and rw.scorable[3]  # floor(0.15 * 20) = 3 probationary rows
    assert rw.weight[5] == pytest.approx(-0.11)  # no window before: full FP cost
    assert rw.weight[11] == pytest.approx(s(-(13 - 11 + 1) / 4) / s(-1))
    assert rw.weight[15] == pytest.approx(0.11 * s(2 / 3))
    assert list(rw.window[9:15]) == [-1, 0, 0, 0, 0, -1]


def test_sweep_by_hand_picks_the_best_threshold():
    rw = row_weights(20, [(10, 13)], STD)
    scores = np.zeros(20)
    scores[11], scores[5], scores[16] = 0.9, 0.7, 0.95
    live = rw.scorable
    sw = sweep(scores[live], rw.weight[live], rw.window[live], 1.0)
    by_threshold = dict(zip(sw.thresholds.tolist(), sw.scores.tolist()))
    tp = rw.weight[11]
    assert by_threshold[1.1] == pytest.approx(-1.0)
    assert by_threshold[0.95] == pytest.approx(-1.0 + rw.weight[16])
    assert by_threshold[0.9] == pytest.approx(tp + rw.weight[16])
    assert by_threshold[0.7] == pytest.approx(tp + rw.weight[16] - 0.11)
    assert sw.best() == (0.9, pytest.approx(tp + rw.weight[16]))


def reference_best(files, scores, cost):
    """Literal row-by-row transcription of NAB's sweeper, as an independent check."""
    rows = []
    for f in files:
        n, prev_right, prev_width, cur = len(f.values), None, None, None
        starts = {lo: (lo, hi) for lo, hi in f.windows}
        for i in range(n):
            if i in starts:
                cur = starts[i]
            if cur is not None:
                lo, hi = cur
                w = scaled_sigmoid(-(hi - i + 1) / (hi - lo + 1)) * cost["tpWeight"] / scaled_sigmoid(-1.0)
                name = f"{f.name}|{lo}"
            else:
                pos = 3.5 if prev_right is None else abs(prev_right - i) / (prev_width - 1)
                w, name = scaled_sigmoid(pos) * cost["fpWeight"], None
            if i >= probation_length(n):
                rows.append((scores[f.name][i], float(w), name))
            if cur is not None and i == cur[1]:
                prev_right, prev_width, cur = i, cur[1] - cur[0] + 1, None
    rows.sort(key=lambda r: r[0], reverse=True)
    parts = {"fp": 0.0, **{r[2]: -cost["fnWeight"] for r in rows if r[2]}}
    best, threshold, cur_t = sum(parts.values()), 1.1, 1.1
    for score, w, name in rows:
        if score != cur_t:
            total = sum(parts.values())
            if total > best:
                best, threshold = total, cur_t
            cur_t = score
        if name is None:
            parts["fp"] += w
        else:
            parts[name] = max(parts[name], w)
    total = sum(parts.values())
    if total > best:
        best, threshold = total, cur_t
    return threshold, best


@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_vendored_slice_matches_literal_reference(profile):
    files = load_corpus(FIXTURE / "data", FIXTURE / "labels" / "combined_windows.json")
    _, scores = load_scores(FIXTURE / "oracle" / "numenta", files)
    result = score_corpus(files, scores, {profile: PROFILES[profile]})[profile]
    threshold, raw = reference_best(files, scores, PROFILES[profile])
    assert result.threshold == pytest.approx(threshold)
    assert result.raw == pytest.approx(raw, abs=1e-9)
    assert result.null == pytest.approx(-4 * PROFILES[profile]["fnWeight"])
    assert sum(fs["score"] for fs in result.files.values()) == pytest.approx(raw, abs=1e-9)


def test_window_limits_map_to_rows():
    files = load_corpus(FIXTURE / "data", FIXTURE / "labels" / "combined_windows.json")
    f = next(f for f in files if f.name.endswith("exchange-2_cpc_results.csv"))
    lo, hi = f.windows[0]
    assert str(f.timestamps[lo])[:19] == "2011-07-11T04:00:01"
    assert str(f.timestamps[hi])[:19] == "2011-07-17T22:00:01"


@pytest.mark.skipif(not SHARED.exists(), reason="shared NAB subset not present")
@pytest.mark.parametrize("detector", ["windowedGaussian", "numenta"])
def test_oracle_reproduces_published_scores(detector):
    labels = SHARED / "labels" / "combined_windows.json"
    files = load_corpus(SHARED / "data", labels)
    _, scores = load_scores(SHARED / "oracle" / detector, files)
    windows = sum(len(v) for v in load_labels(labels).values())
    expected = json.loads((SHARED / "expected_scores.json").read_text())[detector]
    results = score_corpus(files, scores, label_windows=windows)
    for profile, r in results.items():
        assert r.normalized == pytest.approx(expected[profile], abs=0.1)


def test_constant_scores_score_zero():
    f = DataFile("c/x.csv", np.arange(200).astype("datetime64[m]").astype("datetime64[ns]"), np.zeros(200), [(100, 110)])
    r = score_corpus([f], {"c/x.csv": np.full(200, 0.3)})["standard"]
    assert r.normalized == pytest.approx(0.0)
