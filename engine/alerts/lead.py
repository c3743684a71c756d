"""What an incident's first alert says and where to look: the card's summary, value and links."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from engine.alerts.config import AlertsConfig
from engine.alerts.types import AlertEvent

SUMMARY_CHARS = 300
DESCRIPTION_CHARS = 1000
VALUE_CHARS = 100
URL_CHARS = 2000  # Slack allows 3000 in a button's url; longer ones are dropped, not cut
# Annotation names for links, in the common Prometheus spellings.
RUNBOOK_ANNOTATIONS = ("runbook_url", "runbook")
DASHBOARD_ANNOTATIONS = ("dashboard_url", "dashboard")


# RFC 3339 times in an alert's words (Prometheus templates print them): the card shows each as a
# Slack date token, so every reader sees their own zone instead of a raw ISO string.
_ISO = re.compile(r"\b\d{4}-\d\d-\d\d[T ]\d\d:\d\d(?::\d\d(?:\.\d+)?)?(?:Z|[+-]\d\d:?\d\d)?")


def with_times(text: str) -> list[dict[str, str]]:
    """Split text into `{"text": ...}` and `{"time": iso}` parts (times without a zone are UTC)."""
    parts: list[dict[str, str]] = []
    pos = 0
    for m in _ISO.finditer(text):
        try:
            when = datetime.fromisoformat(m.group(0))
        except ValueError:
            continue  # looks like a time but is not one: left as the sender wrote it
        if m.start() > pos:
            parts.append({"text": text[pos:m.start()]})
        parts.append({"time": when.isoformat()})
        pos = m.end()
    if pos < len(text):
        parts.append({"text": text[pos:]})
    return parts


def _cut(text: str, n: int) -> str:
    text = text.strip()
    return text if len(text) <= n else text[:n - 1] + "…"


def safe_url(url: str | None) -> str | None:
    """Return url when it is an http(s) link Slack can open, else None (a sender's value is data)."""
    if not url or len(url) > URL_CHARS or any(c.isspace() for c in url):
        return None
    return url if url.startswith(("https://", "http://")) else None


def _first(annotations: dict[str, str], names: tuple[str, ...] | list[str]) -> str | None:
    return next((annotations[n] for n in names if annotations.get(n)), None)


def lead_of(ev: AlertEvent, cfg: AlertsConfig) -> dict[str, Any]:
    """Return the card facts of one alert: summary, description, value, links and owning labels."""
    a = ev.annotations
    value = _first(a, cfg.value_annotations)
    said = f"{a.get('summary') or a.get('message') or ''} {a.get('description', '')}"
    if value and re.search(rf"(?<![\w.]){re.escape(value)}(?![\w])", said):
        value = None  # the summary already states it ("value 343.7 outside ..."): the card says it once
    return {
        "fingerprint": ev.fingerprint, "alertname": ev.alertname,
        "summary": _cut(a.get("summary") or a.get("message") or "", SUMMARY_CHARS),
        "description": _cut(a.get("description", ""), DESCRIPTION_CHARS),
        "value": _cut(value, VALUE_CHARS) if value else None,
        "source_url": safe_url(ev.generator_url),
        "runbook_url": safe_url(_first(a, RUNBOOK_ANNOTATIONS)),
        "dashboard_url": safe_url(_first(a, DASHBOARD_ANNOTATIONS)),
        # Only the labels owner rules may match on: the whole set stays on the alert row.
        "labels": {k: ev.labels[k] for k in _owner_keys(cfg) if k in ev.labels},
    }


def _owner_keys(cfg: AlertsConfig) -> set[str]:
    keys = {cfg.service_label, cfg.severity_label, "alertname"}
    for rule in cfg.owners:
        keys.update(rule.match)
    return keys


def refresh_lead(lead: dict[str, Any], ev: AlertEvent, cfg: AlertsConfig) -> bool:
    """Take ev as the incident's lead when there is none or it is the lead; return True if it changed."""
    if lead and lead.get("fingerprint") != ev.fingerprint:
        return False
    new = lead_of(ev, cfg)
    if new == lead:
        return False
    lead.clear()
    lead.update(new)
    return True


def card_links(lead: dict[str, Any], services: list[str], cfg: AlertsConfig) -> list[dict[str, str]]:
    """Return the link buttons of a card: the alert's source, runbook and dashboard (or the service's)."""
    links = []
    if lead.get("source_url"):
        links.append({"text": "Alert source", "url": lead["source_url"], "kind": "source"})
    if lead.get("runbook_url"):
        links.append({"text": "Runbook", "url": lead["runbook_url"], "kind": "runbook"})
    dash = lead.get("dashboard_url") or next((cfg.dashboards[s] for s in services if s in cfg.dashboards), None)
    if dash:
        links.append({"text": "Dashboard", "url": dash, "kind": "dashboard"})
    return links
