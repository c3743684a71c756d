"""Every button a message offers has a listener, and every listener has a button somewhere.

Listener ids are read from the `@app.action(...)` decorators in bot/listeners (evaluated in
their module, so constants and patterns count as written); offered ids from every template
rendered with its fixtures, plus the buttons engine code builds (which fixtures carry too).
"""

from __future__ import annotations

import ast
import importlib
import json
import re
from pathlib import Path

from bot.render import TEMPLATES_DIR, render

ROOT = Path(__file__).resolve().parents[3]
FIXTURES = ROOT / "tests" / "fixtures" / "templates"


def _listened() -> list[str | re.Pattern[str]]:
    """Return what each @app.action(...) in bot/listeners matches: an id or a compiled pattern."""
    found: list[str | re.Pattern[str]] = []
    for path in sorted((ROOT / "bot" / "listeners").glob("*.py")):
        module = importlib.import_module(f"bot.listeners.{path.stem}")
        for node in ast.walk(ast.parse(path.read_text())):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "action"
                    and isinstance(node.func.value, ast.Name) and node.func.value.id == "app"):
                found.append(eval(compile(ast.Expression(node.args[0]), str(path), "eval"), vars(module)))
    return found


def _offered() -> set[str]:
    """Return every action_id in every template rendered with each of its fixtures."""
    ids: set[str] = set()
    for fixture in FIXTURES.rglob("*.json"):
        if fixture.name.endswith(".golden.json"):
            continue
        template = f"{fixture.parent.relative_to(FIXTURES).as_posix()}/{fixture.name.split('.')[0]}"
        if not (TEMPLATES_DIR / "slack" / f"{template}.json.j2").exists():
            continue
        ids |= set(_buttons(render(template, json.loads(fixture.read_text()))))
    return ids


def _buttons(node: object) -> list[str]:
    """Return the action_ids of buttons (inputs in a modal answer with the view, not an action)."""
    if isinstance(node, list):
        return [a for x in node for a in _buttons(x)]
    if not isinstance(node, dict):
        return []
    own = [node["action_id"]] if node.get("type") in ("button", "overflow") and "action_id" in node else []
    return own + [a for v in node.values() for a in _buttons(v)]


def _matches(action_id: str, listener: str | re.Pattern[str]) -> bool:
    return bool(listener.search(action_id)) if isinstance(listener, re.Pattern) else listener == action_id


def test_every_offered_button_has_a_listener():
    listeners = _listened()
    orphans = sorted(a for a in _offered() if not any(_matches(a, l) for l in listeners))
    assert not orphans, f"buttons no listener answers: {orphans}"


def test_every_listener_has_a_button_somewhere():
    offered = _offered()
    sources = "\n".join(p.read_text() for p in (ROOT / "engine").rglob("*.py")) + "\n".join(
        p.read_text() for p in (TEMPLATES_DIR / "slack").rglob("*.j2"))
    unused = []
    for listener in _listened():
        if isinstance(listener, re.Pattern):
            if not any(listener.search(a) for a in offered):
                unused.append(listener.pattern)
        elif listener not in offered and f'"{listener}"' not in sources:
            unused.append(listener)
    assert not unused, f"listeners no message offers: {unused}"
