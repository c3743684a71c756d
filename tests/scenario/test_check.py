"""`opsbot check`: one line per check, the reason on failure, non-zero exit."""

from __future__ import annotations

from pydantic import SecretStr

from bot.check import run_checks
from bot.settings import BotSettings
from engine.settings import EngineSettings


def _settings(stack, tmp_path, config_text: str | None, **env):
    cfg = None
    if config_text is not None:
        cfg = tmp_path / "opsbot.yaml"
        cfg.write_text(config_text)
    bot = BotSettings(SLACK_BOT_TOKEN=stack.bot_settings.slack_bot_token, SLACK_API_URL=stack.workspace.api_url,
                      SLACK_SIGNING_SECRET=stack.bot_settings.slack_signing_secret)
    eng = EngineSettings(OPSBOT_DATABASE_URL=stack.engine_settings.database_url, OPSBOT_CONFIG=cfg, **env)
    return bot, eng


async def test_all_checks_pass_against_the_local_workspace(stack, tmp_path):
    lines: list[str] = []
    code = await run_checks(*_settings(stack, tmp_path, "channels: {default: ops}\n"), out=lines.append)
    assert code == 0, lines
    assert [line.split()[1] for line in lines[:-1]] == ["config", "runbooks", "database", "replicas", "slack"]
    assert "schema at head" in lines[2] and "auth.test ok" in lines[4]


async def test_unknown_key_names_file_key_and_exits_non_zero(stack, tmp_path):
    lines: list[str] = []
    code = await run_checks(*_settings(stack, tmp_path, "channels: {defualt: ops}\n"), out=lines.append)
    assert code == 1
    config_line = next(line for line in lines if line.split()[1] == "config")
    assert config_line.startswith("FAIL") and "opsbot.yaml" in config_line and "channels.defualt" in config_line


async def test_bad_runbook_and_unreachable_dependencies_each_fail_with_a_reason(stack, tmp_path):
    rb = tmp_path / "rb"
    rb.mkdir()
    (rb / "bad.yaml").write_text("name: bad\ndescription: x\nsteps:\n  - {name: a, type: teleport}\n")
    lines: list[str] = []
    bot, eng = _settings(stack, tmp_path, f"runbooks: {{dirs: [{rb}]}}\n",
                         OPSBOT_PROMETHEUS_URL="http://127.0.0.1:9", OPSBOT_ALERTMANAGER_URL="http://127.0.0.1:9")
    bot = BotSettings(SLACK_BOT_TOKEN=SecretStr("xoxb-wrong"), SLACK_API_URL=stack.workspace.api_url,
                      SLACK_SIGNING_SECRET=SecretStr("s"))
    code = await run_checks(bot, eng, out=lines.append)
    assert code == 1
    by_name = {line.split()[1]: line for line in lines[:-1]}
    assert by_name["runbooks"].startswith("FAIL") and "bad.yaml:4" in by_name["runbooks"] and "teleport" in by_name["runbooks"]
    assert by_name["slack"].startswith("FAIL") and "invalid_auth" in by_name["slack"]
    assert by_name["prometheus"].startswith("FAIL") and "127.0.0.1:9" in by_name["prometheus"]
    assert by_name["alertmanager"].startswith("FAIL")
    assert by_name["database"].startswith("ok")
