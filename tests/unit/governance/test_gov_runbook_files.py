"""Runbook files: the good one loads; each bad one is refused with file:line and the problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.errors import InvalidInput
from engine.runbooks import load_dirs, parse_runbook

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "runbooks"
EXAMPLES = Path(__file__).resolve().parents[3] / "examples" / "runbooks"


def test_good_runbook_loads():
    reg = load_dirs([FIXTURES / "good"])
    assert reg.errors == []
    rb = reg.get("restart-service").runbook
    assert rb.timeout == 600 and rb.steps[1].timeout == 90 and rb.parameters["replicas"].default == 2


def test_examples_load_and_cover_every_step_type():
    reg = load_dirs([EXAMPLES])
    assert reg.errors == [], reg.errors
    types = {s.type for lr in reg.runbooks.values() for _, s in lr.runbook.all_steps()}
    assert types == {"command", "http", "promql_check", "alertmanager_silence", "mlflow_alias", "wait", "notify"}


@pytest.mark.parametrize("name, line, needle", [
    ("unknown_step.yaml", 7, "unknown step type 'shell'"),
    ("bad_param.yaml", 5, "default must be one of staging, production"),
    ("spliced.yaml", 8, "must be the whole value"),
    ("host_param.yaml", 8, "host and port can never be parameters"),
    ("bad_pattern.yaml", 5, "not a valid regular expression"),
    ("promql_unquoted.yaml", 8, "whole quoted string"),
    ("syntax.yaml", 6, "invalid YAML"),
])
def test_bad_runbook_names_file_line_and_problem(name, line, needle):
    path = FIXTURES / "bad" / name
    rb, problems = parse_runbook(path.read_text(), str(path))
    assert rb is None
    assert any(p.startswith(f"{path}:{line}:") and needle in p for p in problems), problems


def test_bad_files_are_not_loaded_and_check_fails():
    reg = load_dirs([FIXTURES / "bad", FIXTURES / "good"])
    assert list(reg.runbooks) == ["restart-service"]
    with pytest.raises(InvalidInput, match="unknown_step.yaml:7"):
        reg.require_clean()


def test_duplicate_names_and_missing_dir(tmp_path):
    for i in (1, 2):
        (tmp_path / f"r{i}.yaml").write_text("name: dup\ndescription: d\nsteps: [{name: w, type: wait, seconds: 1}]\n")
    reg = load_dirs([tmp_path, tmp_path / "nope"])
    assert len(reg.runbooks) == 1
    assert any("also defined" in e for e in reg.errors) and any("does not exist" in e for e in reg.errors)
