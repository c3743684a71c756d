"""Parse YAML keeping the line of every value, so errors can say file:line."""

from __future__ import annotations

from typing import Any

import yaml

Path_ = tuple[Any, ...]


class YamlError(Exception):
    """A YAML syntax or structure problem at a line."""

    def __init__(self, line: int, problem: str) -> None:
        super().__init__(f"line {line}: {problem}")
        self.line = line
        self.problem = problem


def _build(node: yaml.Node, path: Path_, lines: dict[Path_, int]) -> Any:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = yaml.safe_load(yaml.serialize(key_node)) if not isinstance(key_node, yaml.ScalarNode) \
                else _scalar(key_node)
            if not isinstance(key, (str, int, float, bool)):
                raise YamlError(key_node.start_mark.line + 1, "mapping keys must be plain scalars")
            if key in out:
                raise YamlError(key_node.start_mark.line + 1, f"duplicate key {key!r}")
            out[key] = _build(value_node, path + (key,), lines)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_build(item, path + (i,), lines) for i, item in enumerate(node.value)]
    return _scalar(node)


def _scalar(node: yaml.ScalarNode) -> Any:
    # Reuse SafeLoader's resolution (ints, bools, nulls) for one scalar node.
    loader = yaml.SafeLoader("")
    try:
        return loader.construct_object(node, deep=True)
    finally:
        loader.dispose()


def load_with_lines(text: str) -> tuple[Any, dict[Path_, int]]:
    """Return (data, {path: line}) for a YAML document; raise YamlError with the line."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise YamlError((mark.line + 1) if mark else 1, str(exc.problem or exc)) from exc
    lines: dict[Path_, int] = {}
    if node is None:
        return None, lines
    return _build(node, (), lines), lines


def line_for(lines: dict[Path_, int], loc: Path_) -> int:
    """Return the line of the deepest known prefix of loc."""
    loc = tuple(loc)
    while loc and loc not in lines:
        loc = loc[:-1]
    return lines.get(loc, 1)
