"""Inbound webhooks (Alertmanager, generic alerts, change events), each a route factory."""

from __future__ import annotations

from typing import Callable, Iterable

from aiohttp import web

RouteFactory = Callable[..., Iterable[web.RouteDef]]


def route_factories() -> list[RouteFactory]:
    """Return the route factories of every webhook family."""
    from bot.webhooks import alerts
    from bot.webhooks import changes
    from bot.webhooks import mlflow

    return [alerts.routes, changes.routes, mlflow.routes]
