"""The `alerts:` section of opsbot.yaml: ingest limits, dedup, correlation, routing."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

from engine.warroom.config import IncidentChannelConfig


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Limits(_Strict):
    """Bounds on what a webhook may send, so one bad sender cannot exhaust memory."""

    max_body_bytes: int = 1_048_576
    max_alerts: int = 1000
    max_labels: int = 64
    max_label_value_chars: int = 1024
    max_annotation_chars: int = 8192


class InhibitRule(_Strict):
    """While a source alert fires, target alerts with `equal` labels attach to it silently."""

    name: str
    source_match: dict[str, str]
    target_match: dict[str, str]
    equal: list[str] = Field(default_factory=list)


class Route(_Strict):
    """Send incidents whose first alert matches all `match` labels to `channel`."""

    match: dict[str, str] = Field(default_factory=dict)
    channel: str


class OwnerRule(_Strict):
    """Incidents whose first alert matches all `match` labels belong to `team`, paged via `usergroup`."""

    match: dict[str, str] = Field(default_factory=dict)
    team: str = Field(min_length=1, max_length=80)
    # A Slack user group id (S...): what `<!subteam^ID>` needs; `opsbot check` looks it up.
    usergroup: str | None = Field(default=None, pattern=r"^S[A-Z0-9]{2,30}$")


class AlertsConfig(_Strict):
    """Everything the alert pipeline needs to decide, validated at start-up."""

    limits: Limits = Limits()
    volatile_labels: list[str] = Field(default_factory=lambda: ["pod_ip", "instance_ip", "replica"])
    service_label: str = "service"
    severity_label: str = "severity"
    severities: list[str] = Field(default_factory=lambda: ["info", "warning", "error", "critical"])
    # A refire within this many seconds of the alert's resolve is a flap: it stays in its incident.
    flap_window_s: float = 300.0
    # service -> services it depends on (its upstreams): the grouping model's topology feature
    # (engine/alerts/model.py, docs/grouping.md). Empty: the model's graph-less weights apply.
    depends_on: dict[str, list[str]] = Field(default_factory=dict)
    inhibit: list[InhibitRule] = Field(default_factory=list)
    # What is alerting when `service_label` is absent: the first of these labels present.
    # Not `job` by default: a scrape job (kubernetes-pods, node-exporter) spans many services.
    entity_labels: list[str] = Field(default_factory=lambda: ["app"])
    resolve_cooldown_s: float = 300.0
    # How long a resolved incident stays in memory: a flapping alert reopens it, a recurrence links
    # to it ("3rd time today"). It never takes a new occurrence otherwise.
    reopen_window_s: float = 1800.0
    repeat_interval_s: float = 4 * 3600.0
    # A storm grows an incident batch by batch: automatic thread replies (new services, new alert
    # names, severity raised) within this long of the open one edit it instead of posting another,
    # as Alertmanager's group_interval batches notifications. People's actions always post. 0: off.
    thread_fold_s: float = Field(default=300.0, ge=0)
    default_channel: str = "#alerts"
    routes: list[Route] = Field(default_factory=list)
    # First matching rule owns an incident (by its first alert's labels); see docs/oncall.md.
    owners: list[OwnerRule] = Field(default_factory=list)
    # The owning group is @-mentioned once, when an incident opens at or above this severity.
    page_min_severity: str = "critical"
    # service -> dashboard URL, a Dashboard button when the alert has no dashboard_url annotation.
    dashboards: dict[str, str] = Field(default_factory=dict)
    # Annotations that carry the metric value, first present wins (Grafana sends __value_string__).
    value_annotations: list[str] = Field(default_factory=lambda: ["value", "__value_string__"])
    snooze_choices_s: list[int] = Field(default_factory=lambda: [900, 3600, 14400])
    # One Slack channel per big incident (docs/incident-command.md).
    incident_channel: IncidentChannelConfig = Field(default_factory=IncidentChannelConfig)
    tick_interval_s: float = 30.0
    # A stored batch the retry job failed on this many times is set aside (the dead letter):
    # kept for a person to read, counted in /ops stats and /metrics, never retried again.
    dead_letter_after: int = Field(default=5, ge=1)
    # Repeat deliveries' counters (deliveries, last seen, last dedup decision) are written at
    # most this late, as increments (engine/alerts/counters.py); 0 writes them every transaction.
    counter_flush_s: float = Field(default=5.0, ge=0)
    alertmanager_url: str | None = None  # API v2 base URL for silences; unset disables the button
    alertmanager_timeout_s: float = 5.0

    @model_validator(mode="after")
    def _check_graph(self) -> "AlertsConfig":
        """Reject dependency cycles: a cycle would make every service its own cause."""
        state: dict[str, int] = {}

        def visit(node: str, path: list[str]) -> None:
            if state.get(node) == 2:
                return
            if state.get(node) == 1:
                raise ValueError(f"depends_on has a cycle: {' -> '.join(path + [node])}")
            state[node] = 1
            for up in self.depends_on.get(node, []):
                visit(up, path + [node])
            state[node] = 2

        for svc in self.depends_on:
            visit(svc, [])
        if self.page_min_severity not in self.severities:
            raise ValueError(f"page_min_severity {self.page_min_severity!r} is not one of severities "
                             f"{self.severities}")
        for svc, url in self.dashboards.items():
            if not url.startswith(("https://", "http://")):
                raise ValueError(f"dashboards.{svc} must be an http(s) URL, got {url!r}")
        return self

    def owner_of(self, labels: dict[str, str]) -> OwnerRule | None:
        """Return the first owner rule whose `match` labels all equal the alert's, else None."""
        for rule in self.owners:
            if all(labels.get(k) == v for k, v in rule.match.items()):
                return rule
        return None

    def severity_rank(self, severity: str | None) -> int:
        """Return the rank of a severity (unknown ones rank lowest)."""
        try:
            return self.severities.index(severity or "")
        except ValueError:
            return -1

    def upstreams(self, service: str) -> set[str]:
        """Return every service `service` depends on, transitively."""
        seen: set[str] = set()
        stack = list(self.depends_on.get(service, []))
        while stack:
            s = stack.pop()
            if s not in seen:
                seen.add(s)
                stack.extend(self.depends_on.get(s, []))
        return seen
