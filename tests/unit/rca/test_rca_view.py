"""A headline cause must agree with its own evidence, and people's verdicts take it off the card."""

from __future__ import annotations

from engine.rca.tables import AnalysisRow, FeedbackRow
from engine.rca.view import likely_cause, plausible


def test_a_cause_that_starts_after_the_alert_or_explains_other_services_is_not_headlined():
    top = {"service": "db", "explains": ["inventory"], "lead_s": -13 * 60}
    assert not plausible(top, ["checkout"])  # 13 min late, and about inventory only
    assert not plausible(dict(top, lead_s=300), ["checkout"])  # early, but reaches no service of the incident
    assert plausible(dict(top, lead_s=300, explains=["checkout"]), ["checkout"])
    assert plausible({"service": "checkout", "explains": [], "lead_s": -60}, ["checkout"])  # scrape-late onset


def _vote(rank: int, verdict: str, user: str) -> FeedbackRow:
    return FeedbackRow(analysis_id=1, incident_id=1, rank=rank, name="x", verdict=verdict, user_id=user,
                       user_name=user, at=None)


def test_a_cause_people_marked_wrong_leaves_the_card():
    row = AnalysisRow(id=1, incident_id=1, likely_cause="db saturation", hypotheses=[])
    assert likely_cause(row, []) == "db saturation"
    assert likely_cause(row, [_vote(1, "wrong", "bob")]) is None
    assert likely_cause(row, [_vote(1, "wrong", "bob"), _vote(1, "confirmed", "carol"),
                              _vote(1, "confirmed", "dan")]) == "db saturation"
    assert likely_cause(row, [_vote(2, "wrong", "bob")]) == "db saturation"
