"""What every listener gets: settings, the engine facade, the router, rendering, metrics."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.router import Router
from bot.metrics import Metrics
from bot.render import render
from bot.settings import BotSettings
from engine.api import Engine


@dataclass
class Deps:
    """The bot's dependencies, built once in the composition root."""

    settings: BotSettings
    engine: Engine
    router: Router = field(default_factory=Router)
    metrics: Metrics = field(default_factory=Metrics)
    extras: dict[str, Any] = field(default_factory=dict)

    def render(self, template: str, context: dict[str, Any] | None = None, *,
               ephemeral: bool = True) -> dict[str, Any]:
        """Render a template into a reply for the user or the channel."""
        message = render(template, context)
        message["response_type"] = "ephemeral" if ephemeral else "in_channel"
        return message
