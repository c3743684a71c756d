"""Alertmanager API v2 adapter (silences) and its in-memory twin."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime
from typing import Any

import aiohttp

from engine.ports import Matcher, Silence
from engine.core.clock import Clock, SystemClock
from engine.errors import InvalidInput, NotFound, Unavailable


def _iso(dt: datetime) -> str:
    return dt.isoformat().replace("+00:00", "Z")


def _matchers_json(matchers: list[Matcher]) -> list[dict[str, Any]]:
    return [{"name": m.name, "value": m.value, "isRegex": m.is_regex, "isEqual": m.is_equal} for m in matchers]


def _silence(d: dict[str, Any]) -> Silence:
    return Silence(
        id=d["id"], matchers=tuple(Matcher(m["name"], m["value"], m.get("isRegex", False),
                                           m.get("isEqual", True)) for m in d["matchers"]),
        starts_at=datetime.fromisoformat(d["startsAt"]), ends_at=datetime.fromisoformat(d["endsAt"]),
        created_by=d.get("createdBy", ""), comment=d.get("comment", ""),
        state=d.get("status", {}).get("state", "active"))


class AlertmanagerClient:
    """Talks to one Alertmanager over HTTP with bounded timeouts."""

    def __init__(self, base_url: str, *, timeout_s: float = 5.0,
                 session: aiohttp.ClientSession | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._session = session
        self._own = session is None

    async def _http(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self.timeout)
        return self._session

    async def _call(self, method: str, path: str, body: Any = None) -> Any:
        url = f"{self.base_url}/api/v2{path}"
        try:
            http = await self._http()
            async with http.request(method, url, json=body, timeout=self.timeout) as resp:
                text = await resp.text()
                if resp.status == 404:
                    raise NotFound(f"Alertmanager has no {path}")
                if 400 <= resp.status < 500:
                    raise InvalidInput(f"Alertmanager refused {method} {path}: {text.strip()[:300]}")
                if resp.status >= 500:
                    raise Unavailable(f"Alertmanager at {self.base_url} failed: HTTP {resp.status}")
                return await resp.json(content_type=None) if text else None
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            raise Unavailable(f"Alertmanager at {self.base_url} is not reachable: {exc!r}",
                              hint="check alerts.alertmanager_url") from exc

    async def create_silence(self, matchers: list[Matcher], starts_at: datetime, ends_at: datetime,
                             created_by: str, comment: str) -> str:
        """Create a silence and return its id."""
        body = {"matchers": _matchers_json(matchers), "startsAt": _iso(starts_at),
                "endsAt": _iso(ends_at), "createdBy": created_by, "comment": comment}
        return (await self._call("POST", "/silences", body))["silenceID"]

    async def list_silences(self) -> list[Silence]:
        """Return every silence Alertmanager knows, expired ones included."""
        return [_silence(d) for d in await self._call("GET", "/silences")]

    async def expire_silence(self, silence_id: str) -> None:
        """Expire a silence now."""
        await self._call("DELETE", f"/silence/{silence_id}")

    async def post_alerts(self, alerts: list[dict[str, Any]]) -> None:
        """Push alerts to Alertmanager (used by tests and the benchmark)."""
        await self._call("POST", "/alerts", alerts)

    async def aclose(self) -> None:
        """Close the HTTP session if this client opened it."""
        if self._own and self._session is not None:
            await self._session.close()


class MemoryAlertmanager:
    """An in-memory twin with Alertmanager's silence semantics, for tests and the demo."""

    def __init__(self, clock: Clock | None = None) -> None:
        self.clock = clock or SystemClock()
        self._silences: dict[str, dict[str, Any]] = {}

    async def create_silence(self, matchers: list[Matcher], starts_at: datetime, ends_at: datetime,
                             created_by: str, comment: str) -> str:
        """Create a silence and return its id, validating like Alertmanager does."""
        if not matchers:
            raise InvalidInput("Alertmanager refused POST /silences: at least one matcher is required")
        if ends_at <= starts_at:
            raise InvalidInput("Alertmanager refused POST /silences: end time must not be before start")
        if not created_by or not comment:
            raise InvalidInput("Alertmanager refused POST /silences: createdBy and comment are required")
        sid = str(uuid.uuid4())
        self._silences[sid] = {"matchers": tuple(matchers), "starts_at": starts_at, "ends_at": ends_at,
                               "created_by": created_by, "comment": comment, "expired": False}
        return sid

    async def list_silences(self) -> list[Silence]:
        """Return every silence with its current state."""
        now = self.clock.now()
        out = []
        for sid, s in self._silences.items():
            state = ("expired" if s["expired"] or s["ends_at"] <= now
                     else "pending" if s["starts_at"] > now else "active")
            out.append(Silence(sid, s["matchers"], s["starts_at"], s["ends_at"], s["created_by"],
                               s["comment"], state))
        return out

    async def expire_silence(self, silence_id: str) -> None:
        """Expire a silence now."""
        s = self._silences.get(silence_id)
        if s is None:
            raise NotFound(f"Alertmanager has no /silence/{silence_id}")
        if s["expired"] or s["ends_at"] <= self.clock.now():
            raise InvalidInput(f"Alertmanager refused DELETE /silence/{silence_id}: silence already expired")
        s["expired"] = True
        s["ends_at"] = min(s["ends_at"], self.clock.now())

    async def aclose(self) -> None:
        """Nothing to close."""


class RunbookSilences:
    """The runbooks' `alertmanager_silence` port on top of an Alertmanager client."""

    def __init__(self, client: AlertmanagerClient | Any, clock: Clock | None = None) -> None:
        self.client = client
        self.clock = clock or SystemClock()

    async def create_silence(self, matchers: Any, duration_s: float, comment: str, created_by: str) -> str:
        """Create an exact-match silence lasting duration_s and return its id."""
        from datetime import timedelta

        now = self.clock.now()
        exact = [Matcher(str(k), str(v), False, True) for k, v in dict(matchers).items()]
        return await self.client.create_silence(exact, now, now + timedelta(seconds=duration_s), created_by, comment)
