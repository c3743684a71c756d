"""The Bolt app: request verification, the `/ops` command, listener registration."""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Awaitable, Callable

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient

from bot.commands import CommandContext, StaticReply, actor_from_body, split_words
from bot.deps import Deps
from bot.errors import error_reply, report_error
from bot.listeners import register_all
from bot.render import render
from engine.errors import InvalidInput

log = logging.getLogger("opsbot.app")

# Slack waits 3 s for an ack; answer inline when the handler is faster than this,
# otherwise ack at once and send the answer through response_url when it is ready.
INLINE_BUDGET_S = 2.0

# A slash-command listener as Bolt calls it: (ack, body, respond, client).
CommandListener = Callable[[Any, dict[str, Any], Any, Any], Awaitable[None]]


def build_bolt_app(deps: Deps, client: AsyncWebClient | None = None) -> AsyncApp:
    """Create the Bolt AsyncApp with every listener registered."""
    settings = deps.settings
    if not settings.slack_bot_token.get_secret_value():
        raise InvalidInput("SLACK_BOT_TOKEN is not set",
                           hint="set it to the bot token (xoxb-...), or try `opsbot demo` without Slack")
    client = client or AsyncWebClient(token=settings.slack_bot_token.get_secret_value() or None,
                                      base_url=settings.api_base_url, timeout=10)
    app = AsyncApp(client=client, signing_secret=settings.slack_signing_secret.get_secret_value(),
                   raise_error_for_unhandled_request=False,
                   # bot.server verifies every HTTP request before Bolt sees it (and Socket
                   # Mode needs no signature), so checking again would only cost time.
                   request_verification_enabled=False,
                   ignoring_self_events_enabled=False)

    # The same listeners bot.server runs directly for HTTP requests (see SlackEndpoint);
    # Socket Mode, and HTTP requests before the token is authorized, reach them through Bolt.
    for name, listener in direct_commands(deps).items():
        app.command(name)(_bolt_listener(listener))

    @app.error
    async def on_error(error, body, respond, response=None):  # noqa: ANN001 - Bolt injects by name
        await handle_listener_error(deps, error, respond)
        if response is None:
            # The listener acked, then raised. Bolt clears the ack once this handler returns and
            # polls for it every 10 ms: without a pause it misses the ack and answers 404 after 3 s.
            await asyncio.sleep(0.03)

    register_all(app, deps)
    return app


def _bolt_listener(listener: CommandListener) -> Callable[..., Awaitable[None]]:
    """Wrap a command listener with the argument names Bolt injects by."""
    async def command(ack, body, respond, client):  # noqa: ANN001 - Bolt injects by name
        await listener(ack, body, respond, client)

    return command


def direct_commands(deps: Deps) -> dict[str, CommandListener]:
    """Return the slash commands bot.server may run without Bolt's dispatch, by command name."""
    async def ops(ack: Any, body: dict[str, Any], respond: Any, client: Any) -> None:
        await dispatch_command(deps, ack, body, respond, client)

    return {"/ops": ops}


async def handle_listener_error(deps: Deps, error: BaseException, respond: Any) -> None:
    """Tell the user about an error that escaped a listener (Bolt's `@app.error`)."""
    if respond is not None:
        await report_error(error, respond, deps.metrics)
    else:
        log.error("unhandled listener error", exc_info=error)


async def dispatch_command(deps: Deps, ack: Any, body: dict[str, Any], respond: Any, client: Any) -> None:
    """Route one `/ops ...` request to its subcommand and ack within Slack's 3 s.

    Returns once the request is acked: a reply slower than the inline budget is sent later
    through response_url by a background task.
    """
    try:
        text = body.get("text") or ""
        words = split_words(text)
        sub, args, suggestions = deps.router.resolve(words)
        if sub is None:
            await ack(**render("core/unknown_command", {"word": words[0], "suggestions": suggestions}),
                      response_type="ephemeral")
            return
        if extra := sub.extra_args(args):
            took = f"takes at most {sub.max_args} word{'s' if sub.max_args != 1 else ''}" if sub.max_args \
                else "takes no words"
            raise InvalidInput(f"`/ops {sub.name}` {took} after its name; left over: {' '.join(extra)!r}",
                               hint=f"usage: `/ops {sub.usage}`")
        ctx = CommandContext(deps=deps, actor=actor_from_body(body), command=sub.name, args=args,
                             text=text, channel_id=body.get("channel_id") or "",
                             user_id=body.get("user_id") or "", trigger_id=body.get("trigger_id"),
                             respond=respond, client=client, body=body)
        if sub.instant:
            reply = await sub.handler(ctx)  # answers from memory: no task, no timer
        else:
            task = asyncio.create_task(sub.handler(ctx))
            done, _ = await asyncio.wait({task}, timeout=INLINE_BUDGET_S)
            if not done:
                await ack(**render("core/working", {"command": sub.name}), response_type="ephemeral")
                _answer_later(deps, task, respond)
                return
            reply = task.result()  # raises the handler's error into the handler below
        await _ack_reply(ack, reply or {})
    except Exception as exc:
        await ack(**error_reply(exc, deps.metrics))


async def _ack_reply(ack: Any, reply: dict[str, Any]) -> None:
    """Ack with a reply, reusing the encoded body of a StaticReply acked before."""
    if isinstance(reply, StaticReply) and isinstance(ack, AsyncAck):
        if reply.ack_body is None:
            await ack(**reply)
            reply.ack_body = ack.response.body if ack.response is not None else None
        else:
            # Exactly what AsyncAck builds from this reply, minus encoding 4 kB of JSON again.
            ack.response = BoltResponse(status=200, body=reply.ack_body)
        return
    await ack(**reply)


# Replies still being computed after their ack; held here so the tasks are not collected.
_late_replies: set[asyncio.Task] = set()


def _answer_later(deps: Deps, task: asyncio.Task, respond: Any) -> None:
    """Send a slow handler's reply (or its error) through response_url once it is ready."""
    async def finish() -> None:
        try:
            reply = await task
            if reply:
                await respond(**reply)
        except Exception as exc:  # the ack is gone; the error goes through response_url
            await report_error(exc, respond, deps.metrics)

    late = asyncio.create_task(finish())
    _late_replies.add(late)
    late.add_done_callback(_late_replies.discard)
