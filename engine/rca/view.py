"""An analysis as people see it: its thread reply and the likely cause, views of stored state.

Both are rendered from the stored analysis and its verdicts, on every change, by these
functions alone: a verdict can never leave a reply with lost buttons or a card with a cause
people already marked wrong.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlmodel import col

from engine.alerts.messages import message_key
from engine.alerts.types import Incident
from engine.core.notices import Notice
from engine.models.request_cards import latest_move, replaced_text
from engine.rca import messages
from engine.rca.tables import AnalysisRow, FeedbackRow

# A cause may start this much after the first alert and still be its cause (scrape and
# evaluation intervals put a signal's visible onset a little late).
ONSET_SLACK_S = 120


@dataclass(frozen=True)
class Vote:
    """A person's verdict as an analysis shows it: on which of its hypotheses, by whom."""

    rank: int
    verdict: str
    user_id: str
    user_name: str


def plausible(top: dict[str, Any], incident_services: list[str], slack_s: int = ONSET_SLACK_S) -> bool:
    """Tell whether a headline cause is consistent with its own evidence.

    It must start before (or about at) the onset, and concern the incident: be one of its
    services or explain one of them through the graph or co-occurrence.
    """
    lead = top.get("lead_s")
    if lead is not None and lead < -slack_s:
        return False
    touched = {top.get("service"), *(top.get("explains") or [])}
    return not incident_services or bool(touched & set(incident_services))


def verdicts_by_rank(votes: list[Vote]) -> dict[int, list[str]]:
    """Return each rank's verdicts as shown ("wrong by bob"); one per person, their latest."""
    out: dict[int, list[str]] = {}
    for v in votes:
        out.setdefault(v.rank, []).append(f"{v.verdict} by {v.user_name}")
    return out


def judged_wrong(votes: list[Vote], rank: int) -> bool:
    """Tell whether people marked a hypothesis wrong more often than they confirmed it."""
    mine = [v.verdict for v in votes if v.rank == rank]
    return mine.count("wrong") > mine.count("confirmed")


def likely_cause(row: AnalysisRow, votes: list[Vote]) -> str | None:
    """Return the cause the incident card names, or None ("no confident cause yet")."""
    if not row.likely_cause or judged_wrong(votes, 1):
        return None
    return row.likely_cause


def confirmed_cause(row: AnalysisRow, votes: list[Vote]) -> str | None:
    """Return the cause people confirmed, with who did ("db saturation, confirmed by bob"), or None.

    A hypothesis counts when more people confirmed it than marked it wrong; with several, the one
    most people confirmed (then the higher ranked) wins.
    """
    best: tuple[int, int, str] | None = None
    for rank in sorted({v.rank for v in votes}):
        mine = [v for v in votes if v.rank == rank]
        yes = [v.user_name for v in mine if v.verdict == "confirmed"]
        hyps = row.hypotheses or []
        if 2 * len(yes) > len(mine) and rank <= len(hyps) and (best is None or len(yes) > best[0]):
            best = (len(yes), rank, f"{messages.heading(hyps[rank - 1])}, confirmed by {', '.join(yes)}")
    return best[2][:300] if best else None


def shown_votes(row: AnalysisRow, votes: list[FeedbackRow]) -> list[Vote]:
    """Map an incident's verdicts onto one analysis's hypotheses by name; each person's latest wins.

    A verdict is about a cause, not a position in one ranking: when a later analysis ranks the
    same cause elsewhere, or a click arrives from a reply an analysis has since replaced, the
    verdict stays with that cause instead of vanishing from the reply people are looking at.
    """
    ranks = {str(h.get("name", ""))[:300]: i for i, h in enumerate(row.hypotheses or [], start=1)}
    latest: dict[tuple[str, str], FeedbackRow] = {}  # insertion order: when first given
    for v in sorted(votes, key=lambda v: (v.at is None, v.at, v.id or 0)):
        if v.name in ranks and (row.id is None or v.analysis_id <= row.id):
            latest[(v.user_id, v.name)] = v
    return [Vote(ranks[v.name], v.verdict, v.user_id, v.user_name or v.user_id) for v in latest.values()]


async def votes_of(session: Any, row: AnalysisRow) -> list[Vote]:
    """Return the verdicts an analysis shows: given on it, or on an earlier analysis of its incident."""
    q = select(FeedbackRow).where(col(FeedbackRow.incident_id) == row.incident_id).order_by(col(FeedbackRow.id))
    return shown_votes(row, list((await session.execute(q)).scalars().all()))


def points_at_alias(h: dict[str, Any], model: str, alias: str) -> bool:
    """Tell whether a stored hypothesis is a move of this model's alias."""
    c = h.get("change") or {}
    return bool(c.get("model") == model and (c.get("alias") or "champion") == alias)


async def later_moves(session: Any, row: AnalysisRow) -> dict[int, str]:
    """Return, per rank, what moved a hypothesis's model alias away from the version its change set."""
    out: dict[int, str] = {}
    for rank, h in enumerate(row.hypotheses, start=1):
        c = h.get("change") or {}
        if not c.get("model") or c.get("to_version") is None:
            continue
        latest = await latest_move(session, c["model"], c.get("alias") or "champion")
        if latest is not None and latest.to_version != c["to_version"]:
            out[rank] = replaced_text(latest)
    return out


def reply_notice(row: AnalysisRow, inc: Incident | None, votes: list[Vote],
                 later: dict[int, str] | None = None) -> Notice:
    """Return the thread reply of an analysis, rendered from it, its verdicts and later alias moves."""
    incident = {"id": row.incident_id, "title": inc.title if inc else ""}
    ctx = messages.hypotheses_context(incident, row.id or 0, row.hypotheses, verdicts_by_rank(votes),
                                      list(row.problems or []), row.signals, row.services, row.elapsed_ms,
                                      later or {})
    # One hypotheses reply per incident: asking again re-renders it from the newest analysis
    # rather than posting a second, identical set.
    return Notice.of(ctx, key=f"{message_key(row.incident_id)}:rca", channel=inc.channel if inc else "ops",
                     thread_key=message_key(row.incident_id))


async def newest_analysis(session: Any, incident_id: int) -> AnalysisRow | None:
    """Return an incident's newest analysis (the one its reply shows)."""
    q = (select(AnalysisRow).where(col(AnalysisRow.incident_id) == incident_id)
         .order_by(col(AnalysisRow.id).desc()).limit(1))
    row: AnalysisRow | None = (await session.execute(q)).scalars().first()
    return row
