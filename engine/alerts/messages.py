"""Turn incidents and notify decisions into Notices for the outbox."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Callable, Iterable

from engine.alerts.card import (AlertGroup, CardLead, CardLink, CardOwner, ChangeFacts, ChangeLine, IncidentCard,
                                IncidentPage, IncidentUpdate, SuggestedRunbook)
from engine.alerts import thread_fold
from engine.alerts.config import AlertsConfig
from engine.alerts.lead import card_links, with_times
from engine.alerts.lifecycle import Change, change_key
from engine.alerts.notify import NotifyDecision
from engine.alerts.types import AlertState, Incident, Status
from engine.core.notices import Notice

MAX_THREAD_ALERTS = 20  # a folded reply remembers at most this many alerts; the rest are counted
MAX_THREAD_GROUPS = 15  # a thread reply names at most this many alert names; the rest are counted

# action_ids of the incident message's buttons (templates/slack/alerts/incident.json.j2)
ACK, RESOLVE, SILENCE, UNSILENCE = "alerts.ack", "alerts.resolve", "alerts.silence", "alerts.unsilence"
TAKE, REOPEN, NOTE, NOTE_MODAL = "alerts.take", "alerts.reopen", "alerts.note", "alerts.note_modal"
LINK_PREFIX = "alerts.link."  # link buttons (alert source, runbook, dashboard): Slack still sends a click
SNOOZE_PREFIX = "alerts.snooze."  # followed by the seconds, e.g. alerts.snooze.900
INCIDENT_TEMPLATE = IncidentCard.TEMPLATE
PAGE_TEMPLATE = IncidentPage.TEMPLATE
MAX_SUGGESTED_RUNBOOKS = 3  # each takes its own actions block (one `runbook.open` per block)
MAX_LABEL_VIEWS = 200  # alertname x service pairs tried against runbook `match` labels

# Adds to an incident card before it is stored by setting its typed fields, e.g.
# `suggested_runbooks` or `extra_actions` (Buttons shown after the built-in ones; the template words them).
MessageExtension = Callable[[IncidentCard], None]


def message_key(incident_id: int) -> str:
    """Return the outbox key of an incident's one living message."""
    return f"incident:{incident_id}"


def _iso(dt: datetime | None) -> str | None:
    return dt.isoformat() if dt else None


def incident_card(inc: Incident, cfg: AlertsConfig) -> IncidentCard:
    """Return the typed facts the incident message shows, before other features add to them."""
    lead = inc.lead or {}
    owner = cfg.owner_of(lead.get("labels") or {})
    return IncidentCard(
        id=inc.id, title=inc.title, severity=inc.severity or "unknown",
        status=inc.status.value, alert_count=inc.alert_count, firing_count=len(inc.firing),
        services=list(inc.services), alertnames=list(inc.alertnames),
        opened_at=_iso(inc.opened_at), acked_at=_iso(inc.acked_at), acked_by=inc.acked_by,
        resolved_at=_iso(inc.resolved_at), resolved_by=inc.resolved_by,
        resolve_due_at=_iso(inc.resolve_due_at), snoozed_until=_iso(inc.snoozed_until) if inc.is_open else None,
        reopen_count=inc.reopen_count, flaps=inc.flaps, silences=list(inc.silences),
        flapping=inc.flaps > 0, recurrence_of=inc.recurrence_of, recurrence_nth=inc.recurrence_nth,
        snooze_choices_s=list(cfg.snooze_choices_s),
        silence_enabled=cfg.alertmanager_url is not None,
        # Unknown sources (a row from before they were kept) keep the button, as before.
        silence_applies=not inc.sources or "alertmanager" in inc.sources,
        sources=list(inc.sources),
        lead=CardLead(alertname=lead.get("alertname"), value=lead.get("value"),
                      summary=with_times(lead.get("summary") or ""),
                      description=with_times(lead.get("description") or "")) if lead else None,
        more_alerts=max(0, inc.alert_count - 1),
        links=[CardLink(**link) for link in card_links(lead, list(inc.services), cfg)],
        # `oncall` is filled by the on-call extension (engine/oncall/service.py) when configured.
        owner=CardOwner(team=owner.team, usergroup=owner.usergroup) if owner else None,
        commander=inc.commander, commander_name=inc.commander_name,
    )


