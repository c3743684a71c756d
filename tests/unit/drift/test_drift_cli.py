"""`opsbot drift` through a small argparse parser: exit codes and text/json output."""

from __future__ import annotations

import argparse
import json
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd
import pytest

from engine.core.clock import FakeClock
from engine.drift.cli import add_drift_command

FIXTURES = Path(__file__).parents[2] / "fixtures" / "drift"


def run(argv, capsys, clock=None):
    parser = argparse.ArgumentParser(prog="opsbot")
    add_drift_command(parser.add_subparsers(dest="command"), clock=clock)
    args = parser.parse_args(["drift", *argv])
    code = args.func(args)
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture
def files(tmp_path, frames):
    ref, same, moved = tmp_path / "ref.csv", tmp_path / "same.parquet", tmp_path / "moved.csv"
    frames(1500).to_csv(ref, index=False)
    frames(1500, 0.0, seed=1).to_parquet(same, index=False)
    frames(1500, 1.0, seed=2).to_csv(moved, index=False)
    return str(ref), str(same), str(moved)


def test_no_drift_exits_zero_with_text(files, capsys):
    code, out, _ = run([files[0], files[1]], capsys)
    assert code == 0
    assert out.startswith("No dataset drift: 0 of 8 features drifted")
    assert "Stable:" in out


def test_drift_exits_one_and_names_drivers(files, capsys):
    code, out, _ = run([files[0], files[2]], capsys)
    assert code == 1
    assert out.startswith("DATASET DRIFT")
    assert "Top drivers:\n  1. `latency` moved up: median 19.1 -> 27.5, Wasserstein 0.72 reference SDs" in out
    assert "`income` moved up" in out


def test_every_drifted_column_is_named_past_the_top(files, capsys):
    code, out, _ = run([files[0], files[2], "--top", "1"], capsys)
    _, data, _ = run([files[0], files[2], "--format", "json"], capsys)
    drifted = [f["name"] for f in json.loads(data)["features"] if f["drifted"]]
    assert code == 1 and len(drifted) >= 3
    drivers = out.split("Top drivers:")[1].split("\n\n")[0]
    assert "more drifted" not in drivers
    assert all(f"`{name}`" in drivers or f" {name}" in drivers for name in drifted), (drifted, drivers)
    assert "also drifted: " in drivers


def test_json_output(files, capsys):
    code, out, _ = run([files[0], files[2], "--format", "json", "--exclude", "segment", "--method", "age=psi"], capsys)
    data = json.loads(out)
    assert code == 1 and data["dataset_drift"] is True
    names = {f["name"]: f for f in data["features"]}
    assert "segment" not in names and names["age"]["method"] == "psi"


def test_column_mapping_and_threshold(files, capsys, tmp_path):
    mapping = tmp_path / "map.yaml"
    mapping.write_text("categorical_features: [age]\nexclude: [latency]\n")
    code, out, _ = run([files[0], files[2], "--column-mapping", str(mapping), "--threshold", "0.99",
                        "--format", "table"], capsys)
    lines = {line.split()[0]: line for line in out.splitlines()[1:]}
    assert "latency" not in lines and lines["age"].split()[1] == "categorical"
    assert code == 0 and all(line.endswith("no") for line in lines.values())  # distances under 0.99


def test_bad_input_exits_two_naming_file_and_column(files, capsys, tmp_path):
    code, _, err = run([files[0], str(tmp_path / "gone.csv")], capsys)
    assert code == 2 and "gone.csv: file not found" in err
    code, _, err = run([files[0], files[1], "--columns", "income,salary"], capsys)
    assert code == 2 and "column `salary` not found" in err
    code, _, err = run([files[0], files[1], "--method", "age=magic"], capsys)
    assert code == 2 and "unknown method" in err
    code, _, err = run([files[0], files[1], "--window", "24h"], capsys)
    assert code == 2 and "--time-column" in err
    code, _, err = run([files[0]], capsys)
    assert code == 2


def test_window_relative_to_the_clock(tmp_path, frames, capsys):
    df = frames(2000)
    df["ts"] = pd.date_range("2026-03-01", periods=2000, freq="min", tz="UTC")
    path = tmp_path / "events.parquet"
    df.to_parquet(path)
    clock = FakeClock(datetime(2026, 3, 2, 9, 20, tzinfo=timezone.utc))  # 2000 min after start = 09:20
    code, out, _ = run([str(path), str(path), "--time-column", "ts", "--window", "2h", "--format", "json"],
                       capsys, clock)
    assert json.loads(out)["current"]["rows"] == 120
    code, _, err = run([str(path), str(path), "--time-column", "ts", "--since", "2027-01-01"], capsys, clock)
    assert code == 2 and "no rows with `ts`" in err


def test_evidently_report_summary(capsys):
    code, out, _ = run(["--evidently", str(FIXTURES / "large_v07_snapshot.json")], capsys)
    assert code == 1 and "from Evidently report" in out and "`income` drifted: Wasserstein 0.68 reference SDs" in out


def test_a_reader_that_stops_early_leaves_the_verdict_as_exit_code(files):
    import os
    import subprocess
    import sys

    root = Path(__file__).parents[3]
    env = {**os.environ, "PYTHONPATH": str(root)}
    # the pipe is closed before anything is written, as `opsbot drift ... | head -0` would
    proc = subprocess.Popen([sys.executable, "-m", "bot.main", "drift", files[0], files[2], "--format", "json"],
                            cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 1  # dataset drift, as when the output is read
    assert "database" not in err and "Traceback" not in err
