"""Reports captured from a real Evidently run (tests/fixtures/drift/capture.py) read as DriftReports."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.drift import FileSource, compare
from engine.drift.evidently_report import load_evidently_report, method_direction, parse_evidently_report
from engine.drift.types import DriftReport
from engine.errors import InvalidInput

FIXTURES = Path(__file__).parents[2] / "fixtures" / "drift"


@pytest.mark.parametrize("tag", ["small", "large"])
@pytest.mark.parametrize("variant", ["v07_snapshot", "v07_snapshot_tests", "legacy"])
def test_ingested_report_matches_our_own_run(tag, variant):
    theirs = load_evidently_report(str(FIXTURES / f"{tag}_{variant}.json"))
    ours = compare(FileSource(str(FIXTURES / f"{tag}_reference.csv")), FileSource(str(FIXTURES / f"{tag}_current.csv")))
    assert theirs.source == "evidently"
    assert theirs.n_features == 5 and theirs.dataset_drift == ours.dataset_drift
    mine = {f.name: f for f in ours.features}
    for f in theirs.features:
        assert f.drifted == mine[f.name].drifted, f.name
        assert f.score == pytest.approx(mine[f.name].score, rel=1e-6, abs=1e-12), f.name
        if variant != "legacy":  # v0.7 reports name the display method; we map it back
            assert f.method == mine[f.name].method


def test_direction_comes_from_the_method():
    small = load_evidently_report(str(FIXTURES / "small_v07_snapshot.json"))
    large = load_evidently_report(str(FIXTURES / "large_v07_snapshot.json"))
    age_p = next(f for f in small.features if f.name == "age")
    assert age_p.method == "ks" and age_p.score > age_p.threshold and not age_p.drifted
    income_d = next(f for f in large.features if f.name == "income")
    assert income_d.method == "wasserstein" and income_d.score > income_d.threshold and income_d.drifted
    assert income_d.effect == income_d.score and age_p.effect is None
    assert method_direction("K-S p_value")[2] == "<=" and method_direction("Energy-distance")[2] == ">"
    assert method_direction("my custom p_value")[2] == "<"


def test_legacy_dataset_only_shape():
    report = load_evidently_report(str(FIXTURES / "large_legacy_dataset_only.json"))
    assert report.dataset_drift and report.n_features == 5 and report.n_drifted == 4 and report.features == []


def test_report_round_trips_through_json():
    report = load_evidently_report(str(FIXTURES / "small_legacy.json"))
    again = DriftReport.from_json(report.to_json())
    assert again == report


def test_unrecognised_json_is_invalid_input(tmp_path):
    with pytest.raises(InvalidInput, match="metrics"):
        parse_evidently_report({"foo": 1}, "x.json")
    with pytest.raises(InvalidInput, match="ValueDrift"):
        parse_evidently_report({"metrics": [{"id": "1", "config": {"type": "Other"}, "value": 1}]}, "x.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(InvalidInput, match="bad.json"):
        load_evidently_report(str(bad))
    assert json.loads(load_evidently_report(str(FIXTURES / "small_v07_snapshot.json")).to_json())["n_features"] == 5
