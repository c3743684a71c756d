"""Command-text parsing of promote/rollback and the button values the engine emits."""

from __future__ import annotations

import pytest

from bot.listeners.models import parse_promote, parse_rollback, plain
from engine.errors import InvalidInput
from engine.models.messages import ROLLBACK, button_value, parse_button_value, rollback
from engine.models.verdicts import GateResult


def test_promote_forms() -> None:
    assert parse_promote(["churn", "7"]) == ("churn", 7, None, None, False)
    assert parse_promote(["churn", "v7", "to", "challenger"]) == ("churn", 7, "challenger", None, False)
    assert parse_promote(["churn", "7", "override", "data fix", "ok'd by risk"]) == (
        "churn", 7, None, "data fix ok'd by risk", False)
    assert parse_promote(["churn", "7", "to", "champion", "override", "x"])[2:] == ("champion", "x", False)
    assert parse_promote(["churn", "7", "to", "new-alias", "shadow"]) == ("churn", 7, "shadow", None, True)


@pytest.mark.parametrize("args", [[], ["churn"], ["churn", "seven"], ["churn", "7", "into", "x"],
                                  ["churn", "7", "override"], ["churn", "7", "to"],
                                  ["churn", "7", "to", "new-alias"]])
def test_promote_bad_forms(args: list[str]) -> None:
    with pytest.raises(InvalidInput):
        parse_promote(args)


def test_rollback_forms() -> None:
    assert parse_rollback(["churn"]) == ("churn", None, None)
    assert parse_rollback(["churn", "challenger"]) == ("churn", "challenger", None)
    assert parse_rollback(["churn", "to", "3"]) == ("churn", None, 3)
    assert parse_rollback(["churn", "champion", "to", "3"]) == ("churn", "champion", 3)
    with pytest.raises(InvalidInput):
        parse_rollback(["churn", "champion", "3"])


def test_button_values_round_trip() -> None:
    assert parse_button_value(button_value("churn", 4, "challenger")) == ("churn", 4, "challenger")
    assert parse_button_value(button_value("churn", None, "champion")) == ("churn", None, "champion")
    b = rollback("fraud")
    assert b.action_id == ROLLBACK and parse_button_value(b.value) == ("fraud", None, "champion")


def test_plain_makes_dataclasses_json_ready() -> None:
    g = GateResult("auc >= 0.9", "auc", 0.95, None, 0.9, None, True, "ok")
    assert plain({"gates": [g]})["gates"][0]["subject"] == "auc"


def test_a_missing_model_or_version_is_named_with_what_to_type():
    with pytest.raises(InvalidInput) as err:
        parse_promote(["churn"])
    assert err.value.message == "promote which version of churn?" and "/ops promote <model> <version>" in err.value.hint
    with pytest.raises(InvalidInput) as err:
        parse_promote([])
    assert err.value.message == "promote which model and version?" and "/ops models" in err.value.hint
    with pytest.raises(InvalidInput) as err:
        parse_rollback([])
    assert err.value.message == "roll back which model?" and "/ops rollback churn" in err.value.hint
