"""`opsbot eval grouping --config` refuses a config it cannot use: a clear message and exit 2."""

from __future__ import annotations

import json

import pytest

from bot.main import main
from engine.alerts.cli import load_alerts_config
from engine.errors import InvalidInput


@pytest.fixture
def stream(tmp_path):
    path = tmp_path / "s.jsonl"
    alert = {"labels": {"alertname": "A", "service": "x"}, "startsAt": "2026-11-27T10:00:00Z"}
    path.write_text(json.dumps(alert) + "\n")
    return path


def _run(capsys, *args: str) -> tuple[int, str]:
    code = main(["eval", "grouping", *args])
    return code, capsys.readouterr().err


def test_missing_config_file_exits_2_with_its_name(stream, tmp_path, capsys):
    code, err = _run(capsys, str(stream), "--config", str(tmp_path / "nope.yaml"))
    assert code == 2 and "nope.yaml" in err and "No such file" in err and "Traceback" not in err


def test_config_without_alerts_section_exits_2_instead_of_using_defaults(stream, tmp_path, capsys):
    cfg = tmp_path / "opsbot.yaml"
    cfg.write_text("channels: {}\n")
    code, err = _run(capsys, str(stream), "--config", str(cfg))
    assert code == 2 and "no `alerts:` section" in err


def test_bad_yaml_and_non_mapping_sections_are_refused(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("alerts: [unclosed\n")
    with pytest.raises(InvalidInput, match="not valid YAML"):
        load_alerts_config(str(bad), {})
    listy = tmp_path / "list.yaml"
    listy.write_text("alerts: [1, 2]\n")
    with pytest.raises(InvalidInput, match="must be a mapping"):
        load_alerts_config(str(listy), {})


def test_valid_config_is_used_and_empty_section_means_defaults(tmp_path):
    cfg = tmp_path / "opsbot.yaml"
    cfg.write_text("alerts:\n  flap_window_s: 120\n")
    assert load_alerts_config(str(cfg), {"alerts_config": {"flap_window_s": 9}}).flap_window_s == 120
    cfg.write_text("alerts:\n")
    assert load_alerts_config(str(cfg), {}).flap_window_s == 300


def test_a_wrong_key_or_value_is_named_as_opsbot_check_names_it(stream, tmp_path, capsys):
    cfg = tmp_path / "opsbot.yaml"
    cfg.write_text("alerts:\n  nonsense: 3\n  reopen_window_s: abc\n")
    code, err = _run(capsys, str(stream), "--config", str(cfg))
    assert code == 2 and "Traceback" not in err and "errors.pydantic.dev" not in err
    assert "key `alerts.nonsense`: unknown key" in err and "key `alerts.reopen_window_s`" in err and "'abc'" in err
