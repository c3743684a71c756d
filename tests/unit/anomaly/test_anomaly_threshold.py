"""Production threshold: the config default is what the leave-one-category-out procedure gives."""

from pathlib import Path

import numpy as np
import pytest

from engine.lab.anomaly.nab.corpus import DataFile, load_corpus
from engine.lab.anomaly.nab.evaluate import score_corpus
from engine.lab.anomaly.nab.run import detect_corpus
from engine.lab.anomaly.nab.scorer import PROFILES
from engine.lab.anomaly.nab.threshold import (
    fit_threshold,
    loco,
    production_threshold,
    raw_at,
)
from engine.anomaly.registry import DEFAULT_DETECTOR
from engine.anomaly.watches.config import DEFAULT_THRESHOLD, PRODUCTION_THRESHOLDS

SHARED = Path("/work/shared/data/nab")
STD = PROFILES["standard"]


def _file(name: str, n: int, window: tuple[int, int]) -> DataFile:
    stamps = np.arange(n).astype("datetime64[m]").astype("datetime64[ns]")
    return DataFile(name, stamps, np.zeros(n), [window])


def _toy():
    """Three categories; each file's window row scores `hit`, one noise row outside scores `noise`."""
    files, scores = [], {}
    for cat, hit, noise in (("a", 0.9, 0.5), ("b", 0.8, 0.6), ("c", 0.7, 0.4)):
        f = _file(f"{cat}/x.csv", 200, (150, 159))
        s = np.zeros(200)
        s[152], s[100] = hit, noise
        files.append(f)
        scores[f.name] = s
    return files, scores


def test_each_fold_fits_without_its_own_category():
    files, scores = _toy()
    result = loco(files, scores)
    by_cat = {f.category: f.threshold for f in result.folds}
    # Fitted without a: the lowest hit among b and c that stays above their noise is 0.7.
    assert by_cat == {"a": 0.7, "b": 0.7, "c": 0.8}
    # Held out c at 0.8 misses its 0.7 hit: one FN there, the others catch theirs.
    assert [round(f.raw, 3) for f in result.folds][2] == -1.0
    assert production_threshold(files, scores) == 0.7


def test_fixed_threshold_scores_what_the_threshold_detects():
    files, scores = _toy()
    fitted, raw = fit_threshold(files, scores, STD)
    assert raw_at(files, scores, STD, fitted) == pytest.approx(raw)
    fixed = score_corpus(files, scores, thresholds={p: 0.85 for p in PROFILES})["standard"]
    assert fixed.threshold == 0.85 and fixed.raw == pytest.approx(raw_at(files, scores, STD, 0.85))
    assert fixed.normalized < score_corpus(files, scores)["standard"].normalized


@pytest.mark.skipif(not SHARED.is_dir(), reason="NAB public subset not present")
@pytest.mark.parametrize("detector", sorted(PRODUCTION_THRESHOLDS))
def test_config_default_equals_the_loco_procedure_on_the_public_subset(detector):
    files = load_corpus(SHARED / "data", SHARED / "labels" / "combined_windows.json")
    scores = detect_corpus(detector, files, workers=1)
    assert production_threshold(files, scores) == PRODUCTION_THRESHOLDS[detector]
    assert PRODUCTION_THRESHOLDS[DEFAULT_DETECTOR] == DEFAULT_THRESHOLD


def test_a_watch_without_a_threshold_runs_at_its_detectors_production_threshold():
    from engine.anomaly.watches.config import WatchConfig

    base = {"name": "lat", "query": "up"}
    assert WatchConfig.model_validate(base).threshold == DEFAULT_THRESHOLD
    rows = WatchConfig.model_validate({**base, "detector": "ensemble"})
    assert rows.threshold == PRODUCTION_THRESHOLDS["ensemble"] != DEFAULT_THRESHOLD
    assert WatchConfig.model_validate({**base, "detector": "ensemble", "threshold": 0.7}).threshold == 0.7
