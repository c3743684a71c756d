"""Reading case folders: our layout, RCAEval flat and nested layouts, metrics.json, the CLI."""

import json

import numpy as np
import pytest

from engine.errors import InvalidInput
from engine.lab.rca.cases import find_cases, load_case
from engine.rca.cli import main


def _csv(path, t0=1_692_000_000, n=120, hot="cartservice_cpu"):
    path.mkdir(parents=True)
    rng = np.random.default_rng(0)
    cols = ["cartservice_cpu", "cartservice_mem", "frontend_latency-90", "frontend_latency-50"]
    lines = ["time," + ",".join(cols)]
    for i in range(n):
        vals = rng.normal(10, 1, len(cols))
        if i >= 100:
            vals[cols.index(hot)] += 12
        lines.append(f"{t0 + i}," + ",".join(f"{v:.3f}" for v in vals))
    (path / "data.csv").write_text("\n".join(lines) + "\n")
    (path / "inject_time.txt").write_text(f"{t0 + 100}\n")


def test_rcaeval_flat_and_nested_names_give_the_answer(tmp_path):
    _csv(tmp_path / "re2-ob_checkoutservice_cpu_1")
    _csv(tmp_path / "RE1-OB" / "frontend_delay" / "3")
    flat, nested = (load_case(p) for p in find_cases(tmp_path)[::-1])
    assert flat.root_causes == ("checkoutservice_cpu",)
    assert nested.root_causes == ("frontend_latency",)
    assert flat.inject_time == 1_692_000_100 and len(flat.series) == 4
    assert flat.input(delay=60).detect_time == 1_692_000_160


def test_root_cause_file_wins_and_service_only_answers(tmp_path):
    _csv(tmp_path / "case_a")
    (tmp_path / "case_a" / "root_cause.txt").write_text("cartservice\n")
    assert load_case(tmp_path / "case_a").root_causes == ("cartservice",)


@pytest.mark.parametrize("shape", ["columns", "rows", "pairs"])
def test_metrics_json_shapes(tmp_path, shape):
    folder = tmp_path / "ob_cartservice_mem_2"
    folder.mkdir()
    t = list(range(100, 110))
    v = [float(i) for i in range(10)]
    doc = {"columns": {"time": t, "cartservice_mem": v},
           "rows": [{"time": a, "cartservice_mem": b} for a, b in zip(t, v)],
           "pairs": {"cartservice_mem": [[a, b] for a, b in zip(t, v)]}}[shape]
    (folder / "metrics.json").write_text(json.dumps(doc))
    (folder / "inject_time.txt").write_text("105")
    case = load_case(folder)
    assert case.root_causes == ("cartservice_mem",)
    assert list(case.series["cartservice_mem"].values) == v


def test_unnamed_folder_without_answer_is_rejected(tmp_path):
    _csv(tmp_path / "mystery")
    with pytest.raises(InvalidInput):
        load_case(tmp_path / "mystery")


def test_cli_simulate_then_eval_json(tmp_path, capsys):
    assert main(["simulate", "rca", "--nodes", "6", "--cases", "3", "--seed", "11", str(tmp_path / "sim")]) == 0
    _csv(tmp_path / "sim" / "ob_cartservice_cpu_1")
    capsys.readouterr()
    assert main(["eval", "rca", str(tmp_path / "sim"), "--delay", "60", "--json", "--compare"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["cases"] == 4 and out["delay"] == 60
    ours = out["rankers"]["opsbot"]
    assert ours["service"]["cases"] == 4 and ours["metric"]["cases"] == 4
    assert 0 <= ours["metric"]["random_Avg@5"] < ours["metric"]["Avg@5"] <= 1
    assert "baro" in out["rankers"]


def test_cli_no_graph_withholds_the_graph_that_simulate_writes(tmp_path, capsys):
    assert main(["simulate", "rca", "--nodes", "6", "--cases", "2", "--seed", "12", str(tmp_path / "sim")]) == 0
    assert all((p / "graph.json").is_file() for p in (tmp_path / "sim").iterdir())
    capsys.readouterr()
    assert main(["eval", "rca", str(tmp_path / "sim"), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["cases_with_graph"] == 2
    assert main(["eval", "rca", str(tmp_path / "sim"), "--json", "--no-graph"]) == 0
    assert json.loads(capsys.readouterr().out)["cases_with_graph"] == 0
    assert main(["eval", "rca", str(tmp_path / "sim"), "--no-graph"]) == 0
    assert "graph: used in 0 of 2 cases (--no-graph)" in capsys.readouterr().out


def test_the_rca_command_answer_says_what_the_thread_shows():
    from bot.listeners.rca import analysis_answer

    assert analysis_answer(5, 0, None) == "Nothing to rank for incident #5 yet; its thread says why."
    assert analysis_answer(2, 1, None) == \
        "Posted 1 hypothesis in the thread of incident #2. None is a likely cause yet."
    assert analysis_answer(2, 3, "db saturation up 33.5σ (99% confidence)") == \
        "Posted 3 hypotheses in the thread of incident #2. Likely cause: db saturation up 33.5σ (99% confidence)."