def incident_context(inc: Incident, cfg: AlertsConfig) -> dict[str, Any]:
    """Return the JSON of an incident's plain card (the views `/ops incidents` and `/ops incident` show)."""
    return incident_card(inc, cfg).as_context()


def page_notice(inc: Incident, cfg: AlertsConfig, card: IncidentCard | None = None) -> Notice | None:
    """Return the one thread reply that @-mentions the owning group of a new incident, if it pages.

    Its own outbox key is emitted only with the first post, so the group is mentioned once:
    the card is re-rendered on every change and must never carry a mention itself.
    """
    owner = cfg.owner_of((inc.lead or {}).get("labels") or {})
    if owner is None or owner.usergroup is None:
        return None
    if cfg.severity_rank(inc.severity) < cfg.severity_rank(cfg.page_min_severity):
        return None
    # The enriched card context: the page names the on-call, as the card does.
    page = IncidentPage(incident=card if card is not None else incident_card(inc, cfg),
                        usergroup=owner.usergroup, team=owner.team)
    return Notice.of(page, key=f"{message_key(inc.id)}:page", channel=inc.channel, thread_key=message_key(inc.id))


def label_views(card: IncidentCard, cfg: AlertsConfig) -> list[dict[str, str]]:
    """Return label sets an incident's alerts carry (alertname x service, with its severity).

    Built from the incident's own accumulated alertnames and services rather than one
    batch's members, so suggestions stay stable as later batches edit the message.
    """
    services: list[str | None] = [*card.services] or [None]
    out: list[dict[str, str]] = []
    for name in card.alertnames:
        for svc in services:
            labels = {"alertname": name, cfg.severity_label: card.severity}
            if svc:
                labels[cfg.service_label] = svc
            out.append(labels)
            if len(out) >= MAX_LABEL_VIEWS:
                return out
    return out


def runbook_suggestions(suggest: Callable[[dict[str, str]], list[str]], cfg: AlertsConfig) -> MessageExtension:
    """Return an extension that lists runbooks whose `match` labels match the incident's alerts."""

    def extend(card: IncidentCard) -> None:
        names: list[str] = []
        for labels in label_views(card, cfg):
            names += [n for n in suggest(labels) if n not in names]
        card.suggested_runbooks = [SuggestedRunbook(name=n) for n in names[:MAX_SUGGESTED_RUNBOOKS]]
    return extend


def alert_line(st: AlertState) -> dict[str, Any]:
    """Return one alert as the thread reply lists it."""
    return {"fingerprint": st.fingerprint, "alertname": st.labels.get("alertname", ""),
            "status": st.status.value, "summary": st.annotations.get("summary", ""),
            "labels": {k: v for k, v in sorted(st.labels.items()) if k != "alertname"},
            "starts_at": _iso(st.starts_at), "inhibited_by": st.inhibited_by}


def build_notices(inc: Incident, decision: NotifyDecision, changes: list[Change],
                  members: list[AlertState], cfg: AlertsConfig, now: datetime,
                  card: IncidentCard | None = None) -> list[Notice]:
    """Return the notices a decision calls for and record the notification on the incident.

    `card` is the message context the enrich stage built; without it the plain context is used.
    """
    out: list[Notice] = []
    key = message_key(inc.id)
    if decision.message in ("post", "edit"):
        out.append(card_notice(inc, card if card is not None else incident_card(inc, cfg)))
    if decision.message == "post":
        inc.posted, inc.last_notified_at = True, now
        page = page_notice(inc, cfg, card)
        if page is not None:
            out.append(page)
    if decision.thread:
        inc.last_notified_at = now
        update = thread_update(inc, decision.fold, changes, members, cfg, now)
        out.append(Notice.of(update, key=f"{key}:update:{inc.thread_seq}", channel=inc.channel, thread_key=key))
    inc.next_due_at = decision.next_due_at
    inc.dirty = True
    return out


