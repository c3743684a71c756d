"""Parameters never change argv structure, the URL host, or escape their quoted PromQL string."""

from __future__ import annotations

import json
from urllib.parse import unquote, urlsplit

import pytest

from engine.errors import InvalidInput
from engine.runbooks.params import ParamSpec, bind
from engine.runbooks.plan import resolve_step
from engine.runbooks.redact import Redactor, truncate
from engine.runbooks.spec import CommandStep, HttpStep, PromqlCheckStep
from engine.runbooks import template as t

NASTY = ["; rm -rf /", "$(id)", "`id`", "../../etc/passwd", "a b", "x' OR '1'='1", "a/b?c=d#e&f",
         "..", "%2e%2e", "évil\u202e", "\"quoted\"", "}{", "${other}"]


@pytest.mark.parametrize("value", NASTY)
def test_argv_element_stays_one_element(value):
    step = CommandStep(name="c", type="command", argv=["prog", "--name", "${svc}", "tail"])
    out = resolve_step(step, {"svc": value})
    assert out["argv"] == ["prog", "--name", value, "tail"]


@pytest.mark.parametrize("value", NASTY)
def test_url_host_never_changes_and_segment_round_trips(value):
    step = HttpStep(name="h", type="http", url="https://api.internal:8443/v1/svc/${svc}/restart?who=${svc}")
    url = resolve_step(step, {"svc": value})["url"]
    parts = urlsplit(url)
    assert parts.hostname == "api.internal" and parts.port == 8443 and not parts.fragment
    segs = parts.path.split("/")
    assert len(segs) == 5 and segs[4] == "restart"
    assert unquote(segs[3]) == value and segs[3] not in (".", "..")


@pytest.mark.parametrize("value", NASTY)
def test_promql_value_stays_inside_its_string(value):
    step = PromqlCheckStep(name="p", type="promql_check", query='up{job="${job}"} == 0',
                           condition={"op": "==", "value": 0})
    q = resolve_step(step, {"job": value})["query"]
    literal = q[len("up{job="):q.rindex("}")]
    assert json.loads(literal) == value and q.endswith("} == 0")


def test_json_values_keep_type():
    step = HttpStep(name="h", type="http", method="POST", url="https://a.b/x",
                    json={"n": "${n}", "s": "${s}", "list": ["${n}", 1]})
    assert resolve_step(step, {"n": 3, "s": "$(id)"})["json"] == {"n": 3, "s": "$(id)", "list": [3, 1]}


@pytest.mark.parametrize("value, problem", [
    ("--force", "must not start with '-'"),
    ("-rf", "must not start with '-'"),
    ("a\nb", "control characters"),
    ("a\rb", "control characters"),
    ("a\x00b", "control characters"),
    ("x" * 201, "longer than 200"),
])
def test_dangerous_strings_are_refused(value, problem):
    with pytest.raises(InvalidInput, match=problem):
        bind({"svc": ParamSpec()}, {"svc": value}, "rb")


def test_bind_types_defaults_and_unknowns():
    specs = {"n": ParamSpec(type="integer", default=2, min=1, max=5), "env": ParamSpec(allowed=["a", "b"]),
             "f": ParamSpec(type="boolean", default=False), "p": ParamSpec(pattern="[a-z]+", required=False)}
    assert bind(specs, {"n": "4", "env": "b", "f": "yes"}, "rb") == {"n": 4, "env": "b", "f": True}
    with pytest.raises(InvalidInput) as err:
        bind(specs, {"n": "9", "env": "c", "zz": "1", "p": "ABC"}, "rb")
    msg = str(err.value)
    for part in ("unknown parameter `zz`", "at most 5", "one of a, b", "must match"):
        assert part in msg


def test_placeholder_rules():
    with pytest.raises(ValueError, match="whole value"):
        t.check_whole("pre-${x}", "argv[1]", {"x"})
    with pytest.raises(ValueError, match="unknown parameter"):
        t.check_whole("${y}", "argv[1]", {"x"})
    with pytest.raises(ValueError, match="never be parameters"):
        t.check_url("https://h.example${x}/a", "url", {"x"})
    with pytest.raises(ValueError, match="whole value"):
        t.check_url("https://h/a/pre${x}", "url", {"x"})
    t.check_whole("${secret:TOKEN}", "env.T", set(), secrets_ok=True)
    with pytest.raises(ValueError):
        t.check_whole("${secret:TOKEN}", "argv[1]", set())


def test_redaction_and_truncation():
    r = Redactor(["s3cr3t-value"])
    out = r.redact("a s3cr3t-value b password=hunter2 xoxb-123456789-abcdef Authorization: Bearer abc.def.ghi12")
    assert "s3cr3t" not in out and "hunter2" not in out and "xoxb-1234" not in out and "abc.def" not in out
    long = truncate("a" * 5000 + "END", 300)
    assert len(long) < 400 and long.endswith("END") and "characters cut" in long
