"""Render Block Kit messages from Jinja2 templates under templates/slack/."""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2


def _default_templates_dir() -> Path:
    """Find templates/ beside the source tree, else in the working directory."""
    beside_source = Path(__file__).resolve().parent.parent / "templates"
    return beside_source if beside_source.is_dir() else Path.cwd() / "templates"


TEMPLATES_DIR = _default_templates_dir()


def use_templates(path: Path | None) -> None:
    """Render from `path` (BotSettings.templates_dir), or the default when None; the composition root calls this."""
    global TEMPLATES_DIR
    chosen = path or _default_templates_dir()
    if chosen != TEMPLATES_DIR:
        TEMPLATES_DIR = chosen
        environment.cache_clear()


def mrkdwn_escape(value: Any) -> str:
    """Escape the three characters Slack's mrkdwn treats as control characters."""
    return str(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# Slack user ids (U…, W… on Enterprise Grid); anything else an actor may be (Opsbot's own
# triggers, "opsbot-auto", a CLI user) is a name and must not become a broken `<@…>` mention.
_SLACK_USER_ID = re.compile(r"[UW][A-Z0-9]+")


def person(value: Any, name: Any = None) -> str:
    """Mention a Slack user id as `<@U…>`; show any other actor by its name (or id), escaped."""
    who = str(value or "")
    if _SLACK_USER_ID.fullmatch(who):
        return f"<@{who}>"
    return mrkdwn_escape(name or who or "someone")


# Slack channel ids: public (C…), private (G…) and direct (D…) conversations.
_SLACK_CHANNEL_ID = re.compile(r"[CGD][A-Z0-9]{2,}")  # names are lowercase in Slack


def channel_link(value: Any) -> str:
    """Link a Slack channel id as `<#C…>`; show a configured channel name as plain `#name`, escaped.

    Slack only links `<#C…>`: `<#ops>` is not a channel link, so a name stays text.
    """
    where = str(value or "").lstrip("#")
    if _SLACK_CHANNEL_ID.fullmatch(where):
        return f"<#{where}>"
    return "#" + mrkdwn_escape(where or "?")


def truncate(value: Any, limit: int = 150, marker: str = "…") -> str:
    """Cut text to Slack's field limits, marking the cut (never inside an `&amp;` entity or a `<...>` sequence)."""
    s = str(value)
    if len(s) <= limit:
        return s
    head = s[: max(0, limit - len(marker))]
    # A cut entity ("&am") or control sequence ("<@U0AL", "<https://…") would show as debris.
    amp, lt = head.rfind("&"), head.rfind("<")
    if amp > head.rfind(";") and len(head) - amp <= 5:
        head = head[:amp]
    if lt > head.rfind(">"):
        head = head[:lt]
    return head + marker


def sparkline(values: list[float] | None) -> str:
    """Draw a list of numbers as unicode block characters."""
    vals = [v for v in (values or []) if v is not None]
    if not vals:
        return ""
    lo, hi = min(vals), max(vals)
    bars = "▁▂▃▄▅▆▇█"
    span = (hi - lo) or 1.0
    return "".join(bars[min(7, int((v - lo) / span * 7.999))] for v in vals)


def slack_date(value: Any, fmt: str = "{date_short_pretty} {time}") -> str:
    """Render a time as Slack's `<!date^...>` token, so each reader sees it in their own zone.

    The fallback (shown where tokens are not rendered, e.g. notifications) is UTC.
    """
    if not value:
        return "–"
    when = value if isinstance(value, datetime) else datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    when = when if when.tzinfo else when.replace(tzinfo=timezone.utc)
    fallback = when.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(when.timestamp())}^{fmt}|{fallback}>"


def _tojson(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    """Return the shared Jinja2 environment (strict: undefined names are errors)."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR)),
                             undefined=jinja2.StrictUndefined, autoescape=False,
                             trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=False)
    env.filters.update(j=_tojson, esc=mrkdwn_escape, truncate_to=truncate, sparkline=sparkline,
                       slack_date=slack_date, person=person,
                       channel_link=channel_link)
    return env


def render(template: str, context: dict[str, Any] | None = None) -> dict[str, Any]:
    """Render `slack/<template>.json.j2` into {"text": ..., "blocks": [...]}."""
    tpl = environment().get_template(f"slack/{template}.json.j2")
    raw = tpl.render(**(context or {}))
    try:
        message = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ValueError(f"template {template} rendered invalid JSON: {exc}") from exc
    if "text" not in message:
        raise ValueError(f"template {template} has no `text` fallback")
    return message
