"""Answer "who is on call" per team, keeping iCalendar feeds parsed in memory and refreshed in the background."""

from __future__ import annotations

import asyncio
import logging
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import icalendar

from engine.core.clock import Clock
from engine.errors import NotFound, Unavailable
from engine.oncall.config import OncallConfig, Schedule
from engine.oncall.ical import on_call_at, parse_calendar
from engine.oncall.schedule import OnCall, rotation_at

if TYPE_CHECKING:
    from engine.alerts.card import IncidentCard

log = logging.getLogger("opsbot.oncall")
ANSWER_TTL = timedelta(seconds=60)  # a later event may begin before the current one ends


def read_source(src: str, base_dir: Path, timeout_s: float, max_bytes: int) -> bytes:
    """Read a calendar from a path (relative to opsbot.yaml) or an http(s) URL; blocking, run it in a thread."""
    if src.startswith(("https://", "http://")):
        req = urllib.request.Request(src, headers={"User-Agent": "opsbot-oncall"})
        with urllib.request.urlopen(req, timeout=timeout_s) as resp:  # noqa: S310 - scheme checked above
            data: bytes = resp.read(max_bytes + 1)
    else:
        path = Path(src) if Path(src).is_absolute() else base_dir / src
        with path.open("rb") as fh:
            data = fh.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise ValueError(f"calendar {src} is larger than {max_bytes} bytes")
    return data


def load_schedule(s: Schedule, cfg: OncallConfig, base_dir: Path, now: datetime) -> icalendar.Calendar:
    """Read and parse one team's calendar, raising InvalidInput or OSError with the reason."""
    if s.ical is None:
        raise ValueError(f"team {s.team} has a rotation, not a calendar")
    return parse_calendar(read_source(s.ical, base_dir, cfg.fetch_timeout_s, cfg.max_calendar_bytes), s.ical, now)


def check_schedules(cfg: OncallConfig, base_dir: Path, now: datetime) -> list[str]:
    """Return one problem per calendar that cannot be read or parsed (what `opsbot check` reports)."""
    problems = []
    for s in cfg.schedules:
        if s.ical is None:
            continue
        try:
            load_schedule(s, cfg, base_dir, now)
        except Exception as exc:  # every reason becomes one line, never a traceback
            problems.append(f"team {s.team}: {getattr(exc, 'message', None) or exc}")
    return problems


@dataclass
class _Cached:
    answer: OnCall
    fresh_until: datetime


class OncallService:
    """Who is on call for each team; calendars are read by `refresh` (a scheduled job), never on a card's path."""

    def __init__(self, cfg: OncallConfig, clock: Clock, base_dir: Path) -> None:
        self.cfg, self.clock, self.base_dir = cfg, clock, base_dir
        self._calendars: dict[str, icalendar.Calendar] = {}
        self._errors: dict[str, str] = {}
        self._answers: dict[str, _Cached] = {}
        self._refreshed: datetime | None = None
        self._task: asyncio.Task[None] | None = None  # the background refresh a card started

    @property
    def teams(self) -> list[str]:
        """Return the teams that have a schedule."""
        return [s.team for s in self.cfg.schedules]

    async def refresh(self, now: datetime | None = None) -> None:
        """Read every calendar again in a thread; a failure keeps the last good copy and is logged."""
        now = now or self.clock.now()
        for s in self.cfg.schedules:
            if s.ical is None:
                continue
            try:
                cal = await asyncio.to_thread(load_schedule, s, self.cfg, self.base_dir, now)
            except Exception as exc:  # a feed being down must not stop the others or the job
                self._errors[s.team] = str(getattr(exc, "message", None) or exc)
                log.warning("on-call calendar of %s unreadable: %s", s.team, self._errors[s.team])
                continue
            self._calendars[s.team] = cal
            self._errors.pop(s.team, None)
            self._answers.pop(s.team, None)
        self._refreshed = now

    def _stale(self, now: datetime) -> bool:
        has_feeds = any(s.ical for s in self.cfg.schedules)
        return has_feeds and (self._refreshed is None or now - self._refreshed >= timedelta(seconds=self.cfg.refresh_s))

    def _refresh_behind(self, now: datetime) -> None:
        """Start a background refresh when feeds are stale; the caller goes on with what is loaded.

        Each replica keeps its own parsed copy, so this is not a leased job (that runs on one).
        """
        if not self._stale(now) or (self._task is not None and not self._task.done()):
            return
        try:
            self._task = asyncio.get_running_loop().create_task(self.refresh(now), name="oncall-refresh")
        except RuntimeError:  # no running loop (a synchronous caller): the next async caller refreshes
            return

    def now_for(self, team: str, now: datetime) -> OnCall | None:
        """Return who is on call for a team from what is loaded (None: no schedule or not loaded yet)."""
        cached = self._answers.get(team)
        if cached is not None and now < cached.fresh_until and now >= cached.answer.at:
            return cached.answer
        s = self.cfg.schedule(team)
        if s is None:
            return None
        if s.rotation is not None:
            who, until = rotation_at(s.rotation, now)
            answer = OnCall(team, (who,) if who else (), now, until, "rotation")
        else:
            cal = self._calendars.get(team)
            if cal is None:
                return None
            people, until = on_call_at(cal, now)
            answer = OnCall(team, people, now, until, s.ical or "")
        fresh = min(t for t in (answer.until, now + ANSWER_TTL) if t is not None)
        self._answers[team] = _Cached(answer, fresh)
        return answer

    async def who(self, team: str | None = None) -> list[OnCall]:
        """Return who is on call for one team (or every team), reading calendars on first use."""
        now = self.clock.now()
        if self._refreshed is None:
            await self.refresh(now)
        else:
            self._refresh_behind(now)
        if team is not None and self.cfg.schedule(team) is None:
            raise NotFound(f"no on-call schedule for team {team!r}",
                           hint=f"teams with a schedule: {', '.join(self.teams) or 'none (see docs/oncall.md)'}")
        out = []
        for t in [team] if team is not None else self.teams:
            answer = self.now_for(t, now)
            if answer is None:
                raise Unavailable(f"the on-call calendar of {t} could not be read: {self._errors.get(t, 'not loaded')}")
            out.append(answer)
        return out

    def extend_card(self, card: IncidentCard) -> None:
        """Name the owning team's current on-call on an incident card (from memory; never reads a feed)."""
        owner = card.owner
        if owner is None:
            return
        now = self.clock.now()
        self._refresh_behind(now)
        answer = self.now_for(owner.team, now)
        if answer is not None and answer.people:
            owner.oncall = list(answer.people)
