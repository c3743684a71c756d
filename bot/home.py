"""Publishes the App Home tab: on app_home_opened, and again when what it shows changes."""

from __future__ import annotations

import logging
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


def home_view(items: dict[str, Any]) -> dict[str, Any]:
    """Render a person's items into a `home` view."""
    message = render("home/home", items)
    return {"type": "home", "callback_id": "opsbot_home", "blocks": message["blocks"]}


class HomePublisher:
    """Renders one person's tab from the engine and publishes it with views.publish."""

    def __init__(self, engine: Engine, client: AsyncWebClient) -> None:
        self.engine = engine
        self.client = client

    async def publish(self, user_id: str, name: str = "") -> None:
        """Publish `user_id`'s Home tab from current state."""
        home = self.engine.home
        if home is None:
            return
        items = await home.items(Actor(user_id=user_id, name=name))
        await self.client.views_publish(user_id=user_id, view=home_view(asdict(items)))
        await home.published(user_id, self.engine.clock.now())

    async def opened(self, user_id: str) -> None:
        """Handle app_home_opened: remember the viewer and publish their tab."""
        if self.engine.home is not None:
            await self.engine.home.opened(user_id)
        await self.publish(user_id)

    async def after_sent(self, templates: Iterable[str]) -> None:
        """Re-publish every viewer's tab when a watched message was just sent (the notifier's hook)."""
        if self.engine.home is None or not any(t.startswith(WATCHED) for t in templates):
            return
        for user_id in await self.engine.home.viewers():
            try:
                await self.publish(user_id)
            except SlackApiError as exc:  # one person's tab must not stop the others'
                log.warning("Home tab not published", extra={"user": user_id,
                                                               "error": exc.response.get("error")})
