"""Fold a storm's automatic thread replies: growth within `thread_fold_s` edits the open reply.

A storm reaches an incident batch by batch. Posting a reply for every batch that adds a service
floods the thread (one reply per webhook body, seconds apart). Alertmanager batches such
notifications with `group_interval`; here the incident keeps its open automatic reply
(`Incident.thread_open`, stored with the incident) and each later batch of growth re-renders it
with everything since it opened. People's actions, resolves and reminders always post anew.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from engine.alerts.lifecycle import Change
from engine.alerts.types import AlertState

# What a storm adds to an incident; anything else in a batch (a person's action, a resolve,
# a reminder, a reopen) gets a reply of its own, and closes the open one.
GROWTH = frozenset({"service_joined", "new_alertname", "severity_up"})
MAX_FOLDED_CHANGES = 50  # the template shows the first 15 lines; the rest only count


def folds(inc_open: dict[str, Any] | None, changes: list[Change], now: datetime, fold_s: float) -> bool:
    """Return True when this batch's meaningful changes join the incident's open reply."""
    if not inc_open or fold_s <= 0:
        return False
    if any(c.meaningful and c.kind not in GROWTH for c in changes):
        return False
    started = datetime.fromisoformat(inc_open["at"])
    return now - started < timedelta(seconds=fold_s)


def opens(changes: list[Change]) -> bool:
    """Return True when a new reply for these changes may take later growth (it is only growth)."""
    return all(c.kind in GROWTH for c in changes if c.meaningful)


def merge_lines(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Return change lines ({"change", "count"}) of both, the same change once with the counts added."""
    out: dict[str, dict[str, Any]] = {}
    for line in [*old, *new]:
        key = json.dumps(line["change"], sort_keys=True)
        if key in out:
            out[key]["count"] += line["count"]
        elif len(out) < MAX_FOLDED_CHANGES:
            out[key] = {"change": line["change"], "count": line["count"]}
    return list(out.values())


def merge_alerts(old: list[dict[str, Any]], new: list[dict[str, Any]], limit: int) -> tuple[list[dict[str, Any]], int]:
    """Return the alerts of both (an alert once, its latest line first kept in place) and how many did not fit."""
    by_fp: dict[str, dict[str, Any]] = {}
    for a in [*old, *new]:
        by_fp[a.get("fingerprint") or json.dumps(a, sort_keys=True)] = a
    lines = list(by_fp.values())
    return lines[:limit], max(0, len(lines) - limit)


def compact_alert(line: dict[str, Any], service_label: str) -> dict[str, Any]:
    """Return what a folded reply keeps of an alert line: enough for its alert groups, little to store."""
    svc = (line.get("labels") or {}).get(service_label)
    return {"fingerprint": line.get("fingerprint") or "", "alertname": line["alertname"],
            "status": line["status"], "labels": {service_label: svc} if svc else {}}


def compact_state(st: AlertState, service_label: str) -> dict[str, Any]:
    """Return compact_alert(messages.alert_line(st)) without building the full line (alertname is not a label there)."""
    labels = st.labels
    svc = labels.get(service_label) if service_label != "alertname" else None
    return {"fingerprint": st.fingerprint or "", "alertname": labels.get("alertname", ""),
            "status": st.status.value, "labels": {service_label: svc} if svc else {}}


def reply_alerts(old: list[dict[str, Any]] | None, members: list[AlertState], limit: int,
                 service_label: str) -> tuple[list[dict[str, Any]], int]:
    """Return the alert lines a reply shows and how many more it counts: merge_alerts(old, compacted members)
    (or their first `limit` when no reply is open), compacting only the members that are shown.

    A storm's transaction brings hundreds of members to a reply that lists twenty: the rest are
    only counted. `members` hold distinct fingerprints (one state per fingerprint).
    """
    if old is None:
        return [compact_state(m, service_label) for m in members[:limit]], max(0, len(members) - limit)
    by_fp: dict[str, dict[str, Any]] = {}
    for a in old:
        by_fp[a.get("fingerprint") or json.dumps(a, sort_keys=True)] = a
    extra = 0  # members neither shown already nor fitting: counted only
    for m in members:
        fp = m.fingerprint or json.dumps(compact_state(m, service_label), sort_keys=True)
        if fp in by_fp or len(by_fp) < limit:
            by_fp[fp] = compact_state(m, service_label)  # a known alert keeps its place with its latest line
        else:
            extra += 1
    lines = list(by_fp.values())
    return lines[:limit], max(0, len(lines) + extra - limit)
