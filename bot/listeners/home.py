"""The App Home tab: published when someone opens it (and re-published by the notifier's hook)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.home import HomePublisher

if TYPE_CHECKING:
    from slack_bolt.async_app import AsyncApp

    from bot.deps import Deps


def register(app: "AsyncApp", deps: "Deps") -> None:
    """Register the app_home_opened listener."""

    @app.event("app_home_opened")
    async def on_home_opened(event, client):  # noqa: ANN001 - Bolt injects by name
        if event.get("tab", "home") != "home":
            return  # the Messages tab
        await HomePublisher(deps.engine, client).opened(event["user"])
