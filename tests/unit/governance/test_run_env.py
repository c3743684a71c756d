"""`/ops run <runbook> env=<its environment>` is a person naming the target, not an unknown parameter."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from bot.listeners.runbooks import take_env
from engine.errors import InvalidInput


def _loaded(parameters: dict) -> SimpleNamespace:
    return SimpleNamespace(runbook=SimpleNamespace(name="restart-service", environment="production",
                                                   parameters=parameters))


def test_the_runbooks_own_environment_is_taken_and_dropped():
    assert take_env(_loaded({"service": object()}), {"service": "api", "env": "production"}) == {"service": "api"}
    assert take_env(_loaded({"service": object()}), {"service": "api"}) == {"service": "api"}


def test_another_environment_is_refused_naming_the_right_one():
    with pytest.raises(InvalidInput) as err:
        take_env(_loaded({"service": object()}), {"service": "api", "env": "staging"})
    assert "runs in production, not staging" in str(err.value)


def test_a_runbook_with_its_own_env_parameter_keeps_it():
    given = {"service": "api", "env": "blue"}
    assert take_env(_loaded({"service": object(), "env": object()}), given) == given