def thread_update(inc: Incident, fold: bool, changes: list[Change], members: list[AlertState],
                  cfg: AlertsConfig, now: datetime) -> IncidentUpdate:
    """Return the incident's thread reply: a new one, or the open one with this batch folded in."""
    lines = [line.model_dump(mode="json") for line in fold_changes(changes)]
    previous = inc.thread_open if fold else None
    if previous is None:
        inc.thread_seq += 1
        shown, more = thread_fold.reply_alerts(None, members, MAX_THREAD_ALERTS, cfg.service_label)
        started = _iso(now)
        # A new reply counts every alert by name ("HighErrorRate x22"), not the first 20 of them:
        # "x13 ... and 18 more" contradicted the card and `/ops incident`.
        groups, listed_more = _named_groups(member_groups(members, cfg.service_label))
    else:  # the same key: the outbox edits the reply already in the thread
        lines = thread_fold.merge_lines(previous["changes"], lines)
        shown, overflow = thread_fold.reply_alerts(previous["alerts"], members, MAX_THREAD_ALERTS,
                                                   cfg.service_label)
        more, started = previous["more"] + overflow, previous["at"]
        groups, beyond = _named_groups(alert_groups(shown, cfg.service_label))
        listed_more = more + beyond
    inc.thread_open = ({"seq": inc.thread_seq, "at": started, "until": _iso(now), "changes": lines,
                        "alerts": shown, "more": more} if thread_fold.opens(changes) else None)
    return IncidentUpdate(
        incident=incident_card(inc, cfg), at=started, until=_iso(now) if previous is not None else None,
        changes=[ChangeLine(**line) for line in lines],
        groups=[AlertGroup(**g) for g in groups], more_alerts=listed_more)


def _named_groups(groups: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], int]:
    """Return the alert groups a reply names and how many alerts the unnamed rest holds."""
    return groups[:MAX_THREAD_GROUPS], sum(g["total"] for g in groups[MAX_THREAD_GROUPS:])


def card_notice(inc: Incident, card: IncidentCard) -> Notice:
    """Return the notice that posts or edits an incident's one living message."""
    return Notice.of(card, key=message_key(inc.id), channel=inc.channel)


def alert_groups(alerts: list[dict[str, Any]], service_label: str = "service") -> list[dict[str, Any]]:
    """Fold an incident's alerts by name: how many, how many still firing, on which services."""
    return _fold_by_name((a["alertname"], a["status"] != "resolved", (a.get("labels") or {}).get(service_label),
                          a.get("fingerprint") or "") for a in alerts)


def member_groups(members: list[AlertState], service_label: str = "service") -> list[dict[str, Any]]:
    """Fold alert states by name as alert_groups does, without building an alert line for each.

    A storm's reply counts hundreds of members by name and shows twenty.
    """
    return _fold_by_name((st.labels.get("alertname", ""), st.status is not Status.RESOLVED,
                          st.labels.get(service_label) if service_label != "alertname" else None,
                          st.fingerprint or "") for st in members)


def _fold_by_name(rows: Iterable[tuple[str, bool, str | None, str]]) -> list[dict[str, Any]]:
    groups: dict[str, dict[str, Any]] = {}
    for name, firing, svc, fingerprint in rows:
        g = groups.get(name)
        if g is None:
            g = groups[name] = {"alertname": name, "total": 0, "firing": 0, "services": [], "fingerprint": fingerprint}
        g["total"] += 1
        g["firing"] += firing
        if svc and svc not in g["services"]:
            g["services"].append(svc)
    return sorted(groups.values(), key=lambda g: (-g["firing"], -g["total"], g["alertname"]))


def timeline(decisions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Fold runs of the same decision (newest first) into one line with a count (the template words it)."""
    out: list[dict[str, Any]] = []
    for d in decisions:
        if d.get("stage") == "notify" and d.get("name") != "new_incident":
            continue  # how the message was edited repeats the event it follows; `/ops why` keeps it
        facts = d.get("facts")
        if out and out[-1]["reason"] == d["reason"] and out[-1]["facts"] == facts:
            out[-1]["count"] += 1
            continue
        out.append({"at": d["at"], "reason": d["reason"], "facts": facts, "actor": d.get("actor"), "count": 1})
    return out


def fold_changes(changes: list[Change]) -> list[ChangeLine]:
    """Return a batch's changes once each, with how often they happened ("HighErrorRate joined" x4)."""
    counts: dict[tuple[Any, ...], int] = {}
    first: dict[tuple[Any, ...], Change] = {}
    for c in changes:
        key = change_key(c)  # the same facts word the same line
        if key not in counts:
            counts[key], first[key] = 0, c
        counts[key] += 1
    return [ChangeLine(change=ChangeFacts(**first[k].facts()), count=n) for k, n in counts.items()]
