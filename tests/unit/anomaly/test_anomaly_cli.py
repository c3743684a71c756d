"""`eval nab` command on the vendored slice."""

import argparse
import json
from pathlib import Path

from engine.anomaly.cli import add_eval_nab, main
from engine.anomaly.registry import DEFAULT_DETECTOR
from engine.lab.anomaly.nab.corpus import load_corpus
from engine.lab.anomaly.nab.run import detect_corpus, write_results

FIXTURE = Path(__file__).parents[2] / "fixtures" / "nab"
ARGS = ["nab", "--data", str(FIXTURE / "data"), "--labels", str(FIXTURE / "labels" / "combined_windows.json")]


def test_subcommand_is_added_with_callable():
    parser = argparse.ArgumentParser()
    add_eval_nab(parser.add_subparsers(dest="cmd"))
    args = parser.parse_args(ARGS + ["--json"])
    assert callable(args.func) and args.json and args.detector == DEFAULT_DETECTOR == "ensemble-calm"


def test_scores_dir_json_has_profiles_and_categories(capsys):
    assert main(ARGS + ["--scores", str(FIXTURE / "oracle" / "numenta"), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["detector"] == "numenta" and out["files"] == 2
    assert set(out["profiles"]) == {"standard", "reward_low_FP_rate", "reward_low_FN_rate"}
    assert "realAdExchange" in out["profiles"]["standard"]["categories"]


def test_detector_run_round_trips_through_results_layout(tmp_path, capsys):
    files = load_corpus(FIXTURE / "data", FIXTURE / "labels" / "combined_windows.json")
    scores = detect_corpus(DEFAULT_DETECTOR, files, workers=1)
    write_results(tmp_path, DEFAULT_DETECTOR, files, scores)
    assert main(ARGS + ["--json"]) == 0
    direct = json.loads(capsys.readouterr().out)["profiles"]["standard"]["normalized"]
    assert main(ARGS + ["--scores", str(tmp_path), "--json"]) == 0
    replayed = json.loads(capsys.readouterr().out)["profiles"]["standard"]["normalized"]
    assert abs(direct - replayed) < 1e-6


def _standard(capsys, extra):
    assert main(ARGS + ["--scores", str(FIXTURE / "oracle" / "numenta"), "--json", *extra]) == 0
    out = json.loads(capsys.readouterr().out)
    return out, out["profiles"]["standard"]


def test_default_scores_the_production_threshold_with_the_fitted_one_beside(capsys):
    from engine.anomaly.watches.config import DEFAULT_THRESHOLD

    out, std = _standard(capsys, [])
    assert out["threshold_source"].startswith("production") and std["threshold"] == DEFAULT_THRESHOLD
    fitted = std["fitted_on_scored_labels"]
    assert fitted["threshold"] != DEFAULT_THRESHOLD and fitted["normalized"] >= std["normalized"]


def test_fixed_threshold_and_fit_on_another_corpus(capsys, tmp_path):
    _, fixed = _standard(capsys, ["--threshold", "0.9"])
    assert fixed["threshold"] == 0.9
    # Fit on a corpus holding only one of the two files, then score both at that threshold.
    one = tmp_path / "data" / "realAdExchange"
    one.mkdir(parents=True)
    (one / "exchange-2_cpc_results.csv").write_bytes(
        (FIXTURE / "data" / "realAdExchange" / "exchange-2_cpc_results.csv").read_bytes())
    out, moved = _standard(capsys, ["--fit-on", str(tmp_path / "data")])
    assert out["threshold_source"].startswith("fitted on") and "(1 files)" in out["threshold_source"]
    from engine.lab.anomaly.nab.corpus import load_scores
    from engine.lab.anomaly.nab.scorer import PROFILES
    from engine.lab.anomaly.nab.threshold import fit_threshold

    fit_files = load_corpus(tmp_path / "data", FIXTURE / "labels" / "combined_windows.json")
    _, fit_scores = load_scores(FIXTURE / "oracle" / "numenta", fit_files)
    assert moved["threshold"] == fit_threshold(fit_files, fit_scores, PROFILES["standard"])[0]


def test_loco_flag_prints_folds_and_the_procedure_threshold(capsys):
    assert main(ARGS + ["--loco"]) == 0
    text = capsys.readouterr().out
    assert "leave-one-category-out" in text and "production procedure" in text
