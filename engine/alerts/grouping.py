"""Grouping stage: decide which incident an alert occurrence belongs to, and why.

Inhibit rules (configuration a person wrote) and flapping come first; every other occurrence is
scored against the open incidents by the grouping model (engine/alerts/model.py). A new
occurrence of an alert whose incident resolved opens a new incident linked to that one
(a recurrence), unless it flaps.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Collection

from engine.alerts.config import AlertsConfig, InhibitRule
from engine.alerts.model import GroupingModel, explain
from engine.alerts.model_keys import NAMESPACE, Place
from engine.alerts.types import AlertEvent, AlertState, Incident

FLAP = "flap"  # dedup's name for a refire within the flap window (Dedup.FLAP)


@dataclass(frozen=True, slots=True)
class GroupDecision:
    """Where an alert goes: an existing incident (or None for a new one), the named reason."""

    incident: Incident | None
    name: str  # flapping | inhibited | model | recurrence | new
    reason: str
    inhibited_by: str | None = None
    recurrence_of: int | None = None  # the incident a new incident recurs, if any
    recurrence_nth: int = 0  # how many times today this recurred, counting the first (0: unknown)


def matches(labels: dict[str, str], match: dict[str, str]) -> bool:
    """Return True when every label in match has the same value in labels."""
    return all(labels.get(k) == v for k, v in match.items())


def equal_key(rule: InhibitRule, labels: dict[str, str]) -> str:
    """Return the rule-scoped key two alerts must share for the rule to link them."""
    return rule.name + "|" + "|".join(f"{k}={labels.get(k, '')}" for k in rule.equal)


def inhibit_sources(cfg: AlertsConfig, labels: dict[str, str]) -> list[str]:
    """Return the inhibit keys an alert provides while it fires."""
    return [equal_key(r, labels) for r in cfg.inhibit if matches(labels, r.source_match)]


def _nth(prev: Incident | None, now: datetime) -> int:
    if prev is None:
        return 0
    return max(prev.recurrence_nth, 1) + 1 if prev.opened_at.date() == now.date() else 1


def onset_ts(ev: AlertEvent, now: datetime) -> float:
    """Return when the occurrence began (its startsAt), never later than now, as epoch seconds."""
    # Grouping measures gaps between onsets, not between deliveries: a backlog delivered at once
    # (Opsbot restarting, Alertmanager retrying) keeps the minutes that separated its cascades.
    return min(ev.starts_at.timestamp(), now.timestamp())


class ModelMemo:
    """The grouping model's verdicts within one batch (or transaction), reused while no candidate changed.

    In a storm's onset a body's hundred alerts share a few (service, alert name, onset) tuples,
    which is all the model reads of an alert; scoring every candidate again for each gives the
    same answer as long as no candidate changed. The per-alert stages clear it whenever one did
    (a new incident, or a join that moved what the model reads: Incident.model_rev), so a reused
    verdict is exactly the one scoring would return. A node or host a join records moves nothing
    for alerts elsewhere: the verdict's key holds what each candidate knows of the alert's own
    machine instead (_model_key), so a storm across many instances still shares verdicts. The key
    also holds the alert's failure domains (zone, rack): alerts differing only there never share one.
    """

    __slots__ = ("verdicts",)

    def __init__(self) -> None:
        self.verdicts: dict[tuple[Any, ...], GroupDecision | str] = {}

    def clear(self) -> None:
        """Forget every verdict (a candidate changed)."""
        if self.verdicts:
            self.verdicts.clear()


def _model_key(labels: dict[str, str], where: Place, ts: float, model: GroupingModel,
               candidates: Collection[Incident], unplaced: tuple[object, ...] = ()) -> tuple[Any, ...]:
    # Everything GroupingModel.rank and context read of an alert (entity, cluster, namespace,
    # alert name; the group key is alertname|entity), its onset, the learned pairs' version, and
    # which candidates know its node or host, and how (all the host features read: alerts on
    # different instances of one service share a verdict unless a candidate tells them apart).
    # Its failure domains' keys (zone, rack; and whether it is about infrastructure): a join that
    # records one clears the memo (lifecycle.join moves model_rev), so the alert's own keys suffice.
    ent, cl, _, hosts, doms = where
    on_host: tuple[tuple[int | None, float | None, float | None], ...] = ()
    if hosts is not None:
        same, link = hosts
        # A plain loop: most alerts of a storm run on machines no candidate knows (no tuple to build).
        for c in candidates:
            corr = c.corr_keys
            if same in corr or link in corr:
                on_host += ((c.id, corr.get(same), corr.get(link)),)
    # unplaced: for an alert with no entity, its label values and the label statistics' version.
    return (ent, cl, labels.get(NAMESPACE), labels.get("alertname"), on_host, doms, ts, model.cooc.version, unplaced)


def model_verdict(model: GroupingModel, cfg: AlertsConfig, labels: dict[str, str],
                  candidates: Collection[Incident], ts: float, ent: str | None = None) -> GroupDecision | str:
    """Score the candidates for one alert: the decision to join one, or the words of why none."""
    ranked = model.rank(cfg, labels, candidates, ts, ent)
    runner = (f"; runner-up {explain(ranked[1])}" if len(ranked) > 1 else "") + model.entity_note(cfg, labels, ent)
    if ranked and ranked[0].score >= model.threshold:
        return GroupDecision(ranked[0].incident, "model", f"joined {explain(ranked[0])} >= threshold "
                             f"{model.threshold:.2f}{runner}")
    return (f"; best {explain(ranked[0])} < threshold {model.threshold:.2f}{runner}" if ranked else
            "; no open incident to join")


def choose_incident(ev: AlertEvent, state: AlertState, candidates: Collection[Incident],
                    cfg: AlertsConfig, now: datetime, model: GroupingModel | None = None,
                    memo: ModelMemo | None = None, ts: float | None = None,
                    where: Place | None = None) -> GroupDecision:
    """Pick the incident a firing occurrence joins (or None for a new one), with a named reason.

    `memo` (the batch's, see ModelMemo) reuses the model's verdict for an alert that reads
    the same as one already scored while no candidate changed; `ts` is onset_ts(ev, now) and
    `where` model.place(cfg, ev.labels), if known.
    """
    prev = next((i for i in candidates if i.id == state.incident_id), None) if state.incident_id else None
    if prev is not None and state.last_decision == FLAP:
        # Several short firings are one problem: the occurrence stays where the alert was.
        return GroupDecision(prev, "flapping", f"flapping: fired again within the flap window "
                             f"({cfg.flap_window_s:.0f}s); stays in incident #{prev.id}")
    labels = ev.labels
    for rule in cfg.inhibit:
        if not matches(labels, rule.target_match):
            continue
        key = equal_key(rule, labels)
        hits = [i for i in candidates if i.is_open and key in i.inhibitors and i.inhibitors[key] != ev.fingerprint]
        if hits:
            hit = max(hits, key=lambda i: (i.last_activity_at, i.id))
            src = hit.inhibitors[key]
            return GroupDecision(hit, "inhibited", f"inhibited by firing alert {src} (rule "
                                 f"'{rule.name}'): attached to incident #{hit.id}, not posted", src)
    model = model or GroupingModel(cfg)
    if ts is None:
        ts = onset_ts(ev, now)
    verdict: GroupDecision | str | None
    if where is None:
        where = model.place(cfg, labels)
    # Every alert with no entity is counted, whether scored or answered from the memo (model_labels).
    unplaced = model.observe(cfg, labels)  # (its entity counts only when a configured label names it)
    if memo is None or model.trace is not None:  # the fit records every scoring
        verdict = model_verdict(model, cfg, labels, candidates, ts, where[0])
    else:
        sig = _model_key(labels, where, ts, model, candidates, unplaced)
        verdict = memo.verdicts.get(sig)
        if verdict is None:
            verdict = memo.verdicts[sig] = model_verdict(model, cfg, labels, candidates, ts, where[0])
    if isinstance(verdict, GroupDecision):  # joined (it names no fact of one alert: shared)
        return verdict
    best = verdict
    if state.incident_id is not None:
        nth = _nth(prev, now)
        times = f" ({_ordinal(nth)} time today)" if nth > 1 else ""
        return GroupDecision(None, "recurrence", f"recurrence of #{state.incident_id}{times}: a new occurrence "
                             f"of an alert that last fired there opens a new incident{best}",
                             recurrence_of=state.incident_id, recurrence_nth=nth)
    return GroupDecision(None, "new", f"new incident{best}")


def _ordinal(n: int) -> str:
    return f"{n}{'th' if 10 <= n % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"
