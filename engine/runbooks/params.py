"""Typed runbook parameters: definitions, and turning `key=value` text into checked values."""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from engine.errors import InvalidInput

# C0 and C1 controls (\n \r \v \f \x1c-\x1e \x85 ...), DEL and the Unicode line and paragraph
# separators: every character str.splitlines() breaks on, so a value is always one line.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_TRUE, _FALSE = {"true", "yes", "on", "1"}, {"false", "no", "off", "0"}


class ParamSpec(BaseModel):
    """One parameter: type, default, allowed values or pattern, bounds."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["string", "integer", "number", "boolean"] = "string"
    description: str = ""
    default: Any = None
    required: bool | None = None
    allowed: list[Any] | None = Field(default=None, min_length=1)
    pattern: str | None = None
    min: float | None = None
    max: float | None = None
    max_length: int = Field(default=200, ge=1, le=4000)
    allow_leading_dash: bool = False
    # The alert label that pre-fills this parameter when the runbook is opened from an incident
    # (default: the label of the same name).
    from_label: str | None = Field(default=None, min_length=1, max_length=100)

    @property
    def is_required(self) -> bool:
        """Return True when the caller must give a value."""
        return self.default is None if self.required is None else self.required

    @model_validator(mode="after")
    def _consistent(self) -> "ParamSpec":
        if self.pattern is not None:
            if self.type != "string":
                raise ValueError("`pattern` applies to string parameters only")
            try:
                re.compile(self.pattern)
            except re.error as exc:
                raise ValueError(f"`pattern` is not a valid regular expression: {exc}") from exc
        if self.allowed is not None:
            for v in self.allowed:
                coerce(self, v, "allowed value", check_constraints=False)
        if self.default is not None:
            coerce(self, self.default, "default")
        return self


def coerce(spec: ParamSpec, raw: Any, name: str, check_constraints: bool = True) -> Any:
    """Return raw converted to the parameter's type and checked, or raise ValueError saying why."""
    value: Any
    if spec.type == "string":
        if not isinstance(raw, (str, int, float)) or isinstance(raw, bool):
            raise ValueError(f"{name} must be a string")
        value = str(raw)
        if _CONTROL.search(value):
            raise ValueError(f"{name} must not contain control characters or line breaks "
                             "(newlines, tabs, NUL, U+0085, U+2028, U+2029)")
        if len(value) > spec.max_length:
            raise ValueError(f"{name} is longer than {spec.max_length} characters")
        if value.startswith("-") and not spec.allow_leading_dash:
            raise ValueError(f"{name} must not start with '-' (it would read as an option)")
    elif spec.type == "boolean":
        if isinstance(raw, bool):
            value = raw
        elif str(raw).lower() in _TRUE | _FALSE:
            value = str(raw).lower() in _TRUE
        else:
            raise ValueError(f"{name} must be true or false")
    else:
        try:
            if isinstance(raw, bool):
                raise ValueError
            value = int(str(raw), 10) if spec.type == "integer" else float(raw)
        except (TypeError, ValueError):
            raise ValueError(f"{name} must be an {spec.type}, got {raw!r}") from None
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError(f"{name} must be a finite number")
    if not check_constraints:
        return value
    if spec.allowed is not None and value not in [coerce(spec, a, "", False) for a in spec.allowed]:
        raise ValueError(f"{name} must be one of {', '.join(map(str, spec.allowed))}")
    if spec.pattern is not None and not re.fullmatch(spec.pattern, value):
        raise ValueError(f"{name} must match {spec.pattern}")
    if spec.min is not None and value < spec.min:
        raise ValueError(f"{name} must be at least {spec.min:g}")
    if spec.max is not None and value > spec.max:
        raise ValueError(f"{name} must be at most {spec.max:g}")
    return value


def bind(specs: dict[str, ParamSpec], given: dict[str, Any], runbook: str) -> dict[str, Any]:
    """Return every parameter's checked value (defaults filled), or raise InvalidInput listing problems."""
    problems = [f"unknown parameter `{k}`" for k in given if k not in specs]
    out: dict[str, Any] = {}
    for name, spec in specs.items():
        if name in given:
            try:
                out[name] = coerce(spec, given[name], f"`{name}`")
            except ValueError as exc:
                problems.append(str(exc))
        elif spec.default is not None:
            out[name] = coerce(spec, spec.default, f"`{name}`")
        elif spec.is_required:
            problems.append(f"`{name}` is required")
    if problems:
        usage = " ".join(f"{k}=<{s.type}>" for k, s in specs.items())
        raise InvalidInput(f"runbook {runbook}: " + "; ".join(problems), hint=f"usage: /ops run {runbook} {usage}")
    return out
