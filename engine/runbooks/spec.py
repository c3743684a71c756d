"""The runbook file format: pydantic models for a runbook and each step type."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from engine.auto.spec import TriggerSpec
from engine.runbooks import template as t
from engine.runbooks.params import ParamSpec

Problem = tuple[tuple[Any, ...], str]
SECTIONS = ("steps", "on_failure", "verify", "rollback")
CHANGING_TYPES = frozenset({"alertmanager_silence", "mlflow_alias"})


def _seconds(v: Any) -> Any:
    if isinstance(v, str):
        m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*", v)
        if not m:
            raise ValueError(f"not a duration: {v!r} (use 30, 30s, 5m or 1h)")
        return float(m.group(1)) * {"ms": 0.001, "s": 1, "m": 60, "h": 3600, None: 1}[m.group(2)]
    return v


Seconds = Annotated[float, BeforeValidator(_seconds), Field(gt=0, le=24 * 3600)]


class _Step(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=80)
    timeout: Seconds = 60.0
    # What an author vouches for (engine/auto/safety.py): only runbooks whose every step is
    # read-only or reversible may run automatically. Unmarked means neither.
    reversible: bool = False
    read_only: bool = False

    @model_validator(mode="after")
    def _one_mark(self) -> "_Step":
        if self.reversible and self.read_only:
            raise ValueError("a step is `reversible` or `read_only`, not both")
        if self.read_only and getattr(self, "type", "") in CHANGING_TYPES:
            raise ValueError(f"a {getattr(self, 'type', '')} step changes something; it cannot be `read_only`")
        return self

    def problems(self, params: set[str]) -> list[Problem]:
        """Return (sub-path, message) for every misplaced or unknown placeholder."""
        return []


def _collect(fn: Any, path: tuple[Any, ...], *args: Any) -> list[Problem]:
    try:
        fn(*args)
    except ValueError as exc:
        return [(path, str(exc))]
    return []


class CommandStep(_Step):
    """Run a program: argv list (no shell), env allowlist, working directory, timeout."""

    type: Literal["command"]
    argv: list[str] = Field(min_length=1)
    env: dict[str, str] = Field(default_factory=dict)
    env_allowlist: list[str] = Field(default_factory=list)
    cwd: str | None = None

    def problems(self, params: set[str]) -> list[Problem]:
        out: list[Problem] = []
        if t.refs(self.argv[0]):
            out.append((("argv", 0), "the program (argv[0]) can never be a parameter"))
        for i, arg in enumerate(self.argv[1:], 1):
            out += _collect(t.check_whole, ("argv", i), arg, f"argv[{i}]", params)
        for k, v in self.env.items():
            out += _collect(t.check_whole, ("env", k), v, f"env.{k}", params, True)
        if self.cwd and t.refs(self.cwd):
            out.append((("cwd",), "the working directory can never be a parameter"))
        return out


class HttpStep(_Step):
    """Call an HTTP endpoint with a literal host; parameters fill whole segments or JSON values."""

    type: Literal["http"]
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"] = "GET"
    url: str
    headers: dict[str, str] = Field(default_factory=dict)
    json_body: Any = Field(default=None, alias="json")
    expect_status: list[int] = Field(default_factory=lambda: [200, 201, 202, 204])

    def problems(self, params: set[str]) -> list[Problem]:
        out = _collect(t.check_url, ("url",), self.url, "url", params)
        for k, v in self.headers.items():
            if t.refs(k):
                out.append((("headers", k), "header names can never be parameters"))
            out += _collect(t.check_whole, ("headers", k), v, f"headers.{k}", params, True)
        out += _collect(t.check_json, ("json",), self.json_body, "json", params)
        return out


class Condition(BaseModel):
    """A comparison every (or any) returned sample must satisfy."""

    model_config = ConfigDict(extra="forbid")

    op: Literal["<", "<=", ">", ">=", "==", "!="]
    value: float
    require: Literal["all", "any"] = "all"
    empty: Literal["fail", "pass"] = "fail"


class PromqlCheckStep(_Step):
    """Query Prometheus until the condition holds, or time out."""

    type: Literal["promql_check"]
    query: str = Field(min_length=1)
    condition: Condition
    interval: Seconds = 5.0

    def problems(self, params: set[str]) -> list[Problem]:
        return _collect(t.check_promql, ("query",), self.query, "query", params)


class SilenceStep(_Step):
    """Create an Alertmanager silence with exact-match matchers."""

    type: Literal["alertmanager_silence"]
    matchers: dict[str, str] = Field(min_length=1)
    duration: Seconds = 3600.0
    comment: str = "silenced by opsbot runbook"

    def problems(self, params: set[str]) -> list[Problem]:
        out: list[Problem] = []
        for k, v in self.matchers.items():
            out += _collect(t.check_whole, ("matchers", k), v, f"matchers.{k}", params)
        return out + _collect(t.check_text, ("comment",), self.comment, "comment", params)


class MlflowAliasStep(_Step):
    """Point a registered model's alias at a version, or roll it back to the frozen previous one."""

    type: Literal["mlflow_alias"]
    model: str
    alias: str
    action: Literal["set", "rollback"] = "set"
    version: str | int | None = None

    @model_validator(mode="after")
    def _version_iff_set(self) -> "MlflowAliasStep":
        if self.action == "set" and self.version is None:
            raise ValueError("`version` is required when action is set")
        return self

    def problems(self, params: set[str]) -> list[Problem]:
        out: list[Problem] = []
        for field in ("model", "alias", "version"):
            value = getattr(self, field)
            if isinstance(value, str):
                out += _collect(t.check_whole, (field,), value, field, params)
        return out


