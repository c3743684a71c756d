"""A word past what a subcommand reads is a mistake the person is told about, never silently dropped."""

from __future__ import annotations

import json
from types import SimpleNamespace

from bot.app import dispatch_command
from bot.router import Router, Subcommand


async def _answer(router: Router, text: str) -> tuple[str, list[list[str]]]:
    seen: list[list[str]] = []

    async def handler(ctx):
        seen.append(ctx.args)
        return {"text": "ran", "response_type": "ephemeral"}

    for cmd in router.commands():
        object.__setattr__(cmd, "handler", handler)
    acked: dict = {}

    async def ack(**reply):
        acked.update(reply)

    deps = SimpleNamespace(router=router, metrics=None)
    await dispatch_command(deps, ack, {"text": text, "user_id": "U0ALICE"}, None, None)
    return acked.get("text", "") + json.dumps(acked.get("blocks", [])), seen


def _router() -> Router:
    router = Router()
    for name, most, usage in (("incident", 1, "incident <id>"), ("whoami", 0, "whoami"),
                              ("promote", None, 'promote <name> <version> [override "<reason>"]')):
        router.add(Subcommand(name=name, summary=name, usage=usage, example=f"/ops {name}",
                              handler=None, max_args=most))  # type: ignore[arg-type]
    return router


async def test_an_extra_word_is_named_with_the_usage_and_nothing_runs():
    text, seen = await _answer(_router(), "incident 1 2")
    assert seen == [] and "left over: '2'" in text and "usage: `/ops incident &lt;id&gt;`" in text, text
    text, seen = await _answer(_router(), "whoami please")
    assert seen == [] and "takes no words" in text and "'please'" in text, text


async def test_words_within_the_limit_and_free_text_still_run():
    assert (await _answer(_router(), "incident 1"))[1] == [["1"]]
    assert (await _answer(_router(), "whoami"))[1] == [[]]
    long = 'promote churn 3 override "the auc gate is wrong for this data"'
    assert (await _answer(_router(), long))[1] == [["churn", "3", "override", "the auc gate is wrong for this data"]]


def test_a_runbook_word_that_is_not_key_value_says_how_to_write_one():
    import pytest

    from engine.errors import InvalidInput
    from engine.runbooks import parse_args

    with pytest.raises(InvalidInput) as err:
        parse_args(["service=api", "extra"])
    assert "'extra'" in err.value.message and "key=value" in (err.value.hint or ""), err.value
