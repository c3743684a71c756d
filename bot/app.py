"""The Bolt app: request verification, the `/ops` command, listener registration."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.commands import CommandContext, actor_from_body, split_words
from bot.deps import Deps
from bot.errors import error_reply, report_error
from bot.listeners import register_all
from bot.render import render
from engine.errors import InvalidInput

log = logging.getLogger("opsbot.app")

# Slack waits 3 s for an ack; answer inline when the handler is faster than this,
# otherwise ack at once and send the answer through response_url when it is ready.
INLINE_BUDGET_S = 2.0


def build_bolt_app(deps: Deps, client: AsyncWebClient | None = None) -> AsyncApp:
    """Create the Bolt AsyncApp with every listener registered."""
    settings = deps.settings
    if not settings.slack_bot_token.get_secret_value():
        raise InvalidInput("SLACK_BOT_TOKEN is not set",
                           hint="set it to the bot token (xoxb-...), or try `opsbot demo` without Slack")
    client = client or AsyncWebClient(token=settings.slack_bot_token.get_secret_value() or None,
                                      base_url=settings.api_base_url, timeout=10)
    app = AsyncApp(client=client, signing_secret=settings.slack_signing_secret.get_secret_value() or "unset",
                   raise_error_for_unhandled_request=False,
                   # bot.server verifies every HTTP request before Bolt sees it (and Socket
                   # Mode needs no signature), so checking again would only cost time.
                   request_verification_enabled=False,
                   ignoring_self_events_enabled=False)

    @app.command("/ops")
    async def ops_command(ack, body, respond, client):  # noqa: ANN001 - Bolt injects by name
        await dispatch_command(deps, ack, body, respond, client)

    @app.error
    async def on_error(error, body, respond):  # noqa: ANN001
        if respond is not None:
            await report_error(error, respond, deps.metrics)
        else:
            log.error("unhandled listener error", exc_info=error)

    register_all(app, deps)
    return app


async def dispatch_command(deps: Deps, ack: Any, body: dict[str, Any], respond: Any, client: Any) -> None:
    """Route one `/ops ...` request to its subcommand and answer within Slack's 3 s."""
    try:
        words = split_words(body.get("text") or "")
        sub, args, suggestions = deps.router.resolve(words)
        if sub is None:
            await ack(**render("core/unknown_command", {"word": words[0], "suggestions": suggestions}),
                      response_type="ephemeral")
            return
        ctx = CommandContext(deps=deps, actor=actor_from_body(body), command=sub.name, args=args,
                             text=body.get("text") or "", channel_id=body.get("channel_id") or "",
                             user_id=body.get("user_id") or "", trigger_id=body.get("trigger_id"),
                             respond=respond, client=client, body=body)
        task = asyncio.create_task(sub.handler(ctx))
        done, _ = await asyncio.wait({task}, timeout=INLINE_BUDGET_S)
        if done:
            reply = task.result()  # raises the handler's error into the handler below
        else:
            await ack(**render("core/working", {"command": sub.name}), response_type="ephemeral")
            try:
                reply = await task
                if reply:
                    await respond(**reply)
            except Exception as exc:  # the ack is gone; the error goes through response_url
                await report_error(exc, respond, deps.metrics)
            return
        await ack(**(reply or {}))
    except Exception as exc:
        await ack(**error_reply(exc, deps.metrics))
