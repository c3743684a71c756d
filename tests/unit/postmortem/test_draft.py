"""The postmortem draft: timeline order, impact figures, confirmed cause and `todo:` action items."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from engine.postmortem.draft import build_draft
from engine.postmortem.types import Entry, Facts, Hypothesis, todo_items
from engine.warroom.naming import channel_name, with_suffix

T0 = datetime(2026, 12, 6, 10, 0, tzinfo=timezone.utc)


def _facts(**kw) -> Facts:
    base = dict(incident_id=7, title="Checkout latency | p99", severity="critical", status="resolved",
                opened_at=T0, resolved_at=T0 + timedelta(hours=1, minutes=25), services=["checkout", "payments"],
                alert_counts={"HighLatency": 3, "HighErrorRate": 1}, acked_at=T0 + timedelta(minutes=4),
                acked_by="bob", resolved_by="carol", channel="inc-7-checkout-latency")
    base.update(kw)
    return Facts(**base)


def _timeline_rows(md: str) -> list[str]:
    return [line for line in md.splitlines() if line.startswith("| 2026")]


def test_timeline_is_in_time_order_whatever_order_it_was_collected_in():
    # Collected per source (alerts, then decisions, then audit): interleaved in time.
    entries = [Entry(T0 + timedelta(minutes=m), kind, text, who) for m, kind, text, who in [
        (0, "alert", "HighLatency firing", ""), (70, "alert", "HighLatency resolved", ""),
        (1, "posted", "new incident: first message", ""), (4, "acknowledged", "acknowledged by bob", "U0BOB"),
        (85, "resolved", "resolved by carol", "U0CAROL"), (-20, "model", "model.promote model:churn", "alice"),
        (30, "run", "run.succeeded approval:3", "opsbot"), (10, "note", "todo: add a latency SLO", "bob")]]
    md = build_draft(_facts(timeline=entries), T0 + timedelta(hours=2))
    kinds = [r.split("**")[1] for r in _timeline_rows(md)]
    assert kinds == ["model", "alert", "posted", "acknowledged", "note", "run", "alert", "resolved"]
    times = [r.split(" | ")[0] for r in _timeline_rows(md)]
    assert times == sorted(times)


def test_same_second_entries_keep_their_collected_order():
    md = build_draft(_facts(timeline=[Entry(T0, "alert", "A firing"), Entry(T0, "posted", "card")]), T0)
    assert [r.split("**")[1] for r in _timeline_rows(md)] == ["alert", "posted"]


def test_impact_duration_services_and_counts():
    md = build_draft(_facts(), T0 + timedelta(hours=2))
    assert "**Duration:** 1h 25m" in md and "**Time to acknowledge:** 4m" in md
    assert "**Services:** checkout, payments" in md and "**Alerts:** 4 across 2 alert name(s)" in md
    assert md.index("HighLatency: 3") < md.index("HighErrorRate: 1")  # most alerts first
    assert "Checkout latency \\| p99" in md  # people's words cannot break the Markdown
    assert "#inc-7-checkout-latency" in md


def test_impact_starts_at_the_first_alert_and_short_ones_count_seconds():
    md = build_draft(_facts(impact_start=T0 - timedelta(minutes=5)), T0)
    assert "**Duration:** 1h 30m" in md and "**Impact began:** 2026-12-06 09:55:00 UTC" in md
    assert "**Duration:** 40s" in build_draft(_facts(resolved_at=T0 + timedelta(seconds=40)), T0)


def test_open_incident_runs_to_now():
    md = build_draft(_facts(status="open", resolved_at=None, resolved_by=None), T0 + timedelta(minutes=50))
    assert "**Duration:** 50m (still open)" in md


def test_confirmed_hypothesis_is_the_root_cause_and_votes_are_listed():
    hyps = [Hypothesis(1, "payments latency", 0.81, [], ["bob"]),
            Hypothesis(2, "db connection pool", 0.55, ["alice", "carol"], [])]
    md = build_draft(_facts(hypotheses=hyps), T0)
    assert "**Confirmed by people:** db connection pool (confirmed by alice, carol)" in md
    assert "1. payments latency – confidence 81% (marked wrong by bob)" in md
    none = build_draft(_facts(hypotheses=[Hypothesis(1, "x", 0.4, ["a"], ["b", "c"])]), T0)
    assert "**Not confirmed yet.**" in none  # more people said wrong than confirmed


def test_todo_notes_become_action_items_in_order():
    notes = [Entry(T0 + timedelta(minutes=5), "note", "TODO: page payments on-call too", "bob"),
             Entry(T0 + timedelta(minutes=9), "note", "rolled back the config", "alice"),
             Entry(T0 + timedelta(minutes=12), "note", "  todo:add a latency SLO ", "carol")]
    assert [t.text for t in todo_items(notes)] == ["page payments on-call too", "add a latency SLO"]
    md = build_draft(_facts(notes=notes), T0)
    section = md.split("## Action items")[1]
    assert "- [ ] page payments on-call too (noted by bob)" in section
    assert section.index("page payments") < section.index("latency SLO") and "rolled back" not in section
    assert "_None noted." in build_draft(_facts(), T0)


def test_channel_names_follow_slack_rules():
    name = channel_name("inc", 42, "Checkout p99 > 2s on EU-West (prod)!")
    assert name == "inc-42-checkout-p99-2s-on-eu-west-prod"
    long = channel_name("inc", 42, "x" * 200)
    assert len(long) <= 80 and long.startswith("inc-42-")
    assert channel_name("inc", 3, "!!!") == "inc-3"
    assert with_suffix("a" * 80, 12) == "a" * 77 + "-12" and with_suffix("inc-3", 2) == "inc-3-2"


def test_a_change_stored_as_facts_reads_as_its_fields_and_a_note_as_its_words():
    from engine.alerts.lifecycle import Change
    from engine.postmortem.collect import change_text

    snoozed = Change("snoozed", who="ann", at=datetime(2026, 5, 4, 15, 28, tzinfo=timezone.utc)).facts()
    assert change_text(snoozed) == "at=2026-05-04 15:28:00 UTC"
    assert change_text(Change("severity_up", severity="critical", before="warning").facts()) == \
        "severity=critical, before=warning"
    assert change_text(Change("note", who="bob", text="todo: add a latency SLO").facts()) == "todo: add a latency SLO"
