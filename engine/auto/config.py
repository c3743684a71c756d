"""The `auto` section of opsbot.yaml: how often triggers are evaluated and the breaker's defaults."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class AutoConfig(BaseModel):
    """Evaluation interval, per-trigger run limit and trip threshold, and who may flip the switch."""

    model_config = ConfigDict(extra="forbid")

    interval_s: float = Field(default=5.0, gt=0, le=3600, description="how often open incidents are checked")
    max_runs: int = Field(default=3, ge=1, le=100, description="automatic runs per trigger per window")
    window_s: float = Field(default=3600.0, gt=0, description="the run limit's window")
    trip_after: int = Field(default=2, ge=1, le=20, description="consecutive failed verifies that trip a trigger")
    lookback_s: float = Field(default=24 * 3600.0, gt=0, description="incidents opened longer ago are not matched")
    channel: str | None = Field(default=None, description="where trips and the kill switch are announced")
