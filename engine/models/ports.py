"""Errors the model registry adapters share (the port itself is engine.ports.ModelRegistry)."""

from __future__ import annotations

import difflib
from typing import Iterable

from engine.errors import InvalidInput, NotFound


def closest(word: str, candidates: Iterable[str], n: int = 3) -> list[str]:
    """Return up to n candidates that look like word, best first."""
    return difflib.get_close_matches(word, list(candidates), n=n, cutoff=0.5)


def model_not_found(name: str, known: Iterable[str]) -> NotFound:
    """Build the NotFound for an unknown model, naming the closest known models."""
    known = list(known)
    near = closest(name, known)
    hint = f"did you mean {', '.join(near)}?" if near else (
        f"known models: {', '.join(sorted(known)[:10])}" if known else "the registry has no models")
    return NotFound(f"model `{name}` is not registered", hint=hint)


def version_not_found(name: str, version: int | str, known: Iterable[int]) -> NotFound:
    """Build the NotFound for an unknown version, naming the closest existing versions."""
    nums = sorted(set(known))
    try:
        target = int(version)
        near = sorted(nums, key=lambda v: (abs(v - target), -v))[:3]
    except ValueError:
        near = nums[-3:]
    hint = f"closest versions: {', '.join(str(v) for v in sorted(near))}" if near else "it has no versions"
    return NotFound(f"model `{name}` has no version {version}", hint=hint)


def alias_not_found(name: str, alias: str, known: Iterable[str]) -> NotFound:
    """Build the NotFound for an alias a model does not have."""
    known = list(known)
    near = closest(alias, known) or sorted(known)
    hint = f"its aliases: {', '.join(near)}" if near else "it has no aliases"
    return NotFound(f"model `{name}` has no alias `{alias}`", hint=hint)


def unknown_alias(name: str, alias: str, known: Iterable[str], version: int) -> InvalidInput:
    """Build the refusal for promoting to an alias nobody set up: most likely a typo."""
    near = closest(alias, known, n=1)
    guess = f"did you mean `{near[0]}`? " if near else f"known aliases: {', '.join(sorted(known))}. "
    return InvalidInput(f"`{alias}` is not an alias of {name}",
                        hint=guess + f"To create it, say so: /ops promote {name} {version} to new-alias {alias}")
