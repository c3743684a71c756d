"""The `oncall:` section of opsbot.yaml: one schedule per team, an iCalendar feed or a simple rotation."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Rotation(_Strict):
    """People take turns: `people[0]` from `start` for `shift_hours`, then the next, round and round."""

    people: list[str] = Field(min_length=1)
    start: datetime
    shift_hours: float = Field(default=168.0, gt=0)

    @field_validator("start")
    @classmethod
    def _zoned(cls, v: datetime) -> datetime:
        """Refuse a start without a time zone: a handover hour must not depend on the server's zone."""
        if v.tzinfo is None:
            raise ValueError("start needs a time zone, e.g. 2026-12-07T09:00:00Z")
        return v


class Schedule(_Strict):
    """Who is on call for `team`: exactly one of `ical` (a file path or http(s) URL) or `rotation`."""

    team: str = Field(min_length=1, max_length=80)
    ical: str | None = None
    rotation: Rotation | None = None

    @model_validator(mode="after")
    def _one_source(self) -> "Schedule":
        """Require exactly one source, so the answer never depends on which one wins."""
        if (self.ical is None) == (self.rotation is None):
            raise ValueError(f"schedule {self.team!r} needs exactly one of `ical` or `rotation`")
        return self


class OncallConfig(_Strict):
    """On-call schedules and how often calendar feeds are read again."""

    schedules: list[Schedule] = Field(default_factory=list)
    refresh_s: float = Field(default=300.0, ge=10)  # how often iCalendar feeds are read again
    fetch_timeout_s: float = Field(default=10.0, gt=0)
    max_calendar_bytes: int = Field(default=2_000_000, gt=0)

    @model_validator(mode="after")
    def _unique(self) -> "OncallConfig":
        """Refuse two schedules for one team: `/ops oncall team` must have one answer."""
        seen: set[str] = set()
        for s in self.schedules:
            if s.team in seen:
                raise ValueError(f"two schedules for team {s.team!r}")
            seen.add(s.team)
        return self

    def schedule(self, team: str) -> Schedule | None:
        """Return the team's schedule, else None."""
        return next((s for s in self.schedules if s.team == team), None)
