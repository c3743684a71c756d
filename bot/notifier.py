"""Drains the engine's outbox into Slack: renders, posts or edits, paces each channel,
and retries what Slack or the network refused, without losing or doubling a message."""

from __future__ import annotations

import asyncio
import logging
import re
import time
from dataclasses import dataclass, field
from typing import Awaitable, Callable
from datetime import datetime, timedelta

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.metrics import Metrics
from bot.render import render
from engine.core.outbox import Delivery, Outbox

log = logging.getLogger("opsbot.notifier")

# Errors Slack will give again for the same request: retrying cannot help.
PERMANENT = {"invalid_blocks", "invalid_blocks_format", "channel_not_found", "not_in_channel",
             "is_archived", "msg_too_long", "no_text", "invalid_arguments", "invalid_auth",
             "not_authed", "account_inactive", "cant_update_message", "message_not_found"}
METADATA_EVENT = "opsbot_notice"
THREAD_PAGES_MAX = 20  # a recovered reply is looked for among at most 4,000 replies of its thread
CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{6,}$")


@dataclass
class TokenBucket:
    """About one message per second per channel with a small burst, as Slack asks."""

    rate: float = 1.0
    burst: float = 3.0
    tokens: float = 3.0
    stamp: float = field(default_factory=time.monotonic)
    blocked_until: float = 0.0

    def take(self) -> bool:
        """Spend one token if there is one."""
        now = time.monotonic()
        if now < self.blocked_until:
            return False
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False

    def block(self, seconds: float) -> None:
        """Stop sending to this channel for a while (after a 429)."""
        self.blocked_until = time.monotonic() + seconds
        self.tokens = 0.0


def backoff_s(attempts: int) -> float:
    """Exponential backoff for transient failures, capped at a minute."""
    return float(min(60, 2 ** attempts))


