"""A bot wired to a local workspace on loopback: what `opsbot demo` and the tests run."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from pydantic import SecretStr

from bot.runtime import Runtime, build_runtime
from bot.settings import BotSettings
from bot.workspace import RunningWorkspace, WorkspaceConfig, start_workspace
from engine.core.clock import Clock
from engine.config import OpsbotConfig
from engine.settings import EngineSettings


@dataclass
class LocalStack:
    """The local workspace and one or more bot replicas talking to it."""

    workspace: RunningWorkspace
    runtimes: list[Runtime]
    bot_settings: BotSettings
    engine_settings: EngineSettings

    @property
    def bot(self) -> Runtime:
        """Return the first replica."""
        return self.runtimes[0]

    async def add_replica(self, config: OpsbotConfig, clock: Clock | None = None) -> Runtime:
        """Start another replica on the same database, signing secret and workspace."""
        runtime = build_runtime(self.bot_settings.model_copy(), self.engine_settings, config, clock=clock)
        await runtime.start("127.0.0.1", 0)
        self.runtimes.append(runtime)
        if self.bot_settings.socket_mode:
            await self.workspace.wait_for_connections(len(self.runtimes))
        return runtime

    async def stop(self) -> None:
        """Stop every replica, then the workspace."""
        for runtime in reversed(self.runtimes):
            await runtime.stop()
        await self.workspace.stop()


async def start_local_stack(engine_settings: EngineSettings, config: OpsbotConfig, *,
                            ws_port: int = 0, bot_port: int = 0, clock: Clock | None = None,
                            workspace_config: WorkspaceConfig | None = None,
                            background: bool = True, socket_mode: bool = False,
                            webhook_token: str | None = None) -> LocalStack:
    """Start a workspace and a bot pointed at each other, both on 127.0.0.1."""
    secret, token = secrets.token_hex(16), "xoxb-local-" + secrets.token_hex(8)
    app_token = "xapp-local-" + secrets.token_hex(8) if socket_mode else None
    ws_config = workspace_config or WorkspaceConfig(signing_secret=secret, bot_token=token)
    ws_config.signing_secret, ws_config.bot_token, ws_config.app_token = secret, token, app_token
    workspace = await start_workspace(ws_config, port=ws_port)
    bot_settings = BotSettings(SLACK_BOT_TOKEN=SecretStr(token), SLACK_SIGNING_SECRET=SecretStr(secret),
                               SLACK_API_URL=workspace.api_url,
                               SLACK_APP_TOKEN=SecretStr(app_token) if app_token else None,
                               **({"OPSBOT_WEBHOOK_TOKEN": SecretStr(webhook_token)} if webhook_token else {}))
    runtime = build_runtime(bot_settings, engine_settings, config, clock=clock)
    await runtime.start("127.0.0.1", bot_port, background=background)
    if socket_mode:
        await workspace.wait_for_connections(1)
    else:
        workspace.set_request_url(f"{runtime.url}/slack/events")
    return LocalStack(workspace, [runtime], bot_settings, engine_settings)
