"""Demo data for metric watches: a NAB-like latency series replayed as if live, with an incident."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

STEP_S = 300  # five-minute points, like NAB's realAdExchange and realAWSCloudwatch files
DAYS = 5
ANOMALY_ROW = 1330  # where p95 latency jumps (a bad deploy), a few rows before the replay's "now"
START_ROW = ANOMALY_ROW + 4
WATCH = "checkout-latency"


def demo_series(seed: int = 11) -> tuple[np.ndarray, np.ndarray]:
    """Return (epoch seconds, p95 latency ms): daily cycle, noise, and a jump near the end."""
    rng = np.random.default_rng(seed)
    n = DAYS * 86400 // STEP_S
    t = 1_704_067_200.0 + STEP_S * np.arange(n)  # 2024-01-01, shifted onto the present by the replay
    day = 2 * np.pi * (t % 86400) / 86400
    values = 180 + 35 * np.sin(day - 2.0) + rng.normal(0, 5, n)
    values[ANOMALY_ROW:ANOMALY_ROW + 24] += 140 + rng.normal(0, 10, 24)  # two bad hours
    return t, np.round(values, 2)


def write_demo_csv(path: Path) -> Path:
    """Write the demo series as `timestamp,value` (ISO timestamps, UTC)."""
    t, v = demo_series()
    path.parent.mkdir(parents=True, exist_ok=True)
    stamps = np.datetime_as_string(t.astype("datetime64[s]"), unit="s")
    path.write_text("timestamp,value\n" + "".join(f"{s},{x}\n" for s, x in zip(stamps, v)))
    return path


def demo_watches(data_dir: Path, channel: str = "incidents") -> list[dict[str, Any]]:
    """Write the replay file and return the demo's `watches:` config (a replayed checkout latency)."""
    path = write_demo_csv(data_dir / "anomaly" / "checkout_p95_ms.csv")
    return [{"name": WATCH, "replay": {"path": str(path), "start_row": START_ROW}, "step": "5m",
             "lookback": f"{DAYS}d", "interval": "30s", "channel": channel, "severity": "warning",
             "labels": {"service": "checkout", "owner": "payments"},
             "forecast": {"limit": 450, "horizon": "3h", "what": "p95 latency"}}]


async def seed_anomaly_demo(stack: Any) -> str:
    """Wait until the replayed checkout latency's anomaly is an incident with its evidence."""
    import asyncio

    eng, ws = stack.bot.engine, stack.workspace
    channel = next(w.channel for w in eng.config.watches if w.name == WATCH)
    await eng.watches.run(WATCH, force=True)  # the scheduler would within 30 s; the demo shows it now
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 60
    while not any("MetricAnomaly" in m.get("text", "") for m in ws.messages(channel)):
        if loop.time() > deadline:
            raise TimeoutError(f"no anomaly incident appeared in #{channel}")
        await asyncio.sleep(0.2)
    return (f"a replayed checkout p95 latency jumped: incident in #{channel} with the evidence and "
            f"feedback buttons in its thread; `/ops watches` shows the watch")
