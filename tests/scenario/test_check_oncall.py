"""`opsbot check` on owners and on-call: an unknown user group or a malformed calendar fails with a reason."""

from __future__ import annotations

from pathlib import Path

from bot.check import run_checks
from tests.scenario.test_check import _settings

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "oncall"


def _by_name(lines: list[str]) -> dict[str, str]:
    return {line.split()[1]: line for line in lines[:-1]}


async def test_known_groups_and_readable_calendars_pass(stack, tmp_path):
    (tmp_path / "platform.ics").write_bytes((FIX / "platform.ics").read_bytes())
    config = ("alerts:\n  owners:\n    - {match: {service: db}, team: platform, usergroup: S0ONCALL}\n"
              "oncall:\n  schedules:\n    - {team: platform, ical: platform.ics}\n"
              "    - {team: ml, rotation: {people: [alice, bob], start: '2026-12-07T09:00:00Z'}}\n")
    lines: list[str] = []
    code = await run_checks(*_settings(stack, tmp_path, config), out=lines.append)
    by_name = _by_name(lines)
    assert code == 0, lines
    assert by_name["oncall"].startswith("ok") and "2 schedule(s)" in by_name["oncall"]
    assert by_name["owners"].startswith("ok") and "1 owning user group(s)" in by_name["owners"]


async def test_unknown_group_and_malformed_calendar_each_fail_with_a_reason(stack, tmp_path):
    (tmp_path / "broken.ics").write_bytes((FIX / "malformed.ics").read_bytes())
    config = ("alerts:\n  owners:\n    - {match: {service: db}, team: platform, usergroup: S0NOSUCH}\n"
              "    - {match: {service: web}, team: web, usergroup: S0ONCALL}\n"
              "oncall:\n  schedules:\n    - {team: platform, ical: broken.ics}\n")
    lines: list[str] = []
    code = await run_checks(*_settings(stack, tmp_path, config), out=lines.append)
    by_name = _by_name(lines)
    assert code == 1
    assert by_name["config"].startswith("ok")  # both are well-formed settings; only the lookups fail
    assert by_name["owners"].startswith("FAIL") and "S0NOSUCH of team platform is unknown" in by_name["owners"]
    assert "S0ONCALL" not in by_name["owners"]
    assert by_name["oncall"].startswith("FAIL") and "team platform" in by_name["oncall"]
    assert "broken.ics is not valid iCalendar" in by_name["oncall"]


async def test_a_group_name_instead_of_an_id_is_a_config_failure(stack, tmp_path):
    lines: list[str] = []
    code = await run_checks(*_settings(stack, tmp_path, "alerts:\n  owners:\n    - {team: x, usergroup: '@sre'}\n"),
                            out=lines.append)
    assert code == 1 and "alerts.owners.0.usergroup" in _by_name(lines)["config"]