class Notifier:
    """Sends due outbox notices to Slack; run as a leased job so one replica sends."""

    def __init__(self, outbox: Outbox, client: AsyncWebClient, metrics: Metrics, *,
                 rate: float = 1.0, burst: float = 3.0,
                 after_sent: Callable[[list[str]], Awaitable[None]] | None = None) -> None:
        self.outbox = outbox
        # Told the templates of what a drain sent (the Home tab re-publishes on approvals, incidents).
        self.after_sent = after_sent
        self.client = client
        self.metrics = metrics
        self.rate, self.burst = rate, burst
        self.buckets: dict[str, TokenBucket] = {}
        self._channel_ids: dict[str, str] = {}

    def _bucket(self, channel: str) -> TokenBucket:
        key = self._channel_ids.get(channel, channel)
        if key not in self.buckets:
            self.buckets[key] = TokenBucket(self.rate, self.burst, self.burst)
        return self.buckets[key]

    async def drain(self, _now: datetime | None = None) -> int:
        """Send every due notice the rate limits allow; return how many were sent."""
        sent = 0
        due = await self.outbox.due()
        held: set[str] = set()  # channels out of tokens (or rate limited) during this drain
        templates: list[str] = []
        for delivery in due:
            channel = delivery.item.channel
            # `due` is in sending order per channel: once a channel must wait, the rest of its
            # queue waits too, or a later thread reply could take a token its card missed.
            if channel in held or not self._bucket(channel).take():
                held.add(channel)
                continue
            if await self._deliver(delivery):
                sent += 1
                templates.append(delivery.item.template)
            elif self._bucket(channel).blocked_until > time.monotonic():
                held.add(channel)
        if due:  # an idle outbox costs one query per tick; /metrics reads the depth itself
            self.metrics.outbox_depth.set(await self.outbox.depth())
        if templates and self.after_sent is not None:
            try:
                await self.after_sent(templates)
            except Exception:  # a subscriber's failure must not hold the outbox back
                log.exception("after-send hook failed")
        return sent

    async def _deliver(self, d: Delivery) -> bool:
        item = d.item
        try:
            message = render(item.template, item.context)
        except Exception as exc:  # a template bug: keep the notice, say why, do not loop on it
            log.exception("cannot render notice", extra={"key": item.key, "template": item.template})
            await self.outbox.fail(item, f"render: {exc}")
            return False
        try:
            if d.message is not None and d.message.ts:
                await self._update(d.message.channel, d.message.ts, message)
                await self.outbox.mark_sent(item, d.message.channel, d.message.ts)
                self.metrics.notices_sent.labels("update").inc()
                return True
            if d.message is not None and d.message.state == "sending":
                # A post of this key may have reached Slack before a crash: find it, never repost.
                channel = await self._channel_id(item.channel)
                ts = await self._find_posted(channel, item.key, d.thread_ts)
                if ts:
                    await self._update(channel, ts, message)
                    await self.outbox.mark_sent(item, channel, ts)
                    self.metrics.notices_sent.labels("recovered").inc()
                    return True
            await self.outbox.claim_post(item)
            resp = await self.client.chat_postMessage(
                channel=item.channel, text=message["text"], blocks=message.get("blocks"),
                thread_ts=d.thread_ts, unfurl_links=False, unfurl_media=False,
                metadata={"event_type": METADATA_EVENT, "event_payload": {"key": item.key}})
            self._channel_ids[item.channel] = resp["channel"]
            await self.outbox.mark_sent(item, resp["channel"], resp["ts"])
            if item.context.get("pin"):  # e.g. the incident card's copy in its incident channel
                await self._pin(resp["channel"], resp["ts"])
            self.metrics.notices_sent.labels("post").inc()
            return True
        except SlackApiError as exc:
            await self._on_slack_error(d, exc)
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
            self.metrics.slack_api_errors.labels("chat", "network").inc()
            await self.outbox.retry_later(item, backoff_s(item.attempts), f"network: {exc!r}")
        return False

    async def _pin(self, channel: str, ts: str) -> None:
        try:
            await self.client.pins_add(channel=channel, timestamp=ts)
        except SlackApiError as exc:  # already pinned is what we wanted; anything else only costs the pin
            if exc.response.get("error") != "already_pinned":
                log.warning("could not pin", extra={"channel": channel, "error": exc.response.get("error")})

    async def _update(self, channel: str, ts: str, message: dict) -> None:
        await self.client.chat_update(channel=channel, ts=ts, text=message["text"],
                                      blocks=message.get("blocks"))

    async def _channel_id(self, channel: str) -> str:
        """Return a channel's id: history and edits need it, while posts accept a name."""
        if channel in self._channel_ids:
            return self._channel_ids[channel]
        name = channel.lstrip("#")
        if CHANNEL_ID.match(name):
            return name
        cursor = None
        try:
            while True:
                resp = await self.client.conversations_list(limit=200, cursor=cursor,
                                                            types="public_channel,private_channel")
                for chan in resp.get("channels", []):
                    if chan.get("name") == name:
                        self._channel_ids[channel] = chan["id"]
                        return chan["id"]
                cursor = (resp.get("response_metadata") or {}).get("next_cursor")
                if not cursor:
                    return channel
        except SlackApiError:
            return channel

    async def _find_posted(self, channel: str, key: str, thread_ts: str | None = None) -> str | None:
        """Look for a message carrying this key in its metadata among recent ones (or in its thread)."""
        try:
            messages = (await self._thread(channel, thread_ts) if thread_ts else
                        (await self.client.conversations_history(channel=channel, limit=200,
                                                                 include_all_metadata=True)).get("messages", []))
        except SlackApiError:
            return None
        for msg in messages:
            meta = msg.get("metadata") or {}
            if meta.get("event_type") == METADATA_EVENT and (meta.get("event_payload") or {}).get("key") == key:
                return msg.get("ts")
        return None

    async def _thread(self, channel: str, thread_ts: str) -> list[dict]:
        # Replies are not in conversations.history; a thread lists oldest first, so read it all.
        out: list[dict] = []
        cursor = None
        for _ in range(THREAD_PAGES_MAX):
            resp = await self.client.conversations_replies(channel=channel, ts=thread_ts, limit=200,
                                                           include_all_metadata=True, cursor=cursor)
            out.extend(resp.get("messages", []))
            cursor = (resp.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                break
        return out

    async def _on_slack_error(self, d: Delivery, exc: SlackApiError) -> None:
        item = d.item
        error = str(exc.response.get("error", "unknown"))
        status = exc.response.status_code
        self.metrics.slack_api_errors.labels("chat", error).inc()
        if status == 429 or error == "ratelimited":
            retry_after = float(exc.response.headers.get("Retry-After", exc.response.headers.get("retry-after", 1)))
            self._bucket(item.channel).block(retry_after)
            until = self.outbox.clock.now() + timedelta(seconds=retry_after)
            await self.outbox.defer_channel(item.channel, until)
            log.warning("rate limited by Slack", extra={"channel": item.channel, "retry_after": retry_after})
        elif error in PERMANENT:
            log.error("Slack refused a notice", extra={"key": item.key, "error": error})
            await self.outbox.fail(item, error)
        else:
            await self.outbox.retry_later(item, backoff_s(item.attempts), f"{status} {error}")
