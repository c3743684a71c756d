"""Messages are built from typed data: a family states facts as a MessageData, never a loose dict.

New engine code builds its notices with `Notice.of(<MessageData>)`; the modules listed in
UNTYPED still call `Notice(..., context={...})` and are converted one family at a time (the list
may only shrink: a listed module that no longer does is an error, so it gets removed).
"""

from __future__ import annotations

import ast
import importlib
import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.render import TEMPLATES_DIR
from engine.core.notices import Button, MessageData, Notice, registered_actions
from tests.unit.templates.test_action_ids import _listened, _matches

ROOT = Path(__file__).resolve().parents[3]
FIXTURES = ROOT / "tests" / "fixtures" / "templates"
# The families whose messages are typed (importing them registers their MessageData classes).
TYPED = ["engine.models.messages", "engine.drift.messages", "engine.approvals.view", "engine.rca.messages",
         "engine.anomaly.watches.evidence", "engine.alerts.card", "engine.warroom.service", "engine.alerts.corrections_store",
         "engine.auto.messages", "engine.audit.anchors"]
UNTYPED: set[str] = set()


def _builds_notice_by_hand(path: Path) -> bool:
    return any(isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "Notice"
               for n in ast.walk(ast.parse(path.read_text())))


def _message_classes() -> list[type[MessageData]]:
    for name in TYPED:
        importlib.import_module(name)
    found, todo = [], list(MessageData.__subclasses__())
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo.extend(cls.__subclasses__())
    return found


def test_engine_builds_notices_only_from_typed_data():
    by_hand = {p.relative_to(ROOT).as_posix() for p in (ROOT / "engine").rglob("*.py")
               if p.name != "notices.py" and _builds_notice_by_hand(p)}
    assert not by_hand - UNTYPED, f"build these notices with Notice.of(<MessageData>): {sorted(by_hand - UNTYPED)}"
    assert not UNTYPED - by_hand, f"now typed, remove from UNTYPED: {sorted(UNTYPED - by_hand)}"


def test_a_notice_is_not_built_from_a_dict():
    with pytest.raises(TypeError):
        Notice.of({"model": "churn"}, key="k", channel="#c")  # type: ignore[arg-type]


def test_a_button_takes_only_a_registered_action_id():
    with pytest.raises(ValidationError):
        Button(action_id="models_promote_everywhere", value="churn|1|x")


@pytest.mark.parametrize("cls", _message_classes(), ids=lambda c: c.__name__)
def test_every_message_type_has_its_template_and_its_fixtures_fit_it(cls):
    template = cls.TEMPLATE
    assert (TEMPLATES_DIR / "slack" / f"{template}.json.j2").exists(), f"{cls.__name__}: no template {template}"
    folder, stem = FIXTURES / Path(template).parent, Path(template).name
    fixtures = [p for p in [*folder.glob(f"{stem}.json"), *folder.glob(f"{stem}.*.json")]
                if not p.name.endswith(".golden.json")]
    assert fixtures, f"{template} has no fixture"
    for fixture in fixtures:
        data = json.loads(fixture.read_text())
        # The fixture is exactly what the typed message stores: no field missing, none extra.
        assert cls.model_validate(data).as_context() == data, fixture.name


def test_every_registered_action_has_a_listener():
    _message_classes()
    listeners = _listened()
    orphans = sorted(a for a in registered_actions() if not any(_matches(a, l) for l in listeners))
    assert not orphans, f"registered action ids no listener answers: {orphans}"
