"""Grouping stage: decide which incident an alert belongs to, and why."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Iterable

from engine.alerts.config import AlertsConfig, InhibitRule
from engine.alerts.graphless import BurstVerdict, burst_active, burst_key, decide_burst, decide_cross_scope
from engine.alerts.types import AlertEvent, AlertState, Incident


@dataclass(frozen=True, slots=True)
class GroupDecision:
    """Where an alert goes: an existing incident (or None for a new one), the rule and reason."""

    incident: Incident | None
    # member | inhibited | group_key | downstream | upstream | shared_labels | burst | second_cause
    # | cross_scope | new
    name: str
    reason: str
    inhibited_by: str | None = None


def matches(labels: dict[str, str], match: dict[str, str]) -> bool:
    """Return True when every label in match has the same value in labels."""
    return all(labels.get(k) == v for k, v in match.items())


def equal_key(rule: InhibitRule, labels: dict[str, str]) -> str:
    """Return the rule-scoped key two alerts must share for the rule to link them."""
    return rule.name + "|" + "|".join(f"{k}={labels.get(k, '')}" for k in rule.equal)


def corr_keys(cfg: AlertsConfig, labels: dict[str, str]) -> list[str]:
    """Return the shared-label keys an alert contributes, one per rule whose labels it has."""
    out = []
    for rule in cfg.shared_labels:
        if all(labels.get(k) for k in rule.labels):
            out.append(rule.name + "|" + "|".join(f"{k}={labels[k]}" for k in rule.labels)
                       + "".join(f"|{k}={labels[k]}" for k in rule.scope if labels.get(k)))
    if burst_active(cfg):
        out.append(burst_key(cfg, labels))
    return out


def inhibit_sources(cfg: AlertsConfig, labels: dict[str, str]) -> list[str]:
    """Return the inhibit keys an alert provides while it fires."""
    return [equal_key(r, labels) for r in cfg.inhibit if matches(labels, r.source_match)]


@lru_cache(maxsize=64)
def _graph(depends_on: tuple[tuple[str, tuple[str, ...]], ...]) -> dict[str, frozenset[str]]:
    deps = {k: v for k, v in depends_on}
    closure: dict[str, frozenset[str]] = {}
    for svc in deps:
        seen: set[str] = set()
        stack = list(deps.get(svc, ()))
        while stack:
            s = stack.pop()
            if s not in seen:
                seen.add(s)
                stack.extend(deps.get(s, ()))
        closure[svc] = frozenset(seen)
    return closure


def upstream_closure(cfg: AlertsConfig) -> dict[str, frozenset[str]]:
    """Return service -> all services it transitively depends on (cached per config)."""
    frozen = tuple(sorted((k, tuple(v)) for k, v in cfg.depends_on.items()))
    return _graph(frozen)


def _within(seen: dict[str, float], key: str, now_ts: float, window_s: float) -> bool:
    t = seen.get(key)
    return t is not None and now_ts - t <= window_s


def _best(cands: Iterable[Incident]) -> Incident | None:
    # Prefer an open incident, then the most recently active one: it is the likelier cause.
    return max(cands, key=lambda i: (i.is_open, i.last_activity_at, i.id), default=None)


class _LazyBurst:
    """The graph-less verdict, computed at most once and only when a rule asks for it."""

    def __init__(self, ev: AlertEvent, candidates: list[Incident], cfg: AlertsConfig, now: datetime) -> None:
        self.args, self.done, self.value = (ev, candidates, cfg, now), False, None

    def verdict(self) -> BurstVerdict | None:
        """Return the burst verdict, or None when the fallback is off or no burst applies."""
        if not self.done:
            self.done = True
            if burst_active(self.args[2]):
                self.value = decide_burst(*self.args)
        return self.value


def choose_incident(ev: AlertEvent, state: AlertState, candidates: list[Incident],
                    cfg: AlertsConfig, now: datetime) -> GroupDecision:
    """Pick the incident a firing alert joins, by the first rule that applies."""
    # Resolved incidents stay joinable only within the reopen window; after it, a recurrence
    # is news and deserves its own incident.
    candidates = [i for i in candidates if i.is_open or (
        i.resolved_at is not None and (now - i.resolved_at).total_seconds() <= cfg.reopen_window_s)]
    by_id = {i.id: i for i in candidates}
    burst = _LazyBurst(ev, candidates, cfg, now)
    if state.incident_id is not None and state.incident_id in by_id:
        inc = by_id[state.incident_id]
        if not inc.is_open:
            # Without a graph, a recurrence during a fresh burst in its scope is more likely
            # part of that burst than a return of the incident it once belonged to.
            v = burst.verdict()
            if v and v.incident is not None and v.age_s <= cfg.burst_window_s:
                return GroupDecision(v.incident, "burst", f"{v.reason}; not reopening resolved "
                                     f"incident #{inc.id}")
        verb = "still part of" if inc.is_open else "recurred within the reopen window of"
        return GroupDecision(inc, "member", f"{verb} incident #{inc.id}")
    labels = ev.labels
    for rule in cfg.inhibit:
        if not matches(labels, rule.target_match):
            continue
        key = equal_key(rule, labels)
        hit = _best(i for i in candidates if i.is_open and key in i.inhibitors
                    and i.inhibitors[key] != ev.fingerprint)
        if hit:
            src = hit.inhibitors[key]
            return GroupDecision(hit, "inhibited", f"inhibited by firing alert {src} (rule "
                                 f"'{rule.name}'): attached to incident #{hit.id}, not posted", src)
    ts = now.timestamp()
    svc, sev = labels.get(cfg.service_label), labels.get(cfg.severity_label, "")
    if svc and cfg.depends_on:
        hit = _by_dependency(svc, candidates, cfg, ts, sev in cfg.burst_cause_severities)
        if hit:
            return hit
    keys = corr_keys(cfg, labels)
    for rule, key in ((r, k) for r in cfg.shared_labels for k in keys if k.startswith(r.name + "|")):
        hit = _best(i for i in candidates if _within(i.corr_keys, key, ts, rule.window_s))
        if hit:
            shared = ", ".join(key.split("|")[1:])
            v = burst.verdict()
            if v and v.incident is not None and v.incident is not hit and v.age_s < ts - hit.corr_keys[key]:
                # The fresher evidence wins: a burst that grew seconds ago explains this onset
                # better than an incident whose shared labels last fired minutes ago.
                return GroupDecision(v.incident, "burst", f"{v.reason}; fresher than incident "
                                     f"#{hit.id}, which last had {shared} {ts - hit.corr_keys[key]:.0f}s ago")
            return GroupDecision(hit, "shared_labels", f"shares {shared} with incident #{hit.id} "
                                 f"within {rule.window_s:.0f}s (rule '{rule.name}')")
    verdict = burst.verdict()
    if verdict:
        return GroupDecision(verdict.incident, verdict.name, verdict.reason)
    # Alertmanager's group comes after our own rules: its group_by is routing config and is
    # often coarse (alertname, cluster), which would glue unrelated cascades together.
    if ev.group_key and (ev.group_labels is None or ev.group_labels.issuperset(cfg.group_key_requires)):
        # Alertmanager keeps a group alive while any of its alerts fire; after that only a
        # short window links a new alert of the same group.
        hit = _best(i for i in candidates if i.fires_group(ev.group_key)
                    or _within(i.group_keys, ev.group_key, ts, cfg.group_key_window_s))
        if hit:
            return GroupDecision(hit, "group_key", f"same Alertmanager group {ev.group_key} "
                                 f"as incident #{hit.id}")
    cross = decide_cross_scope(ev, candidates, cfg, now) if burst_active(cfg) else None
    if cross:
        return GroupDecision(cross.incident, cross.name, cross.reason)
    if svc and cfg.depends_on and sev in cfg.burst_cause_severities:
        beside = _by_dependency(svc, candidates, cfg, ts)  # what the graph alone would have linked
        if beside and beside.name == "upstream":
            return GroupDecision(None, "second_cause", f"{svc} fired at {sev}, a cause severity, beside "
                                 f"incident #{beside.incident.id}, which began elsewhere and already has "
                                 f"its cause: a second origin opens its own incident")
    return GroupDecision(None, "new", "no open incident matched any grouping rule")


def _by_dependency(svc: str, candidates: list[Incident], cfg: AlertsConfig, ts: float,
                   cause: bool = False) -> GroupDecision | None:
    closure = upstream_closure(cfg)
    ups, direct = closure.get(svc, frozenset()), set(cfg.depends_on.get(svc, ()))
    links: list[tuple] = []
    for inc in candidates:
        # A cause-severity alert links up to an incident that already has its cause only when
        # it sits above where that incident began (its cause firing late); elsewhere it is a
        # second origin whose own symptoms only happen to share a dependency.
        second_origin = cause and inc.severity in cfg.burst_cause_severities and inc.services and (
            svc not in closure.get(min(inc.services, key=inc.services.get), ()))
        # A cascade spreads within minutes of its cause: only services that started firing in
        # an incident within the window link a new alert to it.
        fresh = {s: t for s, t in inc.services.items() if ts - t <= cfg.dependency_window_s}
        causes = [s for s in fresh if s in ups]
        effects = [] if second_origin else [
            s for s in fresh if svc in closure.get(s, ()) and ts - fresh[s] <= cfg.cause_lag_s]
        for kind, linked, near in (("downstream", causes, direct),
                                   ("upstream", effects, {s for s in effects if svc in cfg.depends_on.get(s, ())})):
            if not linked:
                continue
            # Prefer a symptom's cause over its effect; then the incident this service already
            # fires in (a second upstream failing minutes later does not take over a symptom
            # the first one already explains); then a direct edge over a transitive one, then
            # the link that appeared most recently (cascades are local in time).
            anchor = max(linked, key=lambda s: (s in near, fresh[s]))
            links.append(((kind == "downstream", svc in fresh, anchor in near, fresh[anchor], inc.id),
                          inc, kind, anchor))
    if not links:
        return None
    score, inc, kind, anchor = max(links, key=lambda link: link[0])
    where = ""
    if score[1]:  # name the link the service's own incident outranked, if any
        _, rival, _, rival_anchor = max(links, key=lambda link: link[0][:1] + link[0][2:])
        if rival is not inc:
            where = f"; {svc} already fires there, which outranks {rival_anchor} in incident #{rival.id}"
    if kind == "downstream":
        return GroupDecision(inc, kind, f"{svc} depends on {anchor}, already in incident #{inc.id}: "
                             f"a downstream symptom joins its cause{where}")
    return GroupDecision(inc, kind, f"{anchor} in incident #{inc.id} depends on {svc}: "
                         f"the likely cause joins its symptoms{where}")
