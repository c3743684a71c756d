"""The bot's own Prometheus metrics, one registry per app instance.

Under `opsbot serve --workers N` the supervisor gives every worker one
PROMETHEUS_MULTIPROC_DIR (prometheus_client's multiprocess mode): each worker's values live
in files there, and a scrape answered by any worker reports the whole server, counters summed
over workers, instead of whichever worker the kernel picked.
"""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

ACK_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0)


class Metrics:
    """Counters, gauges and histograms exposed at GET /metrics."""

    def __init__(self, multiproc_dir: str | None = None) -> None:
        # BotSettings.prometheus_multiproc_dir: the variable prometheus_client itself read at
        # import time to choose file-backed values, so both agree.
        self.multiproc_dir = multiproc_dir or None
        r = self.registry = CollectorRegistry()
        self.requests = Counter("opsbot_requests_total", "Slack requests handled", ["kind"], registry=r)
        self.ack_latency = Histogram("opsbot_ack_latency_seconds", "Time to acknowledge a Slack request",
                                     ["kind"], buckets=ACK_BUCKETS, registry=r)
        self.errors = Counter("opsbot_errors_total", "Errors shown to users", ["code"], registry=r)
        # Every worker reads the same outbox: report the freshest reading, not a sum.
        self.outbox_depth = Gauge("opsbot_outbox_depth", "Notices waiting in the outbox", registry=r,
                                  multiprocess_mode="livemax")
        self.alert_dead_letter = Gauge("opsbot_alert_dead_letter_batches",
                                       "Stored alert batches set aside after failing every retry",
                                       registry=r, multiprocess_mode="livemax")
        self.slack_api_errors = Counter("opsbot_slack_api_errors_total", "Slack Web API errors",
                                        ["method", "error"], registry=r)
        self.notices_sent = Counter("opsbot_notices_sent_total", "Notices delivered to Slack", ["op"], registry=r)
        self.webhook_received = Counter("opsbot_webhook_requests_total", "Webhook requests accepted",
                                        ["source"], registry=r)
        self.webhook_rejections = Counter("opsbot_webhook_rejections_total", "Webhook requests refused",
                                          ["source", "reason"], registry=r)
        self.rejected_requests = Counter("opsbot_slack_rejections_total", "Slack requests refused",
                                         ["reason"], registry=r)
        self.lease_changes = Counter("opsbot_lease_changes_total", "Leases acquired or lost", ["job", "change"],
                                     registry=r)
        self.lease_held = Gauge("opsbot_lease_held", "1 while this replica holds the job's lease", ["job"],
                                registry=r, multiprocess_mode="livesum")
        # (requests child, ack latency child) per request kind: labels() costs more than inc()
        self._per_kind: dict[str, tuple[Any, Any]] = {}

    def observe_request(self, kind: str, seconds: float) -> None:
        """Count one handled Slack request and record how long its ack took."""
        children = self._per_kind.get(kind)
        if children is None:
            children = self._per_kind[kind] = (self.requests.labels(kind), self.ack_latency.labels(kind))
        children[0].inc()
        children[1].observe(seconds)

    def on_lease_change(self, job: str, held: bool) -> None:
        """Record a lease moving to or from this replica."""
        self.lease_changes.labels(job, "acquired" if held else "lost").inc()
        self.lease_held.labels(job).set(1 if held else 0)

    def exposition(self) -> bytes:
        """Return the text exposition format (of every worker, in multiprocess mode)."""
        if self.multiproc_dir is None:
            return generate_latest(self.registry)
        merged = CollectorRegistry()
        MultiProcessCollector(merged, path=self.multiproc_dir)
        return generate_latest(merged)