class WaitStep(_Step):
    """Pause the run."""

    type: Literal["wait"]
    seconds: Seconds


class NotifyStep(_Step):
    """Post a message into the run's thread."""

    type: Literal["notify"]
    message: str = Field(min_length=1, max_length=2000)

    def problems(self, params: set[str]) -> list[Problem]:
        return _collect(t.check_text, ("message",), self.message, "message", params)


Step = Annotated[Union[CommandStep, HttpStep, PromqlCheckStep, SilenceStep, MlflowAliasStep,
                       WaitStep, NotifyStep], Field(discriminator="type")]
STEP_TYPES = ("command", "http", "promql_check", "alertmanager_silence", "mlflow_alias", "wait", "notify")


class RunbookApproval(BaseModel):
    """The least approval this runbook needs, whatever the policy allows."""

    model_config = ConfigDict(extra="forbid")

    approvals: int = Field(default=1, ge=1, le=10)
    approver_roles: list[str] = Field(min_length=1)


def _label_fits(pattern: str, value: str | None) -> bool:
    # Exact value, or a full regular expression after `~`.
    if value is None:
        return False
    return re.fullmatch(pattern[1:], value) is not None if pattern.startswith("~") else pattern == value


class Runbook(BaseModel):
    """A remediation runbook: parameters, policy, matching alerts and steps."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")
    description: str = Field(min_length=1, max_length=1000)
    risk: Literal["low", "medium", "high"] = "medium"
    environment: str = Field(default="production", min_length=1, max_length=60)
    approval: RunbookApproval | None = None
    match: dict[str, str] = Field(default_factory=dict)
    parameters: dict[str, ParamSpec] = Field(default_factory=dict)
    timeout: Seconds = 900.0
    steps: list[Step] = Field(min_length=1)
    on_failure: list[Step] = Field(default_factory=list)
    verify: list[Step] = Field(default_factory=list)
    rollback: list[Step] = Field(default_factory=list, description="undo the steps when verify fails")
    triggers: list[TriggerSpec] = Field(default_factory=list, description="alerts that offer or run it")

    def matches(self, labels: dict[str, str]) -> bool:
        """Return True when every `match` matcher fits the alert labels, or one of its triggers does."""
        if self.match and all(_label_fits(p, labels.get(k)) for k, p in self.match.items()):
            return True
        return any(trig.offers(labels) for trig in self.triggers)  # a trigger offers its runbook as today

    def problems(self) -> list[Problem]:
        """Return (path, message) for placeholder misuse and duplicate step names."""
        params = set(self.parameters)
        out: list[Problem] = []
        bad = [n for n in self.parameters if not t.NAME.match(n)]
        out += [(("parameters", n), f"parameter name {n!r} must be letters, digits and _") for n in bad]
        env_ref = t.whole_param(self.environment)
        if t.refs(self.environment) and env_ref not in params:
            out.append((("environment",), "environment must be literal or `${param}` of a defined parameter"))
        seen: set[str] = set()
        for section in SECTIONS:
            for i, step in enumerate(getattr(self, section)):
                if step.name in seen:
                    out.append(((section, i, "name"), f"duplicate step name {step.name!r}"))
                seen.add(step.name)
                out += [((section, i) + sub, msg) for sub, msg in step.problems(params)]
        names: set[str] = set()
        for i, trig in enumerate(self.triggers):
            if trig.name in names:
                out.append((("triggers", i, "name"), f"duplicate trigger name {trig.name!r}"))
            names.add(trig.name)
            out += [(("triggers", i, "parameters", k), f"unknown parameter {k!r}")
                    for k in trig.parameters if k not in params]
        return out

    def all_steps(self) -> list[tuple[str, Any]]:
        """Return (section, step) for every step in order."""
        return [(sec, s) for sec in SECTIONS for s in getattr(self, sec)]
