"""A headline cause must agree with its own evidence, and people's verdicts take it off the card."""

from __future__ import annotations

from datetime import datetime, timezone

from engine.rca.tables import AnalysisRow, FeedbackRow
from engine.rca.view import Vote, confirmed_cause, likely_cause, plausible, shown_votes, verdicts_by_rank


def test_a_cause_that_starts_after_the_alert_or_explains_other_services_is_not_headlined():
    top = {"service": "db", "explains": ["inventory"], "lead_s": -13 * 60}
    assert not plausible(top, ["checkout"])  # 13 min late, and about inventory only
    assert not plausible(dict(top, lead_s=300), ["checkout"])  # early, but reaches no service of the incident
    assert plausible(dict(top, lead_s=300, explains=["checkout"]), ["checkout"])
    assert plausible({"service": "checkout", "explains": [], "lead_s": -60}, ["checkout"])  # scrape-late onset


def _vote(rank: int, verdict: str, user: str) -> Vote:
    return Vote(rank, verdict, user, user)


def test_a_cause_people_marked_wrong_leaves_the_card():
    row = AnalysisRow(id=1, incident_id=1, likely_cause="db saturation", hypotheses=[])
    assert likely_cause(row, []) == "db saturation"
    assert likely_cause(row, [_vote(1, "wrong", "bob")]) is None
    assert likely_cause(row, [_vote(1, "wrong", "bob"), _vote(1, "confirmed", "carol"),
                              _vote(1, "confirmed", "dan")]) == "db saturation"
    assert likely_cause(row, [_vote(2, "wrong", "bob")]) == "db saturation"


def test_the_card_names_the_cause_people_confirmed_and_who_confirmed_it():
    row = AnalysisRow(id=1, incident_id=1, likely_cause="db saturation up 9σ",
                      hypotheses=[{"name": "db:saturation", "service": "db", "metric": "saturation"},
                                  {"name": "db:config", "service": "db", "metric": None,
                                   "change": {"kind": "config"}}])
    assert confirmed_cause(row, []) is None
    assert confirmed_cause(row, [_vote(1, "confirmed", "bob")]) == "db saturation, confirmed by bob"
    # Disputed (one each way) is not confirmed; a cause more people confirmed wins over the top one.
    assert confirmed_cause(row, [_vote(1, "confirmed", "bob"), _vote(1, "wrong", "carol")]) is None
    assert confirmed_cause(row, [_vote(1, "confirmed", "bob"), _vote(2, "confirmed", "carol"),
                                 _vote(2, "confirmed", "dan")]) == "config on db, confirmed by carol, dan"


def _given(vid: int, analysis: int, name: str, verdict: str, user: str, minute: int) -> FeedbackRow:
    return FeedbackRow(id=vid, analysis_id=analysis, incident_id=1, rank=9, name=name, verdict=verdict,
                       user_id=f"U{user}", user_name=user, at=datetime(2026, 12, 7, 10, minute, tzinfo=timezone.utc))


def test_verdicts_follow_their_cause_into_a_newer_ranking_and_the_latest_wins():
    newer = AnalysisRow(id=2, incident_id=1, hypotheses=[{"name": "db saturation"}, {"name": "api latency"},
                                                         {"name": "cache errors"}])
    votes = [_given(1, 1, "api latency", "wrong", "carol", 1),  # on the replaced analysis
             _given(2, 1, "db saturation", "confirmed", "bob", 2),
             _given(3, 2, "db saturation", "wrong", "bob", 3),  # bob changed his mind on the newer one
             _given(4, 1, "gone cause", "wrong", "dan", 4),  # a cause the newer ranking dropped
             _given(5, 3, "cache errors", "wrong", "erin", 5)]  # given on a later analysis: not this one's
    shown = shown_votes(newer, votes)
    assert verdicts_by_rank(shown) == {2: ["wrong by carol"], 1: ["wrong by bob"]}
    assert likely_cause(AnalysisRow(id=2, incident_id=1, likely_cause="db saturation",
                                    hypotheses=newer.hypotheses), shown) is None
