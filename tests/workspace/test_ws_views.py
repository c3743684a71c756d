"""views.open / push / update: trigger ids, validation, hashes and the modal stack."""

from __future__ import annotations

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from tinybot import FORM_VIEW, TOKEN


def small(title: str) -> dict:
    return {"type": "modal", "title": {"type": "plain_text", "text": title},
            "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": title}}]}


async def error_code(coro) -> str:
    with pytest.raises(SlackApiError) as info:
        await coro
    return info.value.response["error"]


@pytest.fixture
def api(clocked):
    return AsyncWebClient(token=TOKEN, base_url=clocked.api_url)


def trigger(clocked, user="U0ALICE") -> str:
    ws = clocked.workspace
    return ws.tokens.issue_trigger(user, ws.now())


async def test_trigger_ids_are_single_use_and_short_lived(clocked, api):
    assert await error_code(api.views_open(trigger_id="bogus", view=FORM_VIEW)) == \
        "invalid_trigger_id"
    tid = trigger(clocked)
    view = (await api.views_open(trigger_id=tid, view=FORM_VIEW)).data["view"]
    assert view["callback_id"] == "runbook.params" and view["id"].startswith("V")
    assert clocked.open_view("alice")["id"] == view["id"]
    assert await error_code(api.views_open(trigger_id=tid, view=FORM_VIEW)) == \
        "exchanged_trigger_id"
    late = trigger(clocked)
    clocked.clock.advance(3.5)
    assert await error_code(api.views_open(trigger_id=late, view=FORM_VIEW)) == \
        "expired_trigger_id"


async def test_invalid_view_is_rejected_without_using_the_trigger(clocked, api):
    tid = trigger(clocked)
    bad = dict(FORM_VIEW, title={"type": "plain_text", "text": "x" * 30})
    with pytest.raises(SlackApiError) as info:
        await api.views_open(trigger_id=tid, view=bad)
    assert info.value.response["error"] == "invalid_arguments"
    assert "/view/title/text" in info.value.response["response_metadata"]["messages"][0]
    await api.views_open(trigger_id=tid, view=FORM_VIEW)


async def test_update_by_id_with_hash_and_push_limit(clocked, api):
    view = (await api.views_open(trigger_id=trigger(clocked), view=small("one"))).data["view"]
    updated = (await api.views_update(view_id=view["id"], hash=view["hash"],
                                      view=small("two"))).data["view"]
    assert updated["id"] == view["id"] and updated["title"]["text"] == "two"
    assert await error_code(api.views_update(view_id=view["id"], hash=view["hash"],
                                             view=small("three"))) == "hash_conflict"
    assert await error_code(api.views_update(view_id="V404", view=small("x"))) == "not_found"
    await api.views_push(trigger_id=trigger(clocked), view=small("pushed 2"))
    await api.views_push(trigger_id=trigger(clocked), view=small("pushed 3"))
    assert clocked.open_view("alice")["title"]["text"] == "pushed 3"
    assert await error_code(api.views_push(trigger_id=trigger(clocked), view=small("4"))) == \
        "push_limit_reached"
    await clocked.close_view("alice")
    assert clocked.open_view("alice")["title"]["text"] == "pushed 2"


async def test_external_id_update(clocked, api):
    await api.views_open(trigger_id=trigger(clocked), view=dict(small("e"), external_id="ext-1"))
    await api.views_update(external_id="ext-1", view=small("e2"))
    assert clocked.open_view("alice")["title"]["text"] == "e2"
