"""The models config section: the documented example loads; bad gates and windows are named."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from engine.models.config import ModelsConfig

EXAMPLE = Path(__file__).resolve().parents[2] / "fixtures" / "models" / "opsbot.models.example.yaml"


def test_example_loads_and_resolves_per_model() -> None:
    cfg = ModelsConfig.model_validate(yaml.safe_load(EXAMPLE.read_text()))
    churn = cfg.rules_for("churn", env="production", channel="ops")
    assert churn.channel == "ml-models" and len(churn.gates_for("champion")) == 3 and len(churn.windows()) == 3
    assert cfg.rules_for("staging-churn").env == "staging" and cfg.rules_for("staging-churn").freeze == []
    fraud = cfg.rules_for("fraud")
    assert [g.source for g in fraud.gates_for("champion")] == ["auc >= current.auc", "latency_p95_ms <= 50"]
    assert fraud.gates_for("canary") == []  # no `*` entry: other aliases have no gates


@pytest.mark.parametrize("section, needle", [
    ({"defaults": {"gates": {"champion": ["auc >>= 1"]}}}, "gates.champion"),
    ({"defaults": {"freeze": ["someday"]}}, "someday"),
    ({"models": {"x": {"gatez": {}}}}, "gatez"),
])
def test_bad_config_names_the_problem(section: dict, needle: str) -> None:
    with pytest.raises(ValidationError) as err:
        ModelsConfig.model_validate(section)
    assert needle in str(err.value)
