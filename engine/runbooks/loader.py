"""Load runbook YAML files from directories; every problem is reported as file:line: message."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

from pydantic import ValidationError

from engine.errors import InvalidInput, NotFound
from engine.runbooks.spec import STEP_TYPES, Runbook
from engine.runbooks.yamlmarks import YamlError, line_for, load_with_lines


@dataclass(frozen=True)
class LoadedRunbook:
    """A validated runbook, where it came from, and a hash of its file."""

    runbook: Runbook
    path: str
    sha256: str


@dataclass
class Registry:
    """Every runbook that loaded, plus the problems of those that did not."""

    runbooks: dict[str, LoadedRunbook] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    def get(self, name: str) -> LoadedRunbook:
        """Return a runbook by name or raise NotFound listing what exists."""
        if name not in self.runbooks:
            known = ", ".join(sorted(self.runbooks)) or "none loaded"
            raise NotFound(f"no runbook named {name!r}", hint=f"known: {known}")
        return self.runbooks[name]

    def require_clean(self) -> "Registry":
        """Return self, or raise InvalidInput listing every problem (for `opsbot check`)."""
        if self.errors:
            raise InvalidInput("runbook problems:\n" + "\n".join(self.errors))
        return self


def _loc(loc: tuple[Any, ...]) -> tuple[Any, ...]:
    # Pydantic puts the discriminator tag into the location of union members; the file has no such key.
    return tuple(p for i, p in enumerate(loc) if not (p in STEP_TYPES and i and isinstance(loc[i - 1], int)))


def _message(err: dict[str, Any]) -> str:
    where = ".".join(str(p) for p in _loc(err["loc"]))
    if err["type"] == "union_tag_invalid":
        return f"{where}: unknown step type {err['ctx']['tag']!r} (expected one of {', '.join(STEP_TYPES)})"
    if err["type"] == "union_tag_not_found":
        return f"{where}: step has no `type` (expected one of {', '.join(STEP_TYPES)})"
    if err["type"] == "extra_forbidden":
        return f"{where}: unknown key"
    msg = err["msg"].removeprefix("Value error, ")
    return f"{where}: {msg}" if where else msg


def parse_runbook(text: str, source: str) -> tuple[Runbook | None, list[str]]:
    """Validate one file's text; return (runbook or None, ['file:line: problem', ...])."""
    try:
        data, lines = load_with_lines(text)
    except YamlError as exc:
        return None, [f"{source}:{exc.line}: invalid YAML: {exc.problem}"]
    if not isinstance(data, dict):
        return None, [f"{source}:1: a runbook file must be a mapping"]
    try:
        rb = Runbook.model_validate(data)
    except ValidationError as exc:
        return None, [f"{source}:{line_for(lines, _loc(e['loc']))}: {_message(e)}" for e in exc.errors()]
    problems = [f"{source}:{line_for(lines, loc)}: {msg}" for loc, msg in rb.problems()]
    return (None, problems) if problems else (rb, [])


def load_dirs(dirs: Sequence[str | Path]) -> Registry:
    """Load every *.yaml/*.yml under the directories; bad files are reported and not loaded."""
    reg = Registry()
    for d in dirs:
        root = Path(d)
        if not root.is_dir():
            reg.errors.append(f"{root}: runbook directory does not exist")
            continue
        for path in sorted(p for p in root.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file()):
            raw = path.read_bytes()
            rb, problems = parse_runbook(raw.decode("utf-8", errors="replace"), str(path))
            reg.errors += problems
            if rb is None:
                continue
            if rb.name in reg.runbooks:
                reg.errors.append(f"{path}:1: runbook name {rb.name!r} also defined in "
                                  f"{reg.runbooks[rb.name].path}")
                continue
            reg.runbooks[rb.name] = LoadedRunbook(rb, str(path), hashlib.sha256(raw).hexdigest())
    return reg
