"""`opsbot eval grouping` reads streams of bare alert lines and names a bad line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from burst_streams import burst_lines


ROOT = Path(__file__).resolve().parents[3]


def test_cli_reads_bare_alert_lines_and_names_a_bad_line(tmp_path):
    good, bad = tmp_path / "alerts.jsonl", tmp_path / "bad.jsonl"
    good.write_text("\n".join(burst_lines(32, incidents=3)) + "\n")
    alert = {"labels": {"alertname": "A", "x": 1}, "startsAt": "2026-11-27T10:00:00Z"}
    bad.write_text("\n" + json.dumps(alert) + "\n")
    code = ("import sys, argparse\n"
            "from engine.alerts.cli import add_eval_grouping\n"
            "p = argparse.ArgumentParser(); sub = p.add_subparsers(dest='c', required=True)\n"
            "add_eval_grouping(sub.add_parser('eval').add_subparsers(dest='e', required=True))\n"
            "a = p.parse_args(sys.argv[1:]); sys.exit(a.func(a))\n")
    res = subprocess.run([sys.executable, "-c", code, "eval", "grouping", str(good), "--json"],
                         capture_output=True, text=True, cwd=ROOT)
    assert res.returncode == 0, res.stderr
    rep = json.loads(res.stdout)
    assert rep["true_incidents"] == 3 and rep["lost_incidents"] == 0
    res = subprocess.run([sys.executable, "-c", code, "eval", "grouping", str(bad)],
                         capture_output=True, text=True, cwd=ROOT)
    assert res.returncode != 0 and "line 2" in res.stderr, res.stderr
