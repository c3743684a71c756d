"""Configuration errors in people's words: which key, what was wrong, what was given."""

from __future__ import annotations

from pydantic import ValidationError
from pydantic_core import ErrorDetails


def describe(err: ErrorDetails, prefix: str = "") -> str:
    """Describe one pydantic error as "key `a.b`: what was wrong (got X)", its path under `prefix`."""
    loc = ".".join(str(p) for p in (*([prefix] if prefix else []), *err["loc"])) or "(top level)"
    if err["type"] == "extra_forbidden":
        return f"key `{loc}`: unknown key"
    got = err.get("input")
    got_s = f" (got {got!r})" if got is not None and not isinstance(got, (dict, list)) else ""
    return f"key `{loc}`: {err['msg']}{got_s}"


def describe_all(exc: ValidationError, prefix: str = "") -> str:
    """Describe every error of a validation, separated by semicolons."""
    return "; ".join(describe(e, prefix) for e in exc.errors())
