"""`opsbot check` refuses an `auto` rule and a `mode: auto` trigger on a runbook unfit to run by itself."""

from __future__ import annotations

from bot.check import run_checks
from bot.settings import BotSettings
from engine.settings import EngineSettings

UNSAFE = """
name: restart-api
description: restart
parameters: {service: {type: string}}
triggers:
  - {name: api-down, alert: {labels: {alertname: ApiDown}}, mode: auto}
steps:
  - {name: restart, type: command, argv: [/bin/true, "${service}"]}
"""


async def test_check_names_the_runbook_the_step_and_the_reason(stack, tmp_path):
    (tmp_path / "rb").mkdir()
    (tmp_path / "rb" / "restart.yaml").write_text(UNSAFE)
    (tmp_path / "opsbot.yaml").write_text(
        f"runbooks: {{dirs: [{tmp_path / 'rb'}]}}\n"
        "policy: {rules: [{action: 'runbook:restart-*', env: production, effect: auto}]}\n")
    bot = BotSettings(SLACK_BOT_TOKEN=stack.bot_settings.slack_bot_token, SLACK_API_URL=stack.workspace.api_url,
                      SLACK_SIGNING_SECRET=stack.bot_settings.slack_signing_secret)
    eng = EngineSettings(OPSBOT_DATABASE_URL=stack.engine_settings.database_url,
                         OPSBOT_CONFIG=tmp_path / "opsbot.yaml")
    lines: list[str] = []
    assert await run_checks(bot, eng, out=lines.append) == 1
    line = next(x for x in lines if x.split()[1] == "runbooks")
    assert line.startswith("FAIL")
    assert "policy.rules[0]: effect `auto` for runbook 'restart-api' is refused" in line
    assert "steps step 'restart' (command) is not marked reversible or read_only" in line
    assert "it has no verify step" in line
    assert "trigger 'api-down': `mode: auto` is refused" in line
