"""One contract for the Slack directory port (user groups): the twin, and the Slack adapter over
slack_sdk against the local Slack workspace server (bot/workspace) on loopback."""

from __future__ import annotations

import pytest

from bot.listeners.admin import SlackUsergroups
from bot.workspace import WorkspaceConfig, start_workspace
from bot.workspace.config import SeedUsergroup
from engine.adapters.memory_directory import MemoryUsergroups
from engine.errors import Unavailable

GROUPS = {"S0MLAPPROVERS": ["U0ALICE", "U0BOB"], "S0EMPTY": []}
TOKEN = "xoxb-contract-token"


@pytest.fixture(params=["twin", "slack"])
async def directory(request):
    """The directory port, once as the twin and once through slack_sdk against the workspace."""
    if request.param == "twin":
        yield MemoryUsergroups(GROUPS)
        return
    from slack_sdk.web.async_client import AsyncWebClient

    seeds = [SeedUsergroup(gid, gid.lower(), gid, tuple(users)) for gid, users in GROUPS.items()]
    running = await start_workspace(WorkspaceConfig(signing_secret="contract-secret", bot_token=TOKEN,
                                                    usergroups=seeds))
    try:
        yield SlackUsergroups(AsyncWebClient(token=TOKEN, base_url=running.api_url))
    finally:
        await running.stop()


async def test_lists_the_members_of_a_group(directory):
    assert await directory.usergroup_members("S0MLAPPROVERS") == ["U0ALICE", "U0BOB"]
    assert await directory.usergroup_members("S0EMPTY") == []


async def test_unknown_group_is_unavailable_naming_it(directory):
    with pytest.raises(Unavailable) as err:
        await directory.usergroup_members("S404")
    assert "S404" in err.value.message and "no_such_subteam" in err.value.message
