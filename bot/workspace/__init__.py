"""A local Slack-compatible workspace: Web API subset, signed requests to the bot, a web page."""

from .config import SeedChannel, SeedUser, SeedUsergroup, WorkspaceConfig
from .interactions import BotAnswer
from .server import RunningWorkspace, create_workspace_app, start_workspace
from .signing import sign, signed_headers, verify
from .state import Workspace

__all__ = [
    "BotAnswer", "RunningWorkspace", "SeedChannel", "SeedUser", "SeedUsergroup", "Workspace",
    "WorkspaceConfig", "create_workspace_app", "sign", "signed_headers", "start_workspace",
    "verify",
]
