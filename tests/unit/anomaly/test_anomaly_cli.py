"""`eval nab` command on the vendored slice."""

import argparse
import json
from pathlib import Path

from engine.anomaly.cli import add_eval_nab, main
from engine.anomaly.nab.corpus import load_corpus
from engine.anomaly.nab.run import detect_corpus, write_results

FIXTURE = Path(__file__).parents[2] / "fixtures" / "nab"
ARGS = ["nab", "--data", str(FIXTURE / "data"), "--labels", str(FIXTURE / "labels" / "combined_windows.json")]


def test_subcommand_is_added_with_callable():
    parser = argparse.ArgumentParser()
    add_eval_nab(parser.add_subparsers(dest="cmd"))
    args = parser.parse_args(ARGS + ["--json"])
    assert callable(args.func) and args.json and args.detector == "robust"


def test_scores_dir_json_has_profiles_and_categories(capsys):
    assert main(ARGS + ["--scores", str(FIXTURE / "oracle" / "numenta"), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["detector"] == "numenta" and out["files"] == 2
    assert set(out["profiles"]) == {"standard", "reward_low_FP_rate", "reward_low_FN_rate"}
    assert "realAdExchange" in out["profiles"]["standard"]["categories"]


def test_detector_run_round_trips_through_results_layout(tmp_path, capsys):
    files = load_corpus(FIXTURE / "data", FIXTURE / "labels" / "combined_windows.json")
    scores = detect_corpus("robust", files, workers=1)
    write_results(tmp_path, "robust", files, scores)
    assert main(ARGS + ["--json"]) == 0
    direct = json.loads(capsys.readouterr().out)["profiles"]["standard"]["normalized"]
    assert main(ARGS + ["--scores", str(tmp_path), "--json"]) == 0
    replayed = json.loads(capsys.readouterr().out)["profiles"]["standard"]["normalized"]
    assert abs(direct - replayed) < 1e-6
