"""Parameter placeholders `${name}` and `${secret:NAME}`: where they may appear and how they resolve.

Values are substituted only as a whole argv element, a whole JSON value, a whole header or env
value, one percent-encoded URL path segment or query value, or a quoted PromQL string: never
spliced into text that a shell, URL or query parser would re-read.

Every substitution goes through `expand`: one pass over the text the runbook author wrote, each
placeholder resolved once, the substituted text never scanned again. So a parameter value that
reads `${secret:TOKEN}` or `${other}` stays those characters. A secret reference does not become
the secret in the plan (the plan is stored and shown): it becomes a `{"secret": NAME}` marker
that only `reveal` turns into the value, at run time; a plain string in a plan is always literal."""

from __future__ import annotations

import json
import re
from typing import Any, Callable, Mapping
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


SECRET_KEY = "secret"
_PREFIX = "secret:"


def _plain(value: Any) -> str:
    return str(value)


def _lookup(ref: str, values: Mapping[str, Any], secrets: bool) -> Any:
    if ref.startswith(_PREFIX):
        if not secrets or not NAME.match(ref[len(_PREFIX):]):
            raise ValueError(f"`${{{ref}}}` is not allowed here")
        return {SECRET_KEY: ref[len(_PREFIX):]}
    if ref not in values:
        raise KeyError(ref)
    return values[ref]


def expand(template: Any, values: Mapping[str, Any], *, encode: Callable[[Any], str] = _plain,
           whole: bool = False, secrets: bool = False) -> Any:
    """Return the author's template with each placeholder replaced once (never rescanned).

    A template that is exactly one placeholder gives the typed value when `whole`, and a secret
    marker when `secrets`; otherwise each placeholder is replaced by `encode(value)` in one
    `re.sub` pass. Non-strings are returned as they are."""
    if not isinstance(template, str):
        return template
    only = ANY.fullmatch(template)
    if only and (whole or (secrets and only.group(1).startswith(_PREFIX))):
        return _lookup(only.group(1), values, secrets)
    return ANY.sub(lambda m: encode(_lookup(m.group(1), values, False)), template)


def expand_json(value: Any, values: Mapping[str, Any]) -> Any:
    """Return a JSON body with whole-string placeholders replaced by typed values."""
    if isinstance(value, dict):
        return {k: expand_json(v, values) for k, v in value.items()}
    if isinstance(value, list):
        return [expand_json(v, values) for v in value]
    return expand(value, values, whole=True)


def _segment(value: Any) -> str:
    text = str(value)
    if text in (".", ".."):  # a dot segment would be resolved as traversal by the server
        return text.replace(".", "%2E")
    return quote(text, safe="")


def expand_url(url: str, values: Mapping[str, Any]) -> str:
    """Return the URL with path segments percent-encoded whole and query values encoded."""
    parts = urlsplit(url)
    path = "/".join(expand(s, values, encode=_segment) for s in parts.path.split("/"))
    query = urlencode([(k, expand(v, values)) for k, v in parse_qsl(parts.query, keep_blank_values=True)])
    return urlunsplit((parts.scheme, parts.netloc, path, query, ""))


def _promql_string_body(value: Any) -> str:
    # The placeholder sits inside "..." (check_promql): emit the escaped body of a string literal.
    return json.dumps(str(value))[1:-1]


def expand_promql(query: str, values: Mapping[str, Any]) -> str:
    """Return the query with each quoted placeholder's value escaped as a string literal body."""
    expanded: str = expand(query, values, encode=_promql_string_body)  # a str template, not whole: a str
    return expanded


def is_secret_ref(value: Any) -> bool:
    """Tell whether a plan value is a secret marker made by `expand`."""
    return isinstance(value, dict) and set(value) == {SECRET_KEY} and isinstance(value[SECRET_KEY], str)


def reveal(value: Any, secrets: Mapping[str, str]) -> str:
    """Return the secret for a plan's secret marker, or the plan value itself as literal text.

    Raises KeyError naming a secret that is not configured. A string is never scanned for
    placeholders here: whatever a parameter put in it stays literal."""
    if is_secret_ref(value):
        name = value[SECRET_KEY]
        if name not in secrets:
            raise KeyError(name)
        return secrets[name]
    if isinstance(value, str):
        return value
    raise ValueError(f"a plan value must be text or a secret marker, not {type(value).__name__}")
