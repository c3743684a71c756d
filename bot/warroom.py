"""Slack's side of incident command: create incident channels and share postmortem drafts.

The engine decides (a request row, a claim, the cards' contents); this module only makes the
Web API calls it cannot: conversations.create / invite and files_upload_v2."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from engine.alerts.messages import message_key
from engine.api import Engine
from engine.warroom.naming import with_suffix

log = logging.getLogger("opsbot.warroom")

MAX_SUFFIX = 20  # inc-7-db-down, inc-7-db-down-2, ... then give the attempt up
# Invite failures that leave the channel usable: the person is there already, or is us.
HARMLESS = {"already_in_channel", "cant_invite_self"}


class IncidentChannelOpener:
    """Creates the channels the engine has requests for (a leased job, and right after a click)."""

    def __init__(self, engine: Engine, client: AsyncWebClient) -> None:
        self.engine = engine
        self.client = client
        self._bot_user: str | None = None

    async def drain(self, _now: datetime | None = None) -> int:
        """Create every requested channel; return how many were opened."""
        rooms = self.engine.incident_channels
        if rooms is None:
            return 0
        opened = 0
        for incident_id in await rooms.pending():
            opened += await self.open(incident_id)
        return opened

    async def open(self, incident_id: int) -> int:
        """Create, fill and record one incident's channel if this replica wins the claim."""
        rooms = self.engine.incident_channels
        plan = await rooms.claim(incident_id) if rooms is not None else None
        if plan is None or rooms is None:
            return 0
        try:
            channel = await self._create(plan.name, retry=plan.attempt > 1)
            await self._invite(channel["id"], plan.members)
        except SlackApiError as exc:
            error = str(exc.response.get("error", "unknown"))
            gave_up = await rooms.failed(incident_id, error)
            log.warning("incident channel not created", extra={"incident": incident_id, "error": error,
                                                                "gave_up": gave_up})
            return 0
        await rooms.opened(incident_id, channel["id"], channel["name"])
        return 1

    async def _create(self, name: str, retry: bool) -> dict[str, Any]:
        for n in range(1, MAX_SUFFIX + 1):
            candidate = name if n == 1 else with_suffix(name, n)
            try:
                resp = await self.client.conversations_create(name=candidate)
                return dict(resp["channel"])
            except SlackApiError as exc:
                if exc.response.get("error") != "name_taken":
                    raise
                # A retry after a replica died between creating and recording: the channel that
                # has this incident's name and was made by us is the one it created.
                mine = await self._ours(candidate) if retry else None
                if mine is not None:
                    return mine
        raise SlackApiError("no free channel name", {"ok": False, "error": "name_taken"})

    async def _ours(self, name: str) -> dict[str, Any] | None:
        if self._bot_user is None:
            self._bot_user = str((await self.client.auth_test()).get("user_id") or "")
        cursor = None
        for _ in range(50):  # at most 10,000 channels looked through
            resp = await self.client.conversations_list(limit=200, cursor=cursor, exclude_archived=True,
                                                        types="public_channel")
            for chan in resp.get("channels", []):
                if chan.get("name") == name:
                    return dict(chan) if chan.get("creator") == self._bot_user else None
            cursor = (resp.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                break
        return None

    async def _invite(self, channel_id: str, members: list[str]) -> None:
        if not members:
            return
        try:
            # force: one person who cannot be invited must not keep the others out.
            await self.client.conversations_invite(channel=channel_id, users=",".join(members[:1000]), force=True)
        except SlackApiError as exc:
            if exc.response.get("error") not in HARMLESS:
                raise


async def share_postmortem(engine: Engine, client: AsyncWebClient, incident_id: int,
                           fallback_channel: str | None) -> dict[str, Any]:
    """Upload the incident's postmortem draft into its card's thread (else `fallback_channel`)."""
    if engine.postmortems is None:
        raise RuntimeError("postmortems are not built")
    draft = await engine.postmortems.draft(incident_id)
    card = await engine.outbox.message_for(message_key(incident_id))
    channel, thread_ts = (card.channel, card.ts) if card is not None and card.ts else (fallback_channel, None)
    resp = await client.files_upload_v2(
        channel=channel, thread_ts=thread_ts, content=draft, filename=f"postmortem-incident-{incident_id}.md",
        title=f"Postmortem draft: incident #{incident_id}",
        initial_comment=f"Postmortem draft for incident #{incident_id}. Edit it before sharing; "
                        f"download it with `opsbot postmortem {incident_id} -o FILE`.")
    return {"channel": channel, "thread_ts": thread_ts, "file": dict(resp.get("file") or {})}
