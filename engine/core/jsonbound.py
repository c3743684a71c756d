"""JSON with a bounded nesting depth, checked before the parser recurses into it."""

from __future__ import annotations

import json
import re
from itertools import accumulate
from typing import Any

# Block Kit payloads nest about 15 deep (rich text inside a message inside an interaction);
# json.loads recurses once per level and hits Python's limit near 1,000.
MAX_JSON_DEPTH = 64

_STRINGS = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKETS = re.compile(rb"[^\[\]{}]+")
_DELTA = [0] * 256
_DELTA[ord("[")] = _DELTA[ord("{")] = 1
_DELTA[ord("]")] = _DELTA[ord("}")] = -1


class TooDeep(ValueError):
    """The document nests deeper than the limit."""


def nesting_depth(raw: bytes | str) -> int:
    """Return how deep brackets nest in a JSON text, ignoring brackets inside strings."""
    data = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else raw
    if data.count(b"[") + data.count(b"{") == 0:
        return 0
    brackets = _NOT_BRACKETS.sub(b"", _STRINGS.sub(b"", data))
    return max(accumulate(map(_DELTA.__getitem__, brackets)), default=0)


def loads_bounded(raw: bytes | str, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """Parse JSON, refusing (TooDeep, a ValueError) a document nested deeper than max_depth."""
    depth = nesting_depth(raw)
    if depth > max_depth:
        raise TooDeep(f"JSON nested {depth} deep; the limit is {max_depth}")
    return json.loads(raw)
