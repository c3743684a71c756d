"""Predictive alerts on generated series with known crossings: lead time, precision, recall.

Run: .venv/bin/python tests/benchmarks/bench_forecast.py [SCENARIOS]
Each series is replayed every hour with a 2-day lookback and a 6 h horizon. An alerting
evaluation is correct if the true series crosses within horizon + 1 h. Peer, side by side:
naive last-value + linear extrapolation of the last 2 h (no robust fit, no seasonality).
"""

from __future__ import annotations

import sys
import time

import numpy as np

from pathlib import Path

# This checkout's code, not whichever one the editable install points at (a worktree's run would measure main's).
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from engine.anomaly.forecast import ForecastRule, forecast_crossing
from engine.lab.anomaly.synthetic import make_scenarios

HORIZON = 6 * 3600.0
LOOKBACK = 2 * 86400.0
EVERY = 3600.0
SLACK = 3600.0


def naive(t: np.ndarray, y: np.ndarray, rule: ForecastRule) -> bool:
    """Peer: extrapolate the slope of the last two hours."""
    recent = t >= t[-1] - 7200
    slope = np.polyfit(t[recent] - t[-1], y[recent], 1)[0]
    return bool(y[-1] + slope * rule.horizon_seconds >= rule.limit)


def evaluate(method, scenarios) -> dict[str, float]:
    """Return precision, recall and lead-time figures for one method."""
    alerts = correct = caught = crossing = calls = 0
    leads: list[float] = []
    spent = 0.0
    wrong: dict[str, int] = {}
    for s in scenarios:
        rule = ForecastRule(limit=s.limit, horizon_seconds=HORIZON)
        first_alert = None
        for now in np.arange(s.timestamps[0] + LOOKBACK, s.timestamps[-1], EVERY):
            if s.cross_at is not None and now >= s.cross_at:
                break  # after the crossing a static threshold already fires
            sel = (s.timestamps > now - LOOKBACK) & (s.timestamps <= now)
            t0 = time.perf_counter()
            fired = method(s.timestamps[sel], s.values[sel], rule)
            spent += time.perf_counter() - t0
            calls += 1
            if not fired:
                continue
            alerts += 1
            ok = s.cross_at is not None and s.cross_at - now <= HORIZON + SLACK
            correct += ok
            if not ok:
                kind = s.name.rsplit("-", 1)[0]
                wrong[kind] = wrong.get(kind, 0) + 1
            if ok and first_alert is None:
                first_alert = now
        if s.cross_at is not None and s.cross_at > s.timestamps[0] + LOOKBACK:
            crossing += 1
            if first_alert is not None:
                caught += 1
                leads.append((s.cross_at - first_alert) / 3600)
    return {
        "precision": correct / alerts if alerts else float("nan"),
        "recall": caught / crossing if crossing else float("nan"),
        "lead_median_h": float(np.median(leads)) if leads else float("nan"),
        "lead_p10_h": float(np.percentile(leads, 10)) if leads else float("nan"),
        "alerts": alerts,
        "ms_per_forecast": 1e3 * spent / max(calls, 1),
        "false_by_kind": dict(sorted(wrong.items())),
        "crossing_series": crossing,
    }


def main() -> None:
    """Print figures for the robust seasonal forecaster and the naive peer."""
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 120
    scenarios = make_scenarios(n, seed=11)
    kinds = sorted({s.name.rsplit("-", 1)[0] for s in scenarios})
    print(f"{n} generated series (5-min steps, 6 days), kinds: {', '.join(kinds)}")
    ours = lambda t, y, r: forecast_crossing(t, y, r).crosses
    for name, method in (("robust+seasonal", ours), ("naive 2h slope", naive)):
        t0 = time.perf_counter()
        r = evaluate(method, scenarios)
        print(f"{name:<16} precision {r['precision']:.2f}  recall {r['recall']:.2f}  "
              f"lead median {r['lead_median_h']:.1f} h (p10 {r['lead_p10_h']:.1f} h)  "
              f"alerts {r['alerts']}  crossing series {r['crossing_series']}/{n}  "
              f"{r['ms_per_forecast']:.1f} ms/forecast  ({time.perf_counter() - t0:.1f}s)")
        print(f"{'':<16} false alerts by kind: {r['false_by_kind']}")


if __name__ == "__main__":
    main()
