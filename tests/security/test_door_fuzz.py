"""Property-based fuzz of the Slack door: every payload type, validly signed, mutated at random,
sent to a running `opsbot serve`. No answer may be 5xx, and the process must stay up."""

from __future__ import annotations

import asyncio
import copy
import http.client
import json
import os
import time
from collections import Counter
from typing import Any, Iterator
from urllib.parse import urlencode

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot import ids
from bot.listeners.runbooks import MODAL_CALLBACK, OPEN_MODAL
from bot.workspace import sign

# ~100-200 examples per payload type keeps the whole run under a minute on a loaded machine.
EXAMPLES = int(os.environ.get("OPSBOT_FUZZ_EXAMPLES", "150"))

USER = {"id": "U0ALICE", "username": "alice", "name": "alice", "team_id": "T0LOCAL"}
TEAM = {"id": "T0LOCAL", "domain": "opsbot-local"}
ACTION_IDS = [ids.HELP_OPEN + ".alerts", ids.ALERTS_ACK, ids.ALERTS_RESOLVE, ids.ALERTS_SILENCE,
              ids.ALERTS_UNSILENCE, ids.ALERTS_SNOOZE_PREFIX + "60", ids.APPROVAL_APPROVE,
              ids.APPROVAL_REJECT, ids.APPROVAL_CANCEL, ids.MODELS_PROMOTE_CHALLENGER,
              ids.MODELS_PROMOTE_CHAMPION, ids.MODELS_ROLLBACK, ids.DRIFT_COMPARE, ids.DRIFT_SHOW_ALL,
              ids.ANOMALY_NOT_ANOMALY, ids.ANOMALY_USEFUL, ids.RCA_CONFIRM, ids.RCA_SHOW, ids.RCA_WRONG,
              OPEN_MODAL, "no.such.action"]
COMMAND_TEXTS = ["help", "run count", "runbooks", "incident 99999999999999999999", "why 1", "audit #1",
                 "drift m --window 1h", "stats", "whoami", "", "payload", "approve abc"]

json_leaf = st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats(allow_nan=False) \
    | st.text(max_size=24)
json_value = st.recursive(json_leaf, lambda inner: st.lists(inner, max_size=3)
                          | st.dictionaries(st.text(max_size=10), inner, max_size=3), max_leaves=10)


def interaction(kind: str, **fields: Any) -> dict[str, Any]:
    """Return a well-formed interaction payload of `kind` as the workspace sends it."""
    return {"type": kind, "user": dict(USER), "team": dict(TEAM), "api_app_id": "A0OPSBOT",
            "token": "t", "trigger_id": "13345224609.738474920.8088930838d88f008e0", "enterprise": None,
            "is_enterprise_install": False, **fields}


def view(callback_id: str, metadata: dict[str, str], values: dict[str, Any]) -> dict[str, Any]:
    return {"id": "V0001", "type": "modal", "callback_id": callback_id, "team_id": "T0LOCAL",
            "private_metadata": json.dumps(metadata), "state": {"values": values}}


def bases(action_id: str) -> dict[str, dict[str, Any]]:
    """One well-formed payload per type; the fuzz mutates these."""
    return {
        "block_actions": interaction(
            "block_actions", container={"type": "message", "message_ts": "1.2", "channel_id": "C0OPS"},
            channel={"id": "C0OPS", "name": "ops"}, message={"ts": "1.2", "text": "x", "blocks": []},
            actions=[{"action_id": action_id, "block_id": "b1", "type": "button", "value": "1:abc",
                      "action_ts": "1.3"}]),
        "view_submission": interaction("view_submission", view=view(
            MODAL_CALLBACK, {"name": "count", "channel": "C0OPS"},
            {"param:service": {"value": {"type": "plain_text_input", "value": "api"}}})),
        "view_submission_drift": interaction("view_submission", view=view(
            ids.DRIFT_COMPARE_MODAL, {"model": "churn", "channel": "C0OPS"},
            {"window": {"value": {"type": "plain_text_input", "value": "24h"}}})),
        "view_closed": interaction("view_closed", is_cleared=False, view=view(MODAL_CALLBACK, {}, {})),
        "shortcut": interaction("shortcut", callback_id="opsbot.shortcut", action_ts="1.2"),
        "message_action": interaction("message_action", callback_id="opsbot.msg", channel={"id": "C0OPS"},
                                      message={"ts": "1.2", "user": "U0BOB", "text": "hi"}),
        "event_callback": {"type": "event_callback", "token": "t", "team_id": "T0LOCAL",
                           "api_app_id": "A0OPSBOT", "event_id": "Ev1", "event_time": 1,
                           "event": {"type": "app_mention", "user": "U0ALICE", "text": "<@U0OPSBOT> hi",
                                     "ts": "1.2", "channel": "C0OPS", "event_ts": "1.2"}},
        "url_verification": {"type": "url_verification", "token": "t", "challenge": "abc"},
    }


