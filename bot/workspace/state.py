"""In-memory state of the local workspace: people, channels, messages, threads, ephemerals."""

from __future__ import annotations

import asyncio
from collections import deque
import copy
from dataclasses import dataclass, field
from typing import Any, Callable

from .blocks import fill_ids
from .config import SeedUser, WorkspaceConfig
from .ratelimit import TokenBuckets
from .tokens import Tokens
from .views import Views

SLACKBOT = SeedUser("USLACKBOT", "slackbot", "Slackbot")


@dataclass
class Channel:
    """A conversation and its messages keyed by `ts` (replies included)."""

    id: str
    name: str
    topic: str = ""
    messages: dict[str, dict[str, Any]] = field(default_factory=dict)
    # None: every person is a member (seeded channels); created channels list theirs.
    members: list[str] | None = None
    pins: list[str] = field(default_factory=list)
    creator: str = ""
    created: int = 1700000000
    is_private: bool = False


class Workspace:
    """Holds everything the Web API, the page and the test helpers read and change."""

    def __init__(self, config: WorkspaceConfig) -> None:
        self.config = config
        self.users: dict[str, SeedUser] = {u.id: u for u in config.users}
        self.bot_user = SeedUser(config.bot_user_id, config.bot_name, config.bot_name)
        self.channels: dict[str, Channel] = {
            c.id: Channel(c.id, c.name, c.topic) for c in config.channels
        }
        self.usergroups = {g.id: g for g in config.usergroups}
        self.ephemerals: dict[str, dict[str, Any]] = {}
        self.limiter = TokenBuckets(config.rate_per_second, config.rate_burst)
        self.tokens = Tokens(config.trigger_ttl, config.response_url_uses,
                             config.response_url_ttl)
        self.views = Views(config.team_id, config.app_id, config.bot_id)
        self.base_url: str | None = config.public_url
        self.version = 0
        self._last_ts = 0.0
        self._changed: asyncio.Event | None = None
        self.limited_until = 0.0  # workspace clock time until which chat writes answer 429
        self.writes: deque[dict[str, Any]] = deque(maxlen=10_000)  # accepted chat writes, in order
        self.files: dict[str, dict[str, Any]] = {}  # uploads by file id (files.* methods)
        self.homes: dict[str, dict[str, Any]] = {}  # App Home view published per user id

    # -- lookups ---------------------------------------------------------------------------
    def now(self) -> float:
        """Return the workspace clock's time (injectable for expiry tests)."""
        return self.config.clock()

    def user(self, ref: str) -> SeedUser | None:
        """Find a user by id, name or `@name`."""
        ref = ref.lstrip("@")
        if ref in self.users:
            return self.users[ref]
        if ref == self.bot_user.id:
            return self.bot_user
        return next((u for u in self.users.values() if u.name == ref), None)

    def channel(self, ref: str | None) -> Channel | None:
        """Find a channel by id, name or `#name`."""
        if not ref:
            return None
        if ref in self.channels:
            return self.channels[ref]
        name = ref.lstrip("#")
        return next((c for c in self.channels.values() if c.name == name), None)

    def members(self, channel: Channel) -> list[str]:
        """Return a channel's member ids (seeded channels: every person and the bot)."""
        if channel.members is None:
            return [*self.users, self.config.bot_user_id]
        return list(channel.members)

    def require_user(self, ref: str) -> SeedUser:
        """Find a user or raise KeyError naming the reference."""
        found = self.user(ref)
        if found is None:
            raise KeyError(f"unknown user {ref!r}")
        return found

    def require_channel(self, ref: str) -> Channel:
        """Find a channel or raise KeyError naming the reference."""
        found = self.channel(ref)
        if found is None:
            raise KeyError(f"unknown channel {ref!r}")
        return found

    def rate_limit_for(self, seconds: float) -> None:
        """Answer every chat.postMessage and chat.update with 429 for a while, like a Slack outage."""
        self.limited_until = self.now() + seconds

    # -- change notification ---------------------------------------------------------------
    def next_ts(self) -> str:
        """Return a unique, increasing Slack timestamp (`seconds.micros`)."""
        now = max(self.now(), self._last_ts + 0.000001)
        self._last_ts = now
        return f"{now:.6f}"

    def touch(self) -> None:
        """Record that something visible changed and wake waiters."""
        self.version += 1
        if self._changed is not None:
            self._changed.set()
            self._changed = None

    async def wait_for(self, predicate: Callable[[], Any], timeout: float = 5.0) -> Any:
        """Wait until `predicate()` is truthy and return its value; TimeoutError otherwise."""
        async with asyncio.timeout(timeout):
            while True:
                value = predicate()
                if value:
                    return value
                if self._changed is None:
                    self._changed = asyncio.Event()
                await self._changed.wait()

    # -- messages --------------------------------------------------------------------------
    def bot_message(self, text: str, blocks: list | None) -> dict[str, Any]:
        """Return the Slack shape of a message posted by the bot."""
        msg: dict[str, Any] = {
            "type": "message", "subtype": "bot_message", "text": text,
            "user": self.config.bot_user_id, "bot_id": self.config.bot_id,
            "app_id": self.config.app_id, "username": self.config.bot_name,
            "team": self.config.team_id,
        }
        if blocks:
            msg["blocks"] = fill_ids(copy.deepcopy(blocks))
        return msg

    def user_message(self, user_id: str, text: str) -> dict[str, Any]:
        """Return the Slack shape of a message typed by a person."""
        return {"type": "message", "user": user_id, "text": text, "team": self.config.team_id}

    def post(self, channel: Channel, msg: dict[str, Any], thread_ts: str | None = None,
             broadcast: bool = False) -> dict[str, Any]:
        """Store a message (in a thread when `thread_ts` is given) and return it."""
        msg = dict(msg, ts=self.next_ts())
        if thread_ts:
            parent = channel.messages[thread_ts]
            root = parent.get("thread_ts", parent["ts"])
            parent = channel.messages[root]
            msg["thread_ts"] = root
            msg["parent_user_id"] = parent.get("user")
            if broadcast:
                msg["subtype"] = "thread_broadcast"
            parent["thread_ts"] = root
            parent["reply_count"] = parent.get("reply_count", 0) + 1
            users = parent.setdefault("reply_users", [])
            if msg.get("user") and msg["user"] not in users:
                users.append(msg["user"])
            parent["reply_users_count"] = len(users)
            parent["latest_reply"] = msg["ts"]
        channel.messages[msg["ts"]] = msg
        self.touch()
        return msg

    def find(self, channel: Channel, ts: str | None) -> dict[str, Any] | None:
        """Return a channel message (top-level or reply) by ts."""
        return channel.messages.get(ts or "")

    def edit(self, channel: Channel, ts: str, text: str | None, blocks: list | None) -> dict:
        """Replace a message's text and blocks, marking it edited."""
        msg = channel.messages[ts]
        if text is not None:
            msg["text"] = text
        if blocks is not None:
            msg["blocks"] = fill_ids(copy.deepcopy(blocks))
        msg["edited"] = {"user": msg.get("user"), "ts": self.next_ts()}
        self.touch()
        return msg

    def remove(self, channel: Channel, ts: str) -> None:
        """Delete a message; a thread parent with replies leaves a tombstone like Slack."""
        msg = channel.messages[ts]
        if msg.get("reply_count") and msg.get("thread_ts") == ts:
            msg.update(subtype="tombstone", text="This message was deleted.", blocks=[])
            msg.pop("bot_id", None)
        else:
            del channel.messages[ts]
            root = channel.messages.get(msg.get("thread_ts") or "")
            if root is not None and root is not msg and root.get("reply_count"):
                root["reply_count"] -= 1
        self.touch()

    def history(self, channel: Channel) -> list[dict[str, Any]]:
        """Return top-level messages oldest first (thread broadcasts included)."""
        return [m for m in channel.messages.values()
                if m.get("thread_ts", m["ts"]) == m["ts"] or m.get("subtype") == "thread_broadcast"]

    def thread(self, channel: Channel, ts: str) -> list[dict[str, Any]]:
        """Return a thread's parent followed by its replies, oldest first."""
        parent = channel.messages.get(ts)
        if parent is None:
            return []
        root = parent.get("thread_ts", ts)
        return [m for m in channel.messages.values()
                if m["ts"] == root or m.get("thread_ts") == root]

    # -- ephemeral messages ----------------------------------------------------------------
    def post_ephemeral(self, channel: Channel, user_id: str, msg: dict[str, Any],
                       thread_ts: str | None = None) -> dict[str, Any]:
        """Store a message only `user_id` sees in `channel` and return it."""
        eph = dict(msg, ts=self.next_ts(), channel=channel.id, visible_to=user_id,
                   is_ephemeral=True)
        if thread_ts:
            eph["thread_ts"] = thread_ts
        self.ephemerals[eph["ts"]] = eph
        self.touch()
        return eph

    def ephemerals_for(self, user_id: str, channel_id: str | None = None) -> list[dict]:
        """Return the user's ephemeral messages (optionally in one channel), oldest first."""
        return [e for e in self.ephemerals.values() if e["visible_to"] == user_id
                and (channel_id is None or e["channel"] == channel_id)]
