"""Typed values that flow between the alert pipeline's stages."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Any

# Column widths a webhook value lands in (engine/alerts/tables.py). The door (parse.py) refuses
# longer values, so SQLite (which ignores widths) and PostgreSQL (which refuses them) agree.
ALERTNAME_CHARS = 200
SEVERITY_CHARS = 32
TITLE_CHARS = 300  # derived (alertname on service): cut, never refused


class Status(str, Enum):
    """Whether an alert is firing or resolved."""

    FIRING = "firing"
    RESOLVED = "resolved"


class IncidentStatus(str, Enum):
    """Where an incident is in its lifecycle."""

    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


# Not frozen: a frozen dataclass's __init__ costs five times as much (object.__setattr__ per
# field), and parsing builds one per alert of every batch. No stage assigns to an event.
@dataclass(slots=True)
class AlertEvent:
    """One delivery of one alert, validated and normalized (treated as immutable)."""

    fingerprint: str
    status: Status
    labels: dict[str, str]
    annotations: dict[str, str]
    starts_at: datetime
    ends_at: datetime | None  # None means "no end" (Go's zero time in Alertmanager)
    source: str = "alertmanager"
    group_key: str | None = None
    generator_url: str = ""
    # Label names Alertmanager grouped by (its groupLabels); None when the source did not say.
    group_labels: frozenset[str] | None = None

    @property
    def alertname(self) -> str:
        """Return the alertname label (or '' when absent)."""
        return self.labels.get("alertname", "")


@dataclass(frozen=True, slots=True)
class Batch:
    """One validated webhook body: its alerts and where it came from."""

    source: str
    receiver: str
    group_key: str | None
    alerts: tuple[AlertEvent, ...]


@dataclass(slots=True)
class AlertState:
    """What the store remembers about one fingerprint."""

    fingerprint: str
    status: Status
    labels: dict[str, str]
    annotations: dict[str, str]
    starts_at: datetime
    ends_at: datetime | None
    first_seen_at: datetime
    last_seen_at: datetime
    source: str = "alertmanager"
    group_key: str | None = None
    incident_id: int | None = None
    inhibited_by: str | None = None
    resolved_at: datetime | None = None
    deliveries: int = 1
    flaps: int = 0
    repeat_resolves: int = 0
    last_decision: str = ""
    last_reason: str = ""
    dirty: bool = True  # needs a full write
    touched: int = 0  # repeat deliveries since the last write: a cheap counter update suffices
    written_repeat_resolves: int = 0  # repeat_resolves as last written (counters.py adds the rest)


class CorrLedger:
    """What is stored of an incident's corr_keys: its machine keys by row, the rest as one JSON value.

    A storm's incident learns a machine key per host its alerts run on; rewriting them all with
    every batch grew each write with the storm. lifecycle.join records here what it changes; a
    ledger describes `corr` only while corr_keys is that very dict with `shared` + `machines` keys
    (corr_store.valid), otherwise the next save rebuilds it.
    """

    __slots__ = ("corr", "shared", "machines", "fresh", "rewrite")

    def __init__(self, corr: dict[str, float], shared: dict[str, float], machines: int) -> None:
        self.corr = corr  # the corr_keys dict this ledger describes
        self.shared = shared  # its keys other than machine keys, as the row's JSON stores them
        self.machines = machines  # how many machine keys it holds
        self.fresh: dict[str, float] = {}  # machine keys set since the last save
        self.rewrite = False  # the stored machine rows may hold keys corr_keys no longer has


@dataclass(slots=True)
class Incident:
    """A group of alerts that share one cause and one living Slack message."""

    id: int  # negative until the store assigns a real id
    status: IncidentStatus
    title: str
    severity: str
    channel: str
    opened_at: datetime
    last_activity_at: datetime
    # Correlation memory as key -> epoch seconds, so each rule's window runs from the moment
    # its own evidence appeared, not from the incident's latest activity (which a long storm
    # keeps fresh forever and would let it swallow everything).
    group_keys: dict[str, float] = field(default_factory=dict)  # last time the group fired
    services: dict[str, float] = field(default_factory=dict)  # first time the service fired
    corr_keys: dict[str, float] = field(default_factory=dict)  # "rule|k=v" -> last fired
    alertnames: list[str] = field(default_factory=list)
    # Firing member fingerprint -> its group key. Never stored: the alerts table is the truth
    # (an alert fires in the incident its row points at), so a big incident costs no rewrite
    # per batch; repo.attach_firing rebuilds it on load.
    firing: dict[str, str] = field(default_factory=dict)
    inhibitors: dict[str, str] = field(default_factory=dict)  # inhibit key -> firing source fp
    alert_count: int = 0
    acked_at: datetime | None = None
    acked_by: str | None = None
    resolved_at: datetime | None = None
    resolved_by: str | None = None
    resolve_due_at: datetime | None = None
    snoozed_until: datetime | None = None
    reopen_count: int = 0
    posted: bool = False
    last_notified_at: datetime | None = None
    next_due_at: datetime | None = None
    silences: list[str] = field(default_factory=list)
    # Where its alerts came from (alertmanager, a generic webhook's source, anomaly): only
    # Alertmanager's alerts can be silenced there. Empty for rows an older release wrote.
    sources: list[str] = field(default_factory=list)
    thread_seq: int = 0
    # The open automatic thread reply that later growth folds into (messages.fold_into_reply):
    # {"seq", "at", "until", "changes", "alerts", "more"}; None once anything else is posted.
    thread_open: dict[str, Any] | None = None
    flaps: int = 0
    # What the first alert says and where to look (engine/alerts/lead.py), refreshed by its deliveries.
    lead: dict[str, Any] = field(default_factory=dict)
    commander: str | None = None  # Slack user id of the incident commander (Take)
    commander_name: str | None = None
    dirty: bool = True
    # A new occurrence of an alert whose incident resolved opens a new incident linked to it.
    recurrence_of: int | None = None
    recurrence_nth: int = 0  # how many times today, counting the first (0: not a recurrence or unknown)
    # How many firing members carry each group key: grouping asks "does this group still
    # fire here?" per alert, which must not walk a storm's thousands of members.
    firing_groups: dict[str, int] = field(default_factory=dict, repr=False, compare=False)
    # Bumped whenever a join changes what the grouping model reads of this incident (its memory,
    # services, status, last activity): a transaction's remembered verdicts are only reused
    # while no candidate's count moved (grouping.ModelMemo). Never stored.
    model_rev: int = field(default=0, repr=False, compare=False)
    # How corr_keys are stored (corr_store.py): the machine keys in their own rows, the rest in
    # the incident's row. None until a save or load describes corr_keys (the next save rewrites it).
    ledger: CorrLedger | None = field(default=None, repr=False, compare=False)

    @property
    def is_open(self) -> bool:
        """Return True unless the incident is resolved."""
        return self.status is not IncidentStatus.RESOLVED

    def add_firing(self, fingerprint: str, group_key: str) -> None:
        """Count a member alert as firing under its group key."""
        old = self.firing.get(fingerprint)
        if old == group_key:
            return
        if old is not None:
            self._uncount(old)
        self.firing[fingerprint] = group_key
        self.firing_groups[group_key] = self.firing_groups.get(group_key, 0) + 1

    def drop_firing(self, fingerprint: str) -> None:
        """Forget a member alert that stopped firing (no-op if it was not firing)."""
        old = self.firing.pop(fingerprint, None)
        if old is not None:
            self._uncount(old)

    def fires_group(self, group_key: str) -> bool:
        """Return True while any firing member carries the group key."""
        return group_key in self.firing_groups

    def _uncount(self, group_key: str) -> None:
        n = self.firing_groups[group_key] - 1
        if n:
            self.firing_groups[group_key] = n
        else:
            del self.firing_groups[group_key]


# Not frozen, like AlertEvent: a storm's onset builds two per alert (dedup, group). Treated as immutable.
@dataclass(slots=True)
class Decision:
    """A stage's verdict with its named reason, stored for `/ops why`."""

    stage: str  # dedup | group | inhibit | lifecycle | notify | snooze | silence
    name: str
    reason: str
    fingerprint: str | None = None
    incident_id: int | None = None
    next_due_at: datetime | None = None
    # An incident change's kind and facts (lifecycle.Change.facts), worded by the templates;
    # None for decisions whose reason is the whole story.
    facts: dict[str, Any] | None = None