def _paths(doc: Any, prefix: tuple = ()) -> Iterator[tuple]:
    """Yield the path of every node under doc (dict keys and list indexes)."""
    items = doc.items() if isinstance(doc, dict) else enumerate(doc) if isinstance(doc, list) else ()
    for key, value in items:
        yield prefix + (key,)
        yield from _paths(value, prefix + (key,))


@st.composite
def mutated(draw: Any, base: dict[str, Any]) -> Any:
    """Return the base payload with 0-3 nodes replaced by arbitrary JSON or removed."""
    doc = copy.deepcopy(base)
    for _ in range(draw(st.integers(0, 3))):
        paths = list(_paths(doc))
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = doc
        for key in path[:-1]:
            parent = parent[key]
        if isinstance(parent, dict) and draw(st.booleans()):
            del parent[path[-1]]
        else:
            parent[path[-1]] = draw(json_value)
    return doc


def payload_strategy(kind: str) -> st.SearchStrategy[bytes]:
    """Raw bodies of one payload type: mutated well-formed ones, and arbitrary JSON with its type."""
    if kind == "command":
        form = st.fixed_dictionaries(
            {"command": st.sampled_from(["/ops", "/other"]) | st.text(max_size=8),
             "text": st.sampled_from(COMMAND_TEXTS) | st.text(max_size=60),
             "user_id": st.sampled_from(["U0ALICE", "U0BOB", ""]) | st.text(max_size=12)},
            optional={"channel_id": st.sampled_from(["C0OPS", "C0NOPE"]) | st.text(max_size=12),
                      "team_id": st.text(max_size=12), "user_name": st.text(max_size=12),
                      "trigger_id": st.text(max_size=20), "response_url": st.text(max_size=12),
                      "ssl_check": st.text(max_size=2), "payload": st.text(max_size=20)})
        return form.map(lambda f: urlencode(f).encode())
    if kind == "raw":
        return st.binary(max_size=300)
    docs = st.sampled_from(ACTION_IDS).flatmap(lambda a: mutated(bases(a)[kind]))
    typed = st.dictionaries(st.text(max_size=12), json_value, max_size=6).map(
        lambda d: {**d, "type": bases("x")[kind]["type"]})
    chosen = st.one_of(docs, docs, typed)
    if kind in ("event_callback", "url_verification"):
        return chosen.map(lambda d: json.dumps(d).encode())
    return chosen.map(lambda d: urlencode({"payload": json.dumps(d)}).encode())


KINDS = ["command", "block_actions", "view_submission", "view_submission_drift", "view_closed",
         "shortcut", "message_action", "event_callback", "url_verification", "raw"]


def fuzz_kind(port: int, secret: str, kind: str, statuses: Counter, failures: list) -> None:
    """Run the property for one payload type against the server (blocking: runs in a thread)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    json_body = kind in ("event_callback", "url_verification")

    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=False,
              suppress_health_check=list(HealthCheck))
    @given(payload_strategy(kind))
    def never_5xx(body: bytes) -> None:
        ts = str(int(time.time()))
        headers = {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": sign(secret, ts, body),
                   "Content-Type": "application/json" if json_body else "application/x-www-form-urlencoded"}
        conn.request("POST", "/slack/events", body=body, headers=headers)
        resp = conn.getresponse()
        text = resp.read()
        statuses[(kind, resp.status)] += 1
        if resp.status >= 500:
            failures.append((kind, body[:300], resp.status, text[:200]))
        assert resp.status < 500, (kind, body[:300], resp.status, text[:200])

    try:
        never_5xx()
    finally:
        conn.close()


async def test_signed_fuzz_over_every_payload_type_finds_no_5xx(start_bot, sqlite_url):
    bot = await start_bot(sqlite_url)
    statuses: Counter = Counter()
    failures: list = []
    started = time.monotonic()
    for kind in KINDS:
        began = time.monotonic()
        try:
            await asyncio.to_thread(fuzz_kind, bot.port, bot.secret, kind, statuses, failures)
            print(f"fuzz: {kind} took {time.monotonic() - began:.1f}s")
        except AssertionError:
            print(bot.log_tail(6_000))  # the server's side of the falsifying example
            raise
        assert bot.alive(), bot.log_tail()
    elapsed = time.monotonic() - started
    print(f"fuzz: {sum(statuses.values())} signed requests in {elapsed:.1f}s:",
          dict(sorted(statuses.items())))
    assert not failures, failures[:3]
    # Each type was both refused at the door and let through to Bolt and the listeners.
    assert {k for (k, s) in statuses if s == 400} == set(KINDS), statuses
    assert {k for (k, s) in statuses if s < 300} >= set(KINDS) - {"raw"}, statuses
    assert bot.alive()
    async with bot.session.get(bot.url + "/healthz") as resp:
        assert resp.status == 200
