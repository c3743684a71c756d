"""Parameter placeholders `${name}` and `${secret:NAME}`: where they may appear and how they resolve.

Values are substituted only as a whole argv element, a whole JSON value, a whole header or env
value, one percent-encoded URL path segment or query value, or a quoted PromQL string: never
spliced into text that a shell, URL or query parser would re-read."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

ANY = re.compile(r"\$\{([^}]*)\}")
WHOLE = re.compile(r"^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$")
SECRET = re.compile(r"^\$\{secret:([A-Za-z_][A-Za-z0-9_]*)\}$")
QUOTED = re.compile(r'"\$\{([A-Za-z_][A-Za-z0-9_]*)\}"')
NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def refs(text: str) -> list[str]:
    """Return the raw contents of every `${...}` in text."""
    return ANY.findall(text)


def whole_param(text: Any) -> str | None:
    """Return the parameter name when text is exactly `${name}`."""
    m = WHOLE.match(text) if isinstance(text, str) else None
    return m.group(1) if m else None


def check_whole(text: str, where: str, params: set[str], secrets_ok: bool = False) -> None:
    """Raise ValueError unless text is literal or exactly one placeholder of a known parameter."""
    if not refs(text):
        return
    if secrets_ok and SECRET.match(text):
        return
    name = whole_param(text)
    if name is None:
        raise ValueError(f"{where}: a parameter must be the whole value (`${{name}}`), not spliced "
                         f"into {text!r}")
    if name not in params:
        raise ValueError(f"{where}: unknown parameter `{name}`")


def check_text(text: str, where: str, params: set[str]) -> None:
    """Raise ValueError when free text (messages, comments) names an unknown parameter."""
    for ref in refs(text):
        if ref not in params:
            raise ValueError(f"{where}: unknown parameter `{ref}`")


def check_json(value: Any, where: str, params: set[str]) -> None:
    """Raise ValueError unless every placeholder in a JSON body is a whole string value."""
    if isinstance(value, str):
        check_whole(value, where, params)
    elif isinstance(value, dict):
        for k, v in value.items():
            if refs(str(k)):
                raise ValueError(f"{where}: JSON keys cannot hold parameters")
            check_json(v, f"{where}.{k}", params)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            check_json(v, f"{where}[{i}]", params)


def check_promql(query: str, where: str, params: set[str]) -> None:
    """Raise ValueError unless every placeholder sits alone inside double quotes."""
    if len(refs(query)) != len(QUOTED.findall(query)):
        raise ValueError(f'{where}: in PromQL a parameter must be a whole quoted string, e.g. job="${{job}}"')
    for name in QUOTED.findall(query):
        if name not in params:
            raise ValueError(f"{where}: unknown parameter `{name}`")


def check_url(url: str, where: str, params: set[str]) -> None:
    """Raise ValueError unless scheme and host are literal and parameters fill whole segments."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{where}: URL must be absolute http(s) with a host, got {url!r}")
    if refs(parts.scheme + parts.netloc):
        raise ValueError(f"{where}: the scheme, host and port can never be parameters")
    if parts.fragment:
        raise ValueError(f"{where}: URL fragments are not allowed")
    for seg in parts.path.split("/"):
        check_whole(seg, f"{where} path segment", params)
    for key, val in parse_qsl(parts.query, keep_blank_values=True):
        if refs(key):
            raise ValueError(f"{where}: query keys cannot hold parameters")
        check_whole(val, f"{where} query value", params)


def resolve_whole(text: Any, values: dict[str, Any]) -> Any:
    """Return the typed parameter value for `${name}`, or text unchanged (secrets stay unresolved)."""
    name = whole_param(text)
    return values[name] if name is not None else text


def resolve_text(text: str, values: dict[str, Any]) -> str:
    """Return free text with placeholders replaced by their values (for humans, not parsers)."""
    return ANY.sub(lambda m: str(values.get(m.group(1), m.group(0))), text)


def resolve_json(value: Any, values: dict[str, Any]) -> Any:
    """Return a JSON body with whole-string placeholders replaced by typed values."""
    if isinstance(value, str):
        return resolve_whole(value, values)
    if isinstance(value, dict):
        return {k: resolve_json(v, values) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve_json(v, values) for v in value]
    return value


def _segment(value: Any) -> str:
    text = str(value)
    if text in (".", ".."):  # a dot segment would be resolved as traversal by the server
        return text.replace(".", "%2E")
    return quote(text, safe="")


def resolve_url(url: str, values: dict[str, Any]) -> str:
    """Return the URL with path segments percent-encoded whole and query values encoded."""
    parts = urlsplit(url)
    path = "/".join(_segment(values[n]) if (n := whole_param(s)) else s for s in parts.path.split("/"))
    query = urlencode([(k, str(resolve_whole(v, values))) for k, v in parse_qsl(parts.query, keep_blank_values=True)])
    return urlunsplit((parts.scheme, parts.netloc, path, query, ""))


def resolve_promql(query: str, values: dict[str, Any]) -> str:
    """Return the query with each quoted placeholder replaced by a safely escaped string literal."""
    return QUOTED.sub(lambda m: json.dumps(str(values[m.group(1)])), query)


def resolve_secret(text: Any, secrets: dict[str, str]) -> Any:
    """Return the secret value for `${secret:NAME}`, or text unchanged."""
    m = SECRET.match(text) if isinstance(text, str) else None
    if not m:
        return text
    if m.group(1) not in secrets:
        raise KeyError(m.group(1))
    return secrets[m.group(1)]
