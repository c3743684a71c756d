"""Render a postmortem draft (Markdown) from collected facts: a pure function."""

from __future__ import annotations

from datetime import datetime, timedelta

from engine.postmortem.types import Entry, Facts, todo_items

MAX_TIMELINE = 300  # lines; a longer incident says how many were left out


def _when(dt: datetime | None) -> str:
    return dt.strftime("%Y-%m-%d %H:%M:%S UTC") if dt else "–"


def _duration(delta: timedelta) -> str:
    if delta.total_seconds() < 60:
        return f"{max(0, int(delta.total_seconds()))}s"
    minutes = int(delta.total_seconds() // 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    parts = [f"{days}d" if days else "", f"{hours}h" if hours else "", f"{minutes}m"]
    return " ".join(p for p in parts if p)


def _md(text: str) -> str:
    # People's words go into a table cell or list item: keep them on one line, pipes escaped.
    return " ".join(text.split()).replace("|", "\\|")


def ordered(entries: list[Entry]) -> list[Entry]:
    """Return timeline entries oldest first (stable: same-second entries keep their order)."""
    return sorted(entries, key=lambda e: e.at)


def build_draft(f: Facts, now: datetime) -> str:
    """Return the Markdown draft: summary, impact, timeline, hypotheses, action items."""
    end = f.resolved_at or now
    start = min(f.impact_start or f.opened_at, f.opened_at)
    lines = [f"# Postmortem draft: incident #{f.incident_id} – {_md(f.title)}", "",
             f"_Draft written by Opsbot at {_when(now)} from what it recorded; edit before sharing._", "",
             "## Summary", "",
             f"- **Severity:** {f.severity or 'unknown'}",
             f"- **Status:** {f.status}",
             f"- **Impact began:** {_when(start)} (first alert)",
             f"- **Opened:** {_when(f.opened_at)}",
             f"- **Acknowledged:** {_when(f.acked_at)}" + (f" by {_md(f.acked_by)}" if f.acked_by else ""),
             f"- **Resolved:** {_when(f.resolved_at)}" + (f" by {_md(f.resolved_by)}" if f.resolved_by else "")]
    if f.channel:
        lines.append(f"- **Incident channel:** #{f.channel}")
    total = sum(f.alert_counts.values())
    lines += ["", "## Impact", "",
              f"- **Duration:** {_duration(end - start)}" + ("" if f.resolved_at else " (still open)"),
              f"- **Time to acknowledge:** {_duration(f.acked_at - f.opened_at) if f.acked_at else '–'}",
              f"- **Services:** {', '.join(_md(s) for s in f.services) or '–'}",
              f"- **Alerts:** {total} across {len(f.alert_counts)} alert name(s)"]
    for name, n in sorted(f.alert_counts.items(), key=lambda kv: (-kv[1], kv[0])):
        lines.append(f"  - {_md(name)}: {n}")
    lines += ["", "## Timeline", "", "| Time (UTC) | What | Who |", "|---|---|---|"]
    timeline = ordered(f.timeline)
    for e in timeline[:MAX_TIMELINE]:
        lines.append(f"| {e.at:%Y-%m-%d %H:%M:%S} | **{e.kind}** {_md(e.text)} | {_md(e.actor) or ''} |")
    if len(timeline) > MAX_TIMELINE:
        lines.append(f"| | … {len(timeline) - MAX_TIMELINE} more events (see `/ops incident {f.incident_id}`) | |")
    lines += ["", "## Root cause", ""]
    confirmed = [h for h in f.hypotheses if h.confirmed_by and len(h.confirmed_by) > len(h.rejected_by)]
    if confirmed:
        h = confirmed[0]
        lines.append(f"**Confirmed by people:** {_md(h.name)} (confirmed by {', '.join(map(_md, h.confirmed_by))})")
    else:
        lines.append("**Not confirmed yet.** Pick one of the hypotheses below or write the cause.")
    if f.hypotheses:
        lines += ["", "Hypotheses Opsbot ranked:", ""]
        for h in f.hypotheses:
            votes = []
            if h.confirmed_by:
                votes.append(f"confirmed by {', '.join(map(_md, h.confirmed_by))}")
            if h.rejected_by:
                votes.append(f"marked wrong by {', '.join(map(_md, h.rejected_by))}")
            lines.append(f"{h.rank}. {_md(h.name)} – confidence {h.confidence:.0%}"
                         + (f" ({'; '.join(votes)})" if votes else ""))
    todos = todo_items(f.notes)
    lines += ["", "## Action items", ""]
    lines += [f"- [ ] {_md(t.text)}" + (f" (noted by {_md(t.actor)})" if t.actor else "") for t in todos] or [
        "_None noted. Notes starting with `todo:` on the incident become action items here._"]
    lines += ["", "## What went well / what did not", "", "_To be written by the people involved._", ""]
    return "\n".join(lines)
