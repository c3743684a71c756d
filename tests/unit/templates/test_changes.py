"""Every incident change the engine builds is worded by templates/slack/alerts/_changes.j2, with no raw
values: no kind falls through to the fallback, no `None`, no ISO timestamp, no clock time outside a date token."""

from __future__ import annotations

import ast
import re
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from bot.render import TEMPLATES_DIR, render
from engine.alerts.lifecycle import FACT_FIELDS, MEANINGFUL, Change
from tests.changes import decision_said, said

ENGINE = Path(__file__).resolve().parents[3] / "engine"
CHANGES_TEMPLATE = TEMPLATES_DIR / "slack" / "alerts" / "_changes.j2"
SAMPLE: dict[str, Any] = {
    "who": "ann", "alertname": "HighErrorRate", "service": "checkout", "severity": "critical", "before": "warning",
    "at": datetime(2026, 5, 4, 15, 28, tzinfo=timezone.utc), "count": 3, "seconds": 300.0, "incident": 12,
    "hours": 2.0, "text": "rolled back the deploy", "alerts": ("HighErrorRate", "DiskFull"),
    "silences": ("s-1", "s-2"), "matchers": ('alertname="HighErrorRate"', 'alertname="DiskFull"'),
    "outcome": "rolled_back"}
DATE_TOKEN = re.compile(r"<!date\^\d+\^[^|>]*\|[^>]*>")
ISO = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
CLOCK = re.compile(r"\b\d{1,2}:\d{2}\b")


def _built() -> list[tuple[str, str, tuple[str, ...]]]:
    """Return (file, kind, keyword facts) of every `Change("kind", ...)` the engine builds."""
    found = []
    for path in sorted(ENGINE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "Change"
                    and node.args and isinstance(node.args[0], ast.Constant)):
                found.append((path.relative_to(ENGINE.parent).as_posix(), node.args[0].value,
                              tuple(k.arg for k in node.keywords if k.arg)))
    return found


BUILT = _built()


def test_the_engine_builds_every_kind_with_facts_only():
    kinds = {kind for _, kind, _ in BUILT}
    # The list must see the producers (lifecycle, stages, service, corrections, auto), else it tests nothing.
    assert {"opened", "joined", "snoozed", "silenced", "split_out", "auto_run", "moved"} <= kinds
    assert MEANINGFUL - {"opened"} <= kinds | {"opened"}
    for where, kind, facts in BUILT:
        assert set(facts) <= set(FACT_FIELDS), f"{where}: Change({kind!r}) with unknown facts {facts}"


@pytest.mark.parametrize("where,kind,facts", BUILT, ids=[f"{w}:{k}" for w, k, _ in BUILT])
def test_every_built_change_has_its_own_wording(where, kind, facts):
    assert f'c.kind == "{kind}"' in CHANGES_TEMPLATE.read_text(), f"{where}: no wording for {kind!r} in _changes.j2"
    variants = [{f: SAMPLE[f] for f in facts}] + [{**{f: SAMPLE[f] for f in facts}, gone: None} for gone in facts]
    for given in variants:
        text = said(Change(kind, **given))
        assert text.strip() and text != kind, f"{where}: {kind!r} falls through to the raw fallback"
        assert "None" not in text and "none" not in text.split(), f"{where}: {kind!r} says None: {text!r}"
        assert not ISO.search(text), f"{where}: {kind!r} shows an ISO time: {text!r}"
        assert not CLOCK.search(DATE_TOKEN.sub("", text)), f"{where}: {kind!r} shows a clock time: {text!r}"
        if given.get("at") is not None:
            assert DATE_TOKEN.search(text), f"{where}: {kind!r} does not render its time as a date token"
        for f in ("who", "alertname", "service", "text"):
            if given.get(f):
                assert str(given[f]) in text, f"{where}: {kind!r} leaves out its {f}"


def test_changes_are_escaped_for_mrkdwn():
    text = said(Change("note", who="<@U1> & co", text="see <https://x|here>"))
    assert text == "note by &lt;@U1&gt; &amp; co: see &lt;https://x|here&gt;"


def test_rows_and_replies_stored_before_facts_render_as_they_are():
    assert decision_said({"reason": "snoozed by ann until 15:28 UTC", "facts": None}) == "snoozed by ann until 15:28 UTC"
    old = {"incident": {"id": 7}, "at": "2026-05-04T15:00:00+00:00", "groups": [], "more_alerts": 0,
           "changes": [{"kind": "joined", "text": "HighErrorRate joined", "count": 4}]}
    message = render("alerts/incident_update", old)
    assert "• HighErrorRate joined ×4" in message["blocks"][0]["text"]["text"]
    assert message["text"] == "Incident #7: HighErrorRate joined ×4"


def test_the_recurrence_line_is_worded_by_the_template():
    from tests.changes import _macros

    line = _macros().recurrence
    assert str(line({"recurrence_of": 12, "recurrence_nth": 0})) == "recurrence of #12"
    assert str(line({"recurrence_of": 12, "recurrence_nth": 3})) == "recurrence of #12 (3rd time today)"
    assert str(line({"recurrence_of": 12, "recurrence_nth": 11})) == "recurrence of #12 (11th time today)"
    assert str(line({"recurrence_of": 12, "recurrence_nth": 22})) == "recurrence of #12 (22nd time today)"
    assert str(line({"recurrence_of": None, "recurrence_nth": 0})) == ""


def test_the_stored_facts_model_has_the_fields_of_a_change():
    from engine.alerts.card import ChangeFacts

    assert list(ChangeFacts.model_fields) == ["kind", *FACT_FIELDS]


def test_a_silence_reads_its_matchers_as_code_without_regex_escapes():
    # Alertmanager needs `svc\-10` inside a regex matcher; a person reads the service's name.
    text = said(Change("silenced", who="carol", hours=2.0, silences=("s-1",),
                       matchers=('alertname="HighErrorRate", service=~"svc\\-10|svc\\-12"',)))
    assert text == 'silenced in Alertmanager by carol for 2h: `alertname="HighErrorRate", service=~"svc-10|svc-12"` (silence s-1)'
