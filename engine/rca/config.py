"""The `rca:` section of opsbot.yaml: the service graph, PromQL per signal, windows, thresholds."""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

# `{service}` is replaced verbatim (not str.format: PromQL is full of braces).
DEFAULT_QUERIES: dict[str, str] = {
    "latency": 'histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket'
               '{service="{service}"}[5m])))',
    "errors": 'sum(rate(http_requests_total{service="{service}",code=~"5.."}[5m])) '
              '/ sum(rate(http_requests_total{service="{service}"}[5m]))',
    "saturation": 'max(rate(container_cpu_usage_seconds_total{service="{service}"}[5m]))',
    "restarts": 'sum(increase(kube_pod_container_status_restarts_total{service="{service}"}[5m]))',
}
# The ranker names signals `<service>_<metric>` and splits at the first underscore.
_SERVICE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.:-]{0,99}$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ServiceSpec(_Strict):
    """One service: what it depends on and any PromQL that differs from the defaults."""

    depends_on: list[str] = Field(default_factory=list)
    queries: dict[str, str] = Field(default_factory=dict)  # metric -> PromQL (overrides/extra)
    runbook: str | None = None  # suggested when a hypothesis names this service


class RcaConfig(_Strict):
    """What root-cause hypotheses look at and how far around the incident's onset."""

    services: dict[str, ServiceSpec] = Field(default_factory=dict)
    queries: dict[str, str] = Field(default_factory=lambda: dict(DEFAULT_QUERIES))
    models: dict[str, str] = Field(default_factory=dict)  # model name -> service that serves it
    baseline_s: float = 3600.0  # history before the onset that defines "normal"
    after_s: float = 900.0  # how far past the onset signals are read (capped at now)
    step_s: float = 60.0
    neighbour_hops: int = Field(default=1, ge=0, le=5)
    max_services: int = Field(default=60, ge=1, le=500)
    change_window_s: float = 3600.0  # changes this long before the onset are candidates
    likely_cause_confidence: float = Field(default=0.5, ge=0.0, le=1.0)
    top: int = Field(default=3, ge=1, le=10)
    auto_interval_s: float = 60.0  # analyse new incidents for the likely-cause line; 0 = only on click
    auto_within_s: float = 1800.0  # ...if they opened this recently
    query_concurrency: int = Field(default=16, ge=1, le=64)
    # Metrics source without Prometheus (the demo): a CSV with `time` and `<service>_<metric>` columns.
    replay_csv: str | None = None

    @field_validator("services")
    @classmethod
    def _names(cls, services: dict[str, ServiceSpec]) -> dict[str, ServiceSpec]:
        """Reject service names the `<service>_<metric>` signal names could not carry."""
        for name in services:
            if not _SERVICE.match(name):
                raise ValueError(f"service name {name!r}: use letters, digits, '-', '.', ':' (no '_')")
        return services

    @field_validator("queries")
    @classmethod
    def _placeholders(cls, queries: dict[str, str]) -> dict[str, str]:
        """Require the `{service}` placeholder, or every service would read the same series."""
        for metric, q in queries.items():
            if "{service}" not in q:
                raise ValueError(f"query {metric!r} lacks the {{service}} placeholder")
        return queries

    @model_validator(mode="after")
    def _known_dependencies(self) -> "RcaConfig":
        """Reject dependencies on services the graph does not declare (usually a typo)."""
        for name, spec in self.services.items():
            unknown = [d for d in spec.depends_on if d not in self.services]
            if unknown:
                raise ValueError(f"services.{name}.depends_on names undeclared {', '.join(unknown)}")
        return self

    def graph(self, alerts_depends_on: dict[str, list[str]] | None = None) -> dict[str, list[str]]:
        """Return service -> dependencies: `rca.services` merged over `alerts.depends_on`."""
        out = {k: list(v) for k, v in (alerts_depends_on or {}).items()}
        for name, spec in self.services.items():
            out[name] = sorted(set(out.get(name, [])) | set(spec.depends_on))
        return out

    def queries_for(self, service: str) -> dict[str, str]:
        """Return metric -> PromQL for one service, placeholders filled."""
        spec = self.services.get(service)
        merged = {**self.queries, **(spec.queries if spec else {})}
        return {m: q.replace("{service}", service) for m, q in merged.items()}

    def runbook_for(self, service: str) -> str | None:
        """Return the runbook configured for a service, if any."""
        spec = self.services.get(service)
        return spec.runbook if spec else None
