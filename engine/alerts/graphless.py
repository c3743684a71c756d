"""Graph-less correlation: group alerts by onset time within a scope, one cause per burst.

Without `depends_on` the only evidence that two alerts share a cause is in the stream itself:
they start close together (a cascade spreads hop by hop within minutes), in the same scope
(cluster, namespace), and a cascade has one origin. The pieces here are pure; the incident's
memory of onsets, causes, severities and the scopes it reached lives in its `corr_keys` JSON
(`onset|job=x`, `cause|job=x`, `sev|job=x|warning`, `reach|cluster=a|namespace=b`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Iterable

from engine.alerts.config import AlertsConfig
from engine.alerts.types import AlertEvent, BurstMemo, Incident

ONSET, CAUSE, SYMPTOM, SEVERITY, REACH = "onset|", "cause|", "symptom|", "sev|", "reach|"
MEMO_PREFIXES = (ONSET, CAUSE, SYMPTOM, SEVERITY)  # the keys memo() derives from
SCOPE = "burst|"  # prefix of burst_key


@dataclass(frozen=True, slots=True)
class BurstVerdict:
    """What the graph-less rules say: join `incident`, or open a new one (None), and why."""

    incident: Incident | None
    name: str  # burst | second_cause | cross_scope
    reason: str
    age_s: float = 0.0  # how long before this alert the joined burst last grew


def burst_active(cfg: AlertsConfig) -> bool:
    """Return True when the burst fallback applies: enabled and no dependency graph configured."""
    return cfg.burst_window_s > 0 and not cfg.depends_on


def burst_key(cfg: AlertsConfig, labels: dict[str, str]) -> str:
    """Return the scope key (cluster, namespace, ...) two alerts must share to form one burst."""
    return SCOPE + "|".join(f"{k}={labels.get(k, '')}" for k in cfg.burst_scope)


def entity(cfg: AlertsConfig, labels: dict[str, str]) -> str | None:
    """Return `label=value` of what is alerting (service, else app, else job ...), or None."""
    for k in (cfg.service_label, *cfg.burst_entity_labels):
        if labels.get(k):
            return f"{k}={labels[k]}"
    return None


def is_cause(cfg: AlertsConfig, labels: dict[str, str]) -> bool:
    """Return True when the alert's severity marks a likely origin rather than a symptom."""
    return labels.get(cfg.severity_label, "") in cfg.burst_cause_severities


def onset_keys(cfg: AlertsConfig, labels: dict[str, str]) -> list[str]:
    """Return the first-seen keys an alert leaves on its incident: entity onset, role, severity, scope."""
    ent = entity(cfg, labels) if burst_active(cfg) else None
    if ent is None:
        return []
    return [ONSET + ent, (CAUSE if is_cause(cfg, labels) else SYMPTOM) + ent,
            f"{SEVERITY}{ent}|{labels.get(cfg.severity_label, '')}",
            REACH + burst_key(cfg, labels)[len(SCOPE):]]


def memo(inc: Incident) -> BurstMemo:
    """Return the incident's burst summary, recomputed only when its `corr_keys` grew.

    Grouping asks for it once per candidate incident for every firing alert, and a long burst
    carries hundreds of keys. The summary stays valid while the dict keeps its size: keys are
    only ever added, and onset/cause/symptom/reach keys are written once (lifecycle.join uses
    setdefault, and drops the memo if a shared-label key rewrites one), so only a new key can
    change what is derived here.
    """
    m = inc.burst_memo
    keys = inc.corr_keys
    if m is not None and m.keys is keys and m.size == len(keys) and m.opened_at is inc.opened_at:
        return m
    onsets: list[float] = []
    cause: set[str] = set()
    symptom: set[str] = set()
    rated: set[str] = set()
    reach: list[tuple[float, str]] = []
    multi = False
    for k, t in keys.items():
        if k.startswith(ONSET):
            onsets.append(t)
        elif k.startswith(CAUSE):
            cause.add(k[len(CAUSE):])
        elif k.startswith(SYMPTOM):
            symptom.add(k[len(SYMPTOM):])
        elif k.startswith(SEVERITY):
            ent = k[len(SEVERITY):].rpartition("|")[0]
            multi = multi or ent in rated
            rated.add(ent)
        elif k.startswith(REACH):
            reach.append((t, k))
    # The same expression as before the memo, so ties and float values are bit-identical.
    front_ts = max([inc.opened_at.timestamp(), *onsets])
    origin = SCOPE + min(reach)[1][len(REACH):] if len(reach) > 1 else ""
    m = BurstMemo(keys, len(keys), inc.opened_at, front_ts, frozenset(cause - symptom),
                  frozenset(cause & symptom), multi, origin)
    inc.burst_memo = m
    return m


