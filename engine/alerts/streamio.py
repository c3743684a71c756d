"""Read labelled alert streams for `opsbot eval grouping`, whatever shape their generator wrote."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any, Iterable

from engine.errors import InvalidInput

TRUTH = "incident_truth"
ZERO = "0001-01-01T00:00:00Z"
# Where a stream may say when an alert was delivered; else startsAt / endsAt stand in for it.
TIME_KEYS = ("at", "receivedAt", "timestamp")
# Fields of a bare alert the generic schema has no place for and the pipeline does not need
# (Alertmanager API v2 listings add the last three).
DROPPED = frozenset(TIME_KEYS) | {"updatedAt", "receivers", "inhibitedBy", "silencedBy"}
ALERT_KEYS = frozenset({"labels", "annotations", "status", "startsAt", "endsAt", "fingerprint",
                        "generatorURL", TRUTH})
MAX_BATCH = 500  # alerts per synthesized delivery, well under the default ingest limits
MAX_BATCH_BYTES = 512 * 1024
SOURCE = "replay"


def _iso_time(value: Any, where: str) -> datetime:
    if isinstance(value, bool):
        raise InvalidInput(f"{where} is not a time: {value!r}")
    if isinstance(value, (int, float)):
        secs = value / 1000 if value > 1e11 else value  # epoch milliseconds are common too
        return datetime.fromtimestamp(secs, timezone.utc)
    if isinstance(value, str):
        try:
            t = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError:
            raise InvalidInput(f"{where} is not an RFC 3339 time: {value!r}") from None
        return t if t.tzinfo else t.replace(tzinfo=timezone.utc)
    raise InvalidInput(f"{where} is not a time: {value!r}")


def _fmt(t: datetime) -> str:
    return t.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def is_bare_alert(rec: Any) -> bool:
    """Return True for one alert on its own (labels, no batch around it)."""
    return isinstance(rec, dict) and isinstance(rec.get("labels"), dict) and "alerts" not in rec \
        and "body" not in rec


def _status(a: dict[str, Any], at: datetime | None, where: str) -> str:
    st = a.get("status")
    if isinstance(st, dict):  # Alertmanager API v2: {"state": "active" | "suppressed" | ...}
        st = None
    if st is None:
        # A postable alert without status is resolved once its endsAt has passed.
        ends = a.get("endsAt")
        if at is not None and ends and ends != ZERO and _iso_time(ends, f"{where}: endsAt") <= at:
            return "resolved"
        return "firing"
    if st not in ("firing", "resolved"):
        raise InvalidInput(f"{where}: status must be 'firing' or 'resolved', got {st!r}")
    return st


def _bare(a: dict[str, Any], where: str) -> tuple[datetime, dict[str, Any]]:
    """Return the delivery time of a bare alert and the alert as the generic schema takes it."""
    explicit = next((a[k] for k in TIME_KEYS if a.get(k) is not None), None)
    at = _iso_time(explicit, f"{where}: delivery time") if explicit is not None else None
    status = _status(a, at, where)
    unknown = set(a) - ALERT_KEYS - DROPPED
    if unknown:
        raise InvalidInput(f"{where}: alert has unknown fields {sorted(unknown)}",
                           hint=f"an alert may hold {sorted(ALERT_KEYS | set(TIME_KEYS))}")
    out = {k: v for k, v in a.items() if k in ALERT_KEYS}
    out["status"] = status
    if at is None:
        key = "startsAt" if status == "firing" else "endsAt"
        if not out.get(key) or out[key] == ZERO:
            raise InvalidInput(f"{where}: a {status} alert without a delivery time needs {key}")
        at = _iso_time(out[key], f"{where}: {key}")
    for key in ("startsAt", "endsAt"):  # the generic schema wants RFC 3339 strings with a zone
        if isinstance(out.get(key), (int, float)):
            out[key] = _fmt(_iso_time(out[key], f"{where}: {key}"))
    if status == "resolved" and not out.get("endsAt"):
        out["endsAt"] = _fmt(at)
    return at, out


def _batches(run: list[dict[str, Any]]) -> Iterable[list[dict[str, Any]]]:
    chunk: list[dict[str, Any]] = []
    size = 0
    for a in run:
        n = len(json.dumps(a))
        if chunk and (len(chunk) >= MAX_BATCH or size + n > MAX_BATCH_BYTES):
            yield chunk
            chunk, size = [], 0
        chunk.append(a)
        size += n
    if chunk:
        yield chunk


def _envelope(rec: dict[str, Any], where: str) -> dict[str, Any]:
    if "body" in rec:
        if not isinstance(rec["body"], dict):
            raise InvalidInput(f"{where}: body must be a JSON object")
        out = dict(rec)
    elif isinstance(rec.get("alerts"), list):  # a bare webhook body (Alertmanager or generic)
        body = dict(rec)
        at = next((body.pop(k) for k in TIME_KEYS if k in body), None)
        out = {"at": at, "source": "alertmanager" if "version" in body else "generic", "body": body}
    else:
        raise InvalidInput(f"{where} is neither a delivery, a webhook body nor an alert",
                           hint='expected {"at","source","body"}, a body with "alerts", '
                                'or an alert with "labels" (or a JSON array of alerts)')
    if out.get("at") is not None:
        out["at"] = _fmt(_iso_time(out["at"], f"{where}: at"))
    return out


def read_stream(lines: Iterable[str]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Split a stream file into its optional header and its deliveries, in delivery order."""
    header: dict[str, Any] = {}
    items: list[tuple[datetime | None, int, int, Any]] = []  # (time, line, kind, record)
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        where = f"line {n}"
        try:
            rec = json.loads(line)
        except ValueError as exc:
            raise InvalidInput(f"{where} is not JSON: {exc}") from None
        if isinstance(rec, dict) and rec.get("kind") == "storm":
            header = rec
            continue
        recs = rec if isinstance(rec, list) else [rec]
        if isinstance(rec, list) and not all(is_bare_alert(r) for r in rec):
            raise InvalidInput(f"{where}: a JSON array must hold alerts (objects with labels)")
        for r in recs:
            if is_bare_alert(r):
                at, alert = _bare(r, where)
                items.append((at, n, 1, alert))
            elif isinstance(r, dict):
                d = _envelope(r, where)
                d["line"] = n
                items.append((_iso_time(d["at"], where) if d.get("at") else None, n, 0, d))
            else:
                raise InvalidInput(f"{where} must be a JSON object or an array of alerts")
    if not any(kind for _, _, kind, _ in items):
        return header, [d for _, _, _, d in items]  # deliveries keep the order they were written in
    return header, _merge(items)


def _merge(items: list[tuple[datetime | None, int, int, Any]]) -> list[dict[str, Any]]:
    """Order everything by delivery time and pack alerts that arrive together into one body."""
    last: datetime | None = None
    timed = []
    for at, n, kind, rec in items:  # an envelope without a time arrives with the record before it
        at = at or last
        last = at
        timed.append((at, n, kind, rec))
    floor = min((t for t, *_ in timed if t), default=datetime(1970, 1, 1, tzinfo=timezone.utc))
    timed.sort(key=lambda x: x[0] or floor)  # stable: equal times keep file order
    out: list[dict[str, Any]] = []
    run: list[dict[str, Any]] = []
    for i, (at, n, kind, rec) in enumerate(timed):
        if kind == 0:
            out.append(rec)
            continue
        run.append(rec)
        nxt = timed[i + 1] if i + 1 < len(timed) else None
        if nxt is None or nxt[2] == 0 or nxt[0] != at:
            for chunk in _batches(run):
                out.append({"at": _fmt(at), "source": "generic", "line": n,
                            "body": {"source": SOURCE, "alerts": chunk}})
            run = []
    return out
