"""Turn watch verdicts into generic alerts (engine/alerts/SCHEMA.md) and evidence contexts."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone
from typing import Any

from engine.anomaly.forecast import Crossing
from engine.anomaly.watches.config import WatchConfig
from engine.anomaly.watches.scoring import humanize

SOURCE = "opsbot-anomaly"
ANOMALY, FORECAST = "MetricAnomaly", "MetricForecast"
ZERO = "0001-01-01T00:00:00Z"
MAX_SERIES_LABELS = 20  # the alert keeps the series' identity without flooding the label limit


def series_key(labels: dict[str, str]) -> str:
    """Return a stable id of a series from its labels."""
    return hashlib.sha256(json.dumps(labels, sort_keys=True).encode()).hexdigest()[:32]


def fingerprint(kind: str, watch: str, key: str) -> str:
    """Return the alert fingerprint of a series' anomaly or forecast alert."""
    return f"{'anomaly' if kind == ANOMALY else 'forecast'}:{watch}:{key}"


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def alert_labels(watch: WatchConfig, series: dict[str, str], alertname: str) -> dict[str, str]:
    """Return the alert's labels: series labels, configured labels (`$x` copies series label x)."""
    out = {k: v for k, v in sorted(series.items()) if k != "__name__"}
    out = dict(list(out.items())[:MAX_SERIES_LABELS])
    for k, v in watch.labels.items():
        out[k] = series.get(v[1:], "") if v.startswith("$") else v
    out = {k: v for k, v in out.items() if v}
    out.update(alertname=alertname, watch=watch.name, severity=watch.severity)
    if watch.channel:
        out["opsbot_channel"] = watch.channel
    return out


def _fmt(x: float) -> str:
    return f"{x:.4g}"


def anomaly_alert(watch: WatchConfig, series: dict[str, str], fp: str, status: str, since_ts: float,
                  evidence: dict[str, Any] | None, link: str | None, ended_ts: float | None) -> dict[str, Any]:
    """Return one generic-schema alert for an anomaly firing or resolving."""
    ann: dict[str, str] = {}
    if evidence:
        ann = {"summary": (f"{watch.name}: value {_fmt(evidence['value'])} outside the expected "
                           f"{_fmt(evidence['lower'])}..{_fmt(evidence['upper'])} since {_iso(since_ts)}"),
               "value": _fmt(evidence["value"]), "expected": _fmt(evidence["expected"]),
               "expected_range": f"{_fmt(evidence['lower'])}..{_fmt(evidence['upper'])}",
               "score": f"{evidence.get('score', 0.0):.2f}", "since": _iso(since_ts)}
    else:
        ann = {"summary": f"{watch.name}: anomalous since {_iso(since_ts)}", "since": _iso(since_ts)}
    ann["detector"] = f"{watch.detector} (sensitivity {watch.sensitivity:g}, threshold {watch.threshold:g})"
    if link:
        ann["graph"] = link
    alert = {"labels": alert_labels(watch, series, ANOMALY), "annotations": ann, "status": status,
             "startsAt": _iso(since_ts), "endsAt": _iso(ended_ts) if ended_ts else ZERO, "fingerprint": fp}
    if link:
        alert["generatorURL"] = link
    return alert


def forecast_text(watch: WatchConfig, series: dict[str, str], c: Crossing) -> str:
    """Return e.g. 'disk on db-1 crosses 95 in about 3 h'."""
    f = watch.forecast
    what = (f.what if f and f.what else watch.name)
    where = series.get("instance") or series.get("service") or watch.labels.get("service", "")
    where = where if not where.startswith("$") else ""
    verb = "passes" if f and f.direction == "above" else "drops below"
    head = f"{what} on {where}" if where else what
    if c.seconds_left == 0:
        return f"{head} is already past {_fmt(f.limit) if f else ''}"
    return f"{head} {verb} {_fmt(f.limit) if f else ''} in about {humanize(c.seconds_left or 0.0)}"


def forecast_alert(watch: WatchConfig, series: dict[str, str], fp: str, status: str, now_ts: float,
                   c: Crossing, link: str | None, started_ts: float) -> dict[str, Any]:
    """Return one generic-schema alert for a predicted limit crossing."""
    ann = {"summary": forecast_text(watch, series, c) if status == "firing" else f"{watch.name}: forecast back within the limit",
           "forecast": _fmt(c.value) if c.value is not None else "",
           "forecast_range": f"{_fmt(c.lower)}..{_fmt(c.upper)}" if c.lower is not None and c.upper is not None else "",
           "time_left": humanize(c.seconds_left) if c.seconds_left is not None else "",
           "earliest": humanize(c.earliest_seconds) if c.earliest_seconds is not None else "",
           "trend_per_hour": _fmt(c.slope_per_hour), "reason": c.reason}
    ann = {k: v for k, v in ann.items() if v}
    if link:
        ann["graph"] = link
    alert = {"labels": alert_labels(watch, series, FORECAST), "annotations": ann, "status": status,
             "startsAt": _iso(started_ts), "endsAt": _iso(now_ts) if status == "resolved" else ZERO,
             "fingerprint": fp}
    if link:
        alert["generatorURL"] = link
    return alert


def body(alerts: list[dict[str, Any]]) -> bytes:
    """Return a generic webhook body for the alert pipeline."""
    return json.dumps({"source": SOURCE, "alerts": alerts}).encode()


def evidence_context(watch: WatchConfig, alert: dict[str, Any], incident_id: int, kind: str,
                     feedback: list[dict[str, str]] | None = None) -> dict[str, Any]:
    """Return the context of the evidence reply posted under the incident."""
    a = alert["annotations"]
    return {"incident_id": incident_id, "kind": "forecast" if kind == FORECAST else "anomaly",
            "watch": watch.name, "fingerprint": alert["fingerprint"], "summary": a.get("summary", ""),
            "facts": {k: a[k] for k in ("value", "expected", "expected_range", "score", "since", "forecast",
                                        "forecast_range", "time_left", "earliest", "trend_per_hour") if k in a},
            "labels": {k: v for k, v in alert["labels"].items() if k not in ("alertname", "watch")},
            "graph": a.get("graph"), "detector": a.get("detector", ""), "feedback": feedback or []}