def front(inc: Incident) -> float:
    """Return when the incident last grew: its opening or the latest first onset of an entity."""
    return memo(inc).front


def scope_front(inc: Incident, key: str) -> float:
    """Return when the incident last grew as seen from one scope (a burst_key).

    A cascade flows away from its origin: onsets in the namespaces it crossed into keep those
    bursts alive, but say nothing about a new failure back in the namespace it started from.
    There the front is the last alert that fired in that scope (its burst_key's time), capped
    by the incident's front: no entity's first onset there is later than either, and a repeat
    or flap must not make the scope look fresher than the incident itself.
    """
    m = memo(inc)
    return min(inc.corr_keys.get(key, m.front), m.front) if key == m.origin else m.front


def causes(inc: Incident) -> set[str]:
    """Return the entities that fired only at a cause severity in the incident."""
    return set(memo(inc).causes)


def mixed(inc: Incident) -> set[str]:
    """Return the entities that fired both at a cause severity and below it."""
    return set(memo(inc).mixed)


def severity_tells_roles(incidents: Iterable[Incident]) -> bool:
    """Return True unless some entity fired at two different severities in these incidents.

    Where severity follows the role (origins page, symptoms warn) no entity mixes them; where
    a stream assigns severities per alert regardless of role, entities soon do, and severity
    then says nothing about origins. Counting any two severities, not only a cause severity
    and another, makes this hold for every vocabulary (error/warning, page/ticket, P1/P3).
    """
    return not any(memo(i).multi for i in incidents)


def _pick(hits: Iterable[Incident], key: str) -> Incident | None:
    # The burst that grew most recently in this scope is the one this onset most likely continues.
    return max(hits, key=lambda i: (scope_front(i, key), i.last_activity_at, i.id), default=None)


def decide_burst(ev: AlertEvent, candidates: list[Incident], cfg: AlertsConfig,
                 now: datetime) -> BurstVerdict | None:
    """Return the burst a firing alert continues, a second cause that must not join, or None."""
    key, ts, win = burst_key(cfg, ev.labels), now.timestamp(), cfg.burst_window_s
    ent, cause = entity(cfg, ev.labels), is_cause(cfg, ev.labels)
    scope = ", ".join(key.split("|")[1:]) or "any scope"
    # The burst grows while new entities keep joining it (a cascade spreads hop by hop), but
    # only recent onsets count, so a long incident cannot swallow the next unrelated one.
    # In the scope a cascade crossed out of, only onsets there count (scope_front).
    live = [i for i in candidates if i.is_open and key in i.corr_keys]
    hit = _pick((i for i in live if ts - scope_front(i, key) <= win), key)
    if hit is None:
        # A symptom may trail its cause by several hops' delay: where severities follow roles
        # in this stream, an alert below cause severity joins a burst with a cause for longer.
        sym_win = cfg.burst_symptom_window_s
        if ent is None or cause or sym_win <= win or not severity_tells_roles(candidates):
            return None
        hit = _pick((i for i in live if ts - scope_front(i, key) <= sym_win and memo(i).causes), key)
        if hit is None:
            return None
        return BurstVerdict(hit, "burst", f"no dependency graph configured: a symptom ({ent}) within "
                            f"{sym_win:.0f}s of the latest onset in incident #{hit.id} ({scope}), whose "
                            f"cause is {sorted(causes(hit))[0]}", ts - scope_front(hit, key))
    if cause and ent and ONSET + ent not in hit.corr_keys:
        other = sorted(causes(hit) - {ent})
        if other and severity_tells_roles(candidates):
            # A cascade has one origin: a second entity paging at cause severity within the
            # same minutes is an independent failure more often than a symptom of the first.
            return BurstVerdict(None, "second_cause", f"no dependency graph configured: {ent} fired at "
                                f"{ev.labels.get(cfg.severity_label)} while incident #{hit.id} already has "
                                f"its cause ({other[0]}): a second origin opens its own incident")
    return BurstVerdict(hit, "burst", f"no dependency graph configured: fired within {win:.0f}s of "
                        f"the latest onset in incident #{hit.id} ({scope})", ts - scope_front(hit, key))


def _scope_of(key: str) -> dict[str, str]:
    # "burst|cluster=a|namespace=b" -> {"cluster": "a", "namespace": "b"}
    return dict(p.partition("=")[::2] for p in key.split("|")[1:])


def _outer(cfg: AlertsConfig, scope: dict[str, str]) -> tuple[str, ...]:
    return tuple(scope.get(k, "") for k in cfg.burst_cross_shared)


