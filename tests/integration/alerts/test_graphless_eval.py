"""Without a dependency graph, storms from four differently shaped generators meet the targets."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from burst_streams import burst_lines
from fanout_streams import fanout_deliveries
from mesh_streams import mesh_lines

from engine.alerts.config import AlertsConfig
from engine.lab.alerts.evaluate import read_stream, replay
from engine.lab.alerts.storm import StormParams, deliveries

ROOT = Path(__file__).resolve().parents[3]
CLI = ("import sys, argparse\n"
       "from engine.alerts.cli import add_eval_grouping\n"
       "p = argparse.ArgumentParser(); sub = p.add_subparsers(dest='c', required=True)\n"
       "add_eval_grouping(sub.add_parser('eval').add_subparsers(dest='e', required=True))\n"
       "a = p.parse_args(sys.argv[1:]); sys.exit(a.func(a))\n")


def _meets_targets(rep) -> None:
    assert rep.lost_incidents == 0, rep
    assert rep.compression >= 0.9 and rep.f1 >= 0.9, rep


@pytest.mark.parametrize("seed", [16, 23])
async def test_storm_without_its_graph_meets_targets(seed):
    # The generator knows its service graph; the pipeline is not told it (default config).
    rep = await replay(list(deliveries(StormParams(seed=seed))), AlertsConfig())
    _meets_targets(rep)
    off = await replay(list(deliveries(StormParams(seed=seed))), AlertsConfig(burst_window_s=0))
    assert off.f1 < 0.6 < rep.f1  # the graph-less rules, not some other rule, do the grouping


async def test_burst_stream_of_bare_alerts_meets_targets():
    _, stream = read_stream(burst_lines(17))
    _meets_targets(await replay(stream, AlertsConfig()))


def test_cli_on_bare_webhook_bodies_without_config_meets_targets(tmp_path):
    path = tmp_path / "mesh.jsonl"
    path.write_text("\n".join(mesh_lines(21)) + "\n")
    res = subprocess.run([sys.executable, "-c", CLI, "eval", "grouping", str(path), "--json"],
                         capture_output=True, text=True, cwd=ROOT)
    assert res.returncode == 0, res.stderr
    rep = json.loads(res.stdout)
    assert rep["lost_incidents"] == 0 and rep["compression"] >= 0.9 and rep["f1"] >= 0.9, rep


@pytest.mark.parametrize("seed", [7, 9])  # severity by role (critical/info); per alert (error/warning)
async def test_shared_infra_fan_out_meets_targets(seed):
    rep = await replay(fanout_deliveries(seed), AlertsConfig())
    _meets_targets(rep)
    off = await replay(fanout_deliveries(seed), AlertsConfig(burst_cross_window_s=0))
    assert off.recall < 0.8 < rep.recall  # the crossing into team namespaces does the grouping
