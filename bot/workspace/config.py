"""Configuration of the local Slack-compatible workspace: team, seeded people and limits."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from typing import Callable


@dataclass(frozen=True)
class SeedUser:
    """A person in the workspace (the page lets one browser act as any of them)."""

    id: str
    name: str
    real_name: str
    email: str = ""


@dataclass(frozen=True)
class SeedChannel:
    """A public channel every seeded user belongs to."""

    id: str
    name: str
    topic: str = ""


@dataclass(frozen=True)
class SeedUsergroup:
    """A user group (Slack 'subteam') with a handle such as `ml-approvers`."""

    id: str
    handle: str
    name: str
    members: tuple[str, ...]


def default_users() -> list[SeedUser]:
    """Return the demo people: alice, bob and carol."""
    return [
        SeedUser("U0ALICE", "alice", "Alice Archer", "alice@example.com"),
        SeedUser("U0BOB", "bob", "Bob Baker", "bob@example.com"),
        SeedUser("U0CAROL", "carol", "Carol Chen", "carol@example.com"),
    ]


def default_channels() -> list[SeedChannel]:
    """Return the demo channels."""
    return [
        SeedChannel("C0OPS", "ops", "Day-to-day operations"),
        SeedChannel("C0MLMODELS", "ml-models", "Model promotions and drift"),
        SeedChannel("C0INCIDENTS", "incidents", "Alerts and incidents"),
    ]


def default_usergroups() -> list[SeedUsergroup]:
    """Return the demo user groups."""
    return [
        SeedUsergroup("S0MLAPPROVERS", "ml-approvers", "ML approvers", ("U0ALICE", "U0BOB")),
        SeedUsergroup("S0ONCALL", "oncall", "On-call", ("U0BOB", "U0CAROL")),
    ]


@dataclass
class WorkspaceConfig:
    """Everything the workspace needs; defaults give a ready demo team."""

    signing_secret: str
    bot_token: str
    # Where slash commands and interactions are POSTed; may be set after start-up.
    request_url: str | None = None
    command: str = "/ops"
    team_id: str = "T0LOCAL"
    team_domain: str = "opsbot-local"
    team_name: str = "Opsbot Local"
    app_id: str = "A0OPSBOT"
    bot_id: str = "B0OPSBOT"
    bot_user_id: str = "U0OPSBOT"
    bot_name: str = "opsbot"
    # Legacy verification token sent in payloads (Bolt ignores it; Slack still sends it).
    # Random per workspace all the same: nothing here carries a well-known credential.
    verification_token: str = field(default_factory=lambda: "local-" + secrets.token_hex(12))
    channels: list[SeedChannel] = field(default_factory=default_channels)
    users: list[SeedUser] = field(default_factory=default_users)
    usergroups: list[SeedUsergroup] = field(default_factory=default_usergroups)
    # chat.postMessage per channel: `rate_per_second` refill, `rate_burst` bucket size.
    rate_per_second: float = 1.0
    rate_burst: int = 3
    # Slack waits 3 s for the bot's HTTP answer to a slash command or interaction.
    request_timeout: float = 3.0
    trigger_ttl: float = 3.0
    response_url_uses: int = 5
    response_url_ttl: float = 30 * 60
    # Slack only warns when blocks come without a `text` fallback; we reject (strict).
    require_text_fallback: bool = True
    # Public base URL (e.g. behind a proxy); otherwise learnt from the bound socket.
    public_url: str | None = None
    # Socket Mode: the app-level token (`xapp-...`) that may call apps.connections.open.
    app_token: str | None = None
    # None: websockets while a connection is open and no request_url is set; True/False: force.
    socket_mode: bool | None = None
    # Slack allows 10 concurrent connections per app and pings them; connections last hours.
    max_socket_connections: int = 10
    socket_ping_interval: float | None = 30.0
    socket_connection_ttl: float = 4 * 3600
    # Slack retries an unacked events_api envelope nearly at once, then after 1 and 5 minutes.
    event_retry_delays: tuple[float, ...] = (0.0, 60.0, 300.0)
    clock: Callable[[], float] = time.time