def origin_rank(cfg: AlertsConfig, severity: str) -> int:
    """Return how strongly a severity marks an origin: origin severities first, then `severities` order."""
    if severity in cfg.burst_cross_origin_severities:
        return len(cfg.severities)
    return cfg.severity_rank(severity)


def _reached(cfg: AlertsConfig, inc: Incident, outer: tuple[str, ...]) -> list[str]:
    return [k for k in inc.corr_keys if k.startswith(SCOPE) and _outer(cfg, _scope_of(k)) == outer]


def _cascade_front(cfg: AlertsConfig, inc: Incident, outer: tuple[str, ...], roles: bool) -> tuple[float, str]:
    """Return when a burst last advanced as a cascade, and how: its opening or its newest scope."""
    opened = inc.opened_at.timestamp()
    if roles:
        # Where severity follows roles each crossing was checked by it, so the cascade's front is
        # its newest hop: a shared dependency's dependents alert after their own `for:` lags,
        # each measured from the failure, not from the first dependent that noticed.
        newest = max(inc.corr_keys.get(REACH + k[len(SCOPE):], opened) for k in _reached(cfg, inc, outer))
        if newest > opened:
            return newest, "reached its newest scope"
    return opened, "opened"


def decide_cross_scope(ev: AlertEvent, candidates: list[Incident], cfg: AlertsConfig,
                       now: datetime) -> BurstVerdict | None:
    """Return the one young burst of a sibling scope a new scope's first onset continues, or None."""
    win = cfg.burst_cross_window_s
    ent = entity(cfg, ev.labels)
    if win <= 0 or ent is None:
        return None
    key, ts = burst_key(cfg, ev.labels), now.timestamp()
    outer = _outer(cfg, _scope_of(key))
    sev = ev.labels.get(cfg.severity_label, "")
    roles = severity_tells_roles(candidates)
    if roles:
        if sev in cfg.burst_cross_origin_severities:
            return None  # an origin in its own scope: the start of a cascade, not a hop of another
        # Severity checks each crossing here (below), so, as a symptom may trail a burst with a
        # cause for longer in its own scope, a hop may trail the latest onset as long; the age
        # limit still bounds it from the cascade's newest hop.
        win = max(win, cfg.burst_symptom_window_s)
    fronts: list[tuple[Incident, float, str]] = []
    for i in candidates:
        if not i.is_open or ts - memo(i).front > win:
            continue
        if key in i.corr_keys:
            return None  # this scope already has a fresh burst of its own: not a crossing
        if not _reached(cfg, i, outer):
            continue
        # Only a burst this alert could continue competes for it: one that opened or last crossed
        # minutes ago (a cascade's front) and, where severity follows roles, one it fires below
        # (a hop fires below the burst it continues; one as severe is an origin).
        since, hop = _cascade_front(cfg, i, outer, roles)
        if ts - since <= cfg.burst_cross_age_s and not (
                roles and origin_rank(cfg, sev) >= origin_rank(cfg, i.severity)):
            fronts.append((i, since, hop))
    if not fronts:
        return None
    only = "the only fresh burst in"
    if len(fronts) > 1:
        # Of competing fronts, one that already crossed into another scope has shown it is a shared
        # failure whose dependents keep alerting; one still inside its own scope has not.
        crossed = [f for f in fronts if len(_reached(cfg, f[0], outer)) > 1]
        if len(crossed) == 1:
            fronts, only = crossed, "the only fresh burst that already crossed scopes in"
        else:
            # None or several: a dependent alerts a hop's delay after its cause, so the burst that
            # opened first has had time to reach this scope; a newer one's dependents are most
            # likely still inside their own `for:` lag. Opening an incident of its own instead
            # would split a cascade for certain rather than risk a wrong link.
            first = min(crossed or fronts, key=lambda f: (f[0].opened_at, f[0].id))
            fronts, only = [first], f"the earliest of {len(fronts)} fresh bursts in"
    hit, since, hop = fronts[0]
    young = ts - since
    scope = ", ".join(key.split("|")[1:])
    how = (f"{sev or 'no severity'} below its {hit.severity}" if roles
           else "severities here do not follow roles, so timing alone")
    return BurstVerdict(hit, "cross_scope", f"no dependency graph configured: first onset in {scope} "
                        f"{ts - front(hit):.0f}s after the latest onset in incident #{hit.id}, which "
                        f"{hop} {young:.0f}s ago, {only} "
                        f"{', '.join(cfg.burst_cross_shared)} it can continue ({how})", ts - front(hit))
