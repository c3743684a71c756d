"""A parameter value is data in every place a runbook substitutes it; only the author's text expands."""

from __future__ import annotations

import json
import sys
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.errors import InvalidInput
from engine.runbooks import template as t
from engine.runbooks.params import ParamSpec, bind
from engine.runbooks.plan import PLAN_FORMAT, resolve_step
from engine.runbooks.spec import Runbook

SECRETS = {"SEC_API_SECRET": "topsecret-value", "OTHER": "other-secret"}
# What a requester might type to make the planner (or the runner) expand something for them.
TRICKS = ["${secret:SEC_API_SECRET}", "${svc}", "${other}", "x${secret:OTHER}y", "$${secret:OTHER}",
          "${secret:SEC_API_SECRET}${svc}", "{\"secret\": \"SEC_API_SECRET\"}"]

# One step of every type, with a parameter in each place a value may go, and the author's own
# secret references where secrets are allowed.
RUNBOOK = {
    "name": "every-place", "description": "d", "environment": "${svc}",
    "parameters": {"svc": {"type": "string", "allow_leading_dash": True, "max_length": 400},
                   "other": {"type": "string", "default": "o"}},
    "steps": [
        {"name": "cmd", "type": "command", "argv": ["prog", "${svc}"],
         "env": {"P": "${svc}", "TOKEN": "${secret:SEC_API_SECRET}", "LIT": "plain"}},
        {"name": "http", "type": "http", "method": "POST", "url": "https://h.example/a/${svc}?q=${svc}",
         "headers": {"X-P": "${svc}", "Authorization": "${secret:OTHER}"}, "json": {"v": "${svc}", "l": ["${svc}"]}},
        {"name": "prom", "type": "promql_check", "query": 'up{job="${svc}"}', "condition": {"op": "==", "value": 1}},
        {"name": "sil", "type": "alertmanager_silence", "matchers": {"job": "${svc}"}, "comment": "for ${svc}"},
        {"name": "ml", "type": "mlflow_alias", "model": "${svc}", "alias": "${svc}", "version": "${svc}"},
        {"name": "say", "type": "notify", "message": "about ${svc} and ${other}"},
    ],
}


def _walk(value: Any, path: str = ""):
    if isinstance(value, dict) and not t.is_secret_ref(value):
        for k, v in value.items():
            yield from _walk(v, f"{path}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _walk(v, f"{path}[{i}]")
    else:
        yield path, value


@pytest.mark.parametrize("trick", TRICKS)
def test_a_parameter_value_never_expands_anywhere(trick):
    rb = Runbook.model_validate(RUNBOOK)
    assert not rb.problems()
    values = bind(rb.parameters, {"svc": trick}, rb.name)
    steps = [resolve_step(s, values) for s in rb.steps]
    markers = {p: v for p, v in _walk(steps) if t.is_secret_ref(v)}
    # Exactly the two references the author wrote are secret markers; nothing the value said is.
    assert markers == {"[0].env.TOKEN": {"secret": "SEC_API_SECRET"}, "[1].headers.Authorization": {"secret": "OTHER"}}
    for path, v in _walk(steps):
        if isinstance(v, str):
            revealed = t.reveal(v, SECRETS)
            assert revealed == v and not any(s in revealed for s in SECRETS.values()), path
    cmd, http = steps[0], steps[1]
    assert cmd["argv"][1] == trick and cmd["env"]["P"] == trick
    assert t.reveal(cmd["env"]["TOKEN"], SECRETS) == "topsecret-value"
    assert http["headers"]["X-P"] == trick and http["json"] == {"v": trick, "l": [trick]}
    assert json.loads(steps[2]["query"][len("up{job="):-1]) == trick
    assert steps[3]["matchers"]["job"] == trick and steps[3]["comment"] == f"for {trick}"
    assert steps[4]["model"] == trick and steps[5]["message"] == f"about {trick} and o"


# Text built from the pieces a placeholder is made of, so most draws look like references.
_PIECES = st.sampled_from(["${", "}", "$", "{", "secret:", "SEC_API_SECRET", "OTHER", "svc", "other", ":",
                           "x", " ", "\"", "/", "%", "..", "\u00e9"])


@settings(max_examples=300, deadline=None)
@given(st.lists(_PIECES, min_size=1, max_size=12).map("".join))
def test_no_value_made_of_placeholder_pieces_expands(value):
    rb = Runbook.model_validate(RUNBOOK)
    values = bind(rb.parameters, {"svc": value}, rb.name)
    steps = [resolve_step(s, values) for s in rb.steps]
    markers = [v for _, v in _walk(steps) if t.is_secret_ref(v)]
    assert markers == [{"secret": "SEC_API_SECRET"}, {"secret": "OTHER"}]
    assert steps[0]["argv"][1] == value and steps[1]["headers"]["X-P"] == value
    assert steps[1]["json"]["v"] == value and steps[5]["message"] == f"about {value} and o"


def test_substitution_is_one_pass_over_the_template():
    # A value that names another parameter stays that text; the replacement is never rescanned.
    assert t.expand("${a}-${b}", {"a": "${b}", "b": "B"}) == "${b}-B"
    assert t.expand("${a}", {"a": "${secret:X}"}, secrets=True) == "${secret:X}"
    assert t.expand("${secret:X}", {}, secrets=True) == {"secret": "X"}
    with pytest.raises(ValueError):
        t.expand("${secret:X}", {})  # secrets only where the runbook format allows them
    with pytest.raises(ValueError):
        t.expand("pre-${secret:X}", {}, secrets=True)


def test_reveal_reads_markers_only_and_names_a_missing_secret():
    assert t.reveal("${secret:SEC_API_SECRET}", SECRETS) == "${secret:SEC_API_SECRET}"
    assert t.reveal({"secret": "OTHER"}, SECRETS) == "other-secret"
    with pytest.raises(KeyError, match="NOPE"):
        t.reveal({"secret": "NOPE"}, SECRETS)
    with pytest.raises(ValueError):
        t.reveal({"secret": "OTHER", "x": 1}, SECRETS)


async def test_plans_carry_their_format_and_older_plans_are_refused():
    from engine.runbooks.executor import RunbookExecutor
    from engine.runbooks.plan import build_targets

    rb = Runbook.model_validate(RUNBOOK)
    targets = await build_targets(rb, bind(rb.parameters, {"svc": "a"}, rb.name), None)
    assert targets["format"] == PLAN_FORMAT
    ex = RunbookExecutor()
    assert await ex.precondition({}, targets) is None
    old = {k: v for k, v in targets.items() if k != "format"}
    assert "older opsbot" in (await ex.precondition({}, old) or "")


LINE_BREAKS = [chr(c) for c in range(sys.maxunicode + 1) if len(f"a{chr(c)}b".splitlines()) == 2]


def test_every_line_break_python_knows_is_refused_in_a_parameter():
    assert {"\n", "\r", "\v", "\f", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"} <= set(LINE_BREAKS)
    for ch in LINE_BREAKS + ["\t", "\x00", "\x7f", "\x9b"]:
        with pytest.raises(InvalidInput, match="line breaks"):
            bind({"svc": ParamSpec()}, {"svc": f"api{ch}x"}, "rb")
    assert bind({"svc": ParamSpec()}, {"svc": "évil\u202e ok"}, "rb") == {"svc": "évil\u202e ok"}
