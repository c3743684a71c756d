"""Short-lived credentials Slack hands to apps: trigger ids and response URLs."""

from __future__ import annotations

import secrets
from dataclasses import dataclass


@dataclass
class _Trigger:
    user_id: str
    issued: float
    used: bool = False


@dataclass
class ResponseTarget:
    """Where a `response_url` posts: the channel, the user, and the original message."""

    channel_id: str
    user_id: str
    origin_ts: str | None = None
    origin_ephemeral: bool = False
    uses: int = 0
    issued: float = 0.0


class TokenError(Exception):
    """A Slack error code for an unusable trigger id or response URL."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class Tokens:
    """Issues and checks trigger ids (single use, ~3 s) and response URLs (N uses, TTL)."""

    def __init__(self, trigger_ttl: float, url_uses: int, url_ttl: float) -> None:
        self.trigger_ttl = trigger_ttl
        self.url_uses = url_uses
        self.url_ttl = url_ttl
        self._triggers: dict[str, _Trigger] = {}
        self._urls: dict[str, ResponseTarget] = {}
        self._counter = 0

    def issue_trigger(self, user_id: str, now: float) -> str:
        """Return a new trigger id for an interaction by `user_id`."""
        self._counter += 1
        trigger_id = f"{int(now)}{self._counter:04d}.{secrets.token_hex(5)}"
        self._triggers[trigger_id] = _Trigger(user_id, now)
        self._forget_old(now)
        return trigger_id

    def consume_trigger(self, trigger_id: str | None, now: float) -> str:
        """Use a trigger id once and return its user; raise TokenError with Slack's code."""
        trigger = self._triggers.get(trigger_id or "")
        if trigger is None:
            raise TokenError("invalid_trigger_id")
        if trigger.used:
            raise TokenError("exchanged_trigger_id")
        if now - trigger.issued > self.trigger_ttl:
            raise TokenError("expired_trigger_id")
        trigger.used = True
        return trigger.user_id

    def issue_response_url(self, target: ResponseTarget, now: float) -> str:
        """Register a response target and return its URL token."""
        token = secrets.token_urlsafe(18)
        target.issued = now
        self._urls[token] = target
        return token

    def use_response_url(self, token: str, now: float) -> ResponseTarget:
        """Count one use of a response URL; raise TokenError when unknown, used up or expired."""
        target = self._urls.get(token)
        if target is None:
            raise TokenError("no_service")
        if now - target.issued > self.url_ttl:
            raise TokenError("expired_url")
        if target.uses >= self.url_uses:
            raise TokenError("used_url")
        target.uses += 1
        return target

    def _forget_old(self, now: float) -> None:
        # Keep memory bounded in long demos: triggers are useless after their TTL.
        if len(self._triggers) > 1000:
            horizon = now - 10 * self.trigger_ttl
            self._triggers = {k: t for k, t in self._triggers.items() if t.issued >= horizon}
