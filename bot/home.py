"""Publishes the App Home tab: on app_home_opened, and again when what it shows changes."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import asdict
from typing import Any, Iterable

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.render import render
from engine.actor import Actor
from engine.api import Engine

log = logging.getLogger("opsbot.home")

# Notices whose delivery means a Home tab may show something else now: approvals, incidents
# (and their channels), model version cards after an alias move.
WATCHED = ("approvals/", "alerts/incident", "models/")
REFRESH_EVERY_S = 2.0  # a storm edits cards many times a second: one re-publish pass per this at most
NAMES_TTL_S = 3600.0  # how long a person's Slack names (users.info) are reused


def home_view(items: dict[str, Any]) -> dict[str, Any]:
    """Render a person's items into a `home` view."""
    message = render("home/home", items)
    return {"type": "home", "callback_id": "opsbot_home", "blocks": message["blocks"]}


class HomePublisher:
    """Renders one person's tab from the engine and publishes it with views.publish."""

    def __init__(self, engine: Engine, client: AsyncWebClient, every_s: float = REFRESH_EVERY_S) -> None:
        self.engine = engine
        self.client = client
        self.every_s = every_s
        self._pass: asyncio.Task[None] | None = None
        self._last = 0.0
        self._dirty = False
        self._names: dict[str, tuple[float, Actor]] = {}

    async def person(self, user_id: str) -> Actor:
        """Return the viewer with their Slack names (users.info, cached), so schedules can name them.

        `app_home_opened` carries only the user id; without the lookup nobody is "on call" on Home.
        A failed lookup shows the tab without on-call matches by name rather than not at all.
        """
        now = time.monotonic()
        cached = self._names.get(user_id)
        if cached is not None and now - cached[0] < NAMES_TTL_S:
            return cached[1]
        try:
            user = (await self.client.users_info(user=user_id)).get("user") or {}
        except SlackApiError as exc:
            log.warning("users.info failed for the Home tab", extra={"user": user_id,
                                                                     "error": exc.response.get("error")})
            return Actor(user_id=user_id)
        profile = user.get("profile") or {}
        aliases = {str(v) for v in (user.get("real_name"), profile.get("real_name"), profile.get("display_name"))
                   if v}
        actor = Actor(user_id=user_id, name=str(user.get("name") or ""), aliases=frozenset(aliases))
        self._names[user_id] = (now, actor)
        return actor

    async def publish(self, user_id: str) -> None:
        """Publish `user_id`'s Home tab from current state."""
        home = self.engine.home
        if home is None:
            return
        items = await home.items(await self.person(user_id))
        await self.client.views_publish(user_id=user_id, view=home_view(asdict(items)))
        await home.published(user_id, self.engine.clock.now())

    async def opened(self, user_id: str) -> None:
        """Handle app_home_opened: remember the viewer and publish their tab."""
        if self.engine.home is not None:
            await self.engine.home.opened(user_id)
        await self.publish(user_id)

    async def after_sent(self, templates: Iterable[str]) -> None:
        """Schedule a re-publish of every viewer's tab when a watched message was sent (the notifier's hook).

        The pass runs in its own task, so the outbox never waits on Home tabs; a change while a
        pass runs marks it dirty and the pass goes round once more.
        """
        if self.engine.home is None or not any(t.startswith(WATCHED) for t in templates):
            return
        self._dirty = True
        if self._pass is None or self._pass.done():
            self._pass = asyncio.create_task(self._republish())

    async def _republish(self) -> None:
        while self._dirty:
            await asyncio.sleep(max(0.0, self._last + self.every_s - time.monotonic()))
            self._dirty = False
            self._last = time.monotonic()
            try:
                await self.republish_all()
            except Exception:  # the store or Slack is away: the next change tries again
                log.exception("Home tabs not re-published")

    async def republish_all(self) -> None:
        """Publish every viewer's tab from current state."""
        if self.engine.home is None:
            return
        for user_id in await self.engine.home.viewers():
            try:
                await self.publish(user_id)
            except SlackApiError as exc:  # one person's tab must not stop the others'
                log.warning("Home tab not published", extra={"user": user_id,
                                                               "error": exc.response.get("error")})
