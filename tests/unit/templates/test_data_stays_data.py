"""Every value a template shows is data: put `<!channel>` into any field of any fixture and no message
text or mrkdwn carries it as markup (Slack would ping the channel), unless the field is ours by
construction (Slack ids, enums, numbers the engine formats, URLs it builds)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any, Iterator

import pytest

from bot.render import TEMPLATES_DIR, render
from tests.unit.templates.mrkdwn_texts import mrkdwn_texts

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "templates"
PING = "<!channel>"
# Fields the engine or Slack fills, never a person, an alert, a registry or a file: "template:path".
OURS = {
    "*:status", "*:state", "*:correlation_id", "*:plan_hash", "*:hash", "*:run_id", "*:user_id",
    "alerts/incident:incident_channel.id", "home/home:incidents.[].channel_id",
    "alerts/why:decisions.[].stage", "anomaly/evidence:graph",
    "anomaly/watches:watches.[].detector", "anomaly/watches:watches.[].source", "anomaly/watches:watches.[].step",
    "anomaly/watches:watches.[].status",
    "auto/report:triggers.[].mode", "auto/report:triggers.[].state",
    "core/help:families.[].title", "core/unknown_command:suggestions.[]",
    "drift/list:models.[].interval", "drift/list:models.[].last", "drift/list:models.[].window",
    "drift/check_failed:window", "drift/summary:window", "drift/summary:current_rows", "drift/summary:reference_rows",
    "drift/summary:drift_share", "drift/summary:share", "drift/summary:serving",
    "models/history:changes.[].kind", "models/model:changes.[].kind", "models/model:versions.[].status",
    "models/registration_failed:status", "models/promote:gates.[].candidate",
    "rca/hypotheses:hypotheses.[].after", "rca/hypotheses:hypotheses.[].before",
    "rca/hypotheses:hypotheses.[].direction", "rca/hypotheses:hypotheses.[].graph_url",
    "runbooks/modal:risk", "runbooks/show:risk", "runbooks/show:steps.[].section", "runbooks/show:steps.[].type",
    "runbooks/show:parameters.env.type", "runbooks/show:parameters.service.type",
}


def _leaves(node: Any, path: tuple = ()) -> Iterator[tuple]:
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _leaves(v, (*path, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _leaves(v, (*path, i))
    elif isinstance(node, str):
        yield path


def _cases() -> list[tuple[str, Path]]:
    out = []
    for fixture in sorted(FIXTURES.rglob("*.json")):
        if fixture.name.endswith(".golden.json"):
            continue
        rel = fixture.relative_to(FIXTURES)
        template = f"{rel.parent.as_posix()}/{rel.name.split('.')[0]}"
        if (TEMPLATES_DIR / "slack" / f"{template}.json.j2").exists():
            out.append((template, fixture))
    return out


@pytest.mark.parametrize(("template", "fixture"), _cases(), ids=lambda v: v if isinstance(v, str) else v.name)
def test_no_field_becomes_markup(template, fixture):
    base = json.loads(fixture.read_text())
    leaks = []
    for path in _leaves(base):
        key = ".".join("[]" if isinstance(p, int) else str(p) for p in path)
        if f"{template}:{key}" in OURS or f"*:{key.rsplit('.', 1)[-1]}" in OURS:
            continue
        context = copy.deepcopy(base)
        holder = context
        for p in path[:-1]:
            holder = holder[p]
        holder[path[-1]] = holder[path[-1]] + " " + PING
        try:
            message = render(template, context)
        except Exception:  # a value the template parses (a number, a time) cannot take words
            continue
        if any(PING in t for t in mrkdwn_texts(message)):
            leaks.append(key)
    assert not leaks, f"{fixture.name}: {sorted(set(leaks))} reach Slack as markup; escape them (| esc)"
