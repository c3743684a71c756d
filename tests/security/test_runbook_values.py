"""User values stay values: a parameter that spells a secret reference reaches the program and the
HTTP endpoint as those characters, the author's own references still work, step output is redacted
in every encoding we claim, and line separators in a parameter are refused."""

from __future__ import annotations

import base64
import json
import sys
from pathlib import Path

from aiohttp import web

from tests.security.runbook_flow import CHANNEL, card, card_in_state, config_with_secrets, request_run, texts
from tests.servers import free_port

SECRET = "topsecret>>?~value"  # its base64 holds '/' so standard and URL-safe forms differ
TRICK = "${secret:SEC_API_SECRET}"

# Writes what it was given to a file, then prints the secret it got from the author's reference in
# every encoding redaction promises to mask.
SCRIPT = """
import base64, json, os, sys
tok = os.environ["TOKEN"]
json.dump({"argv": sys.argv[1:], "VALUE": os.environ["VALUE"], "TOKEN": tok}, open(sys.argv[1], "w"))
raw = tok.encode()
print("plain", tok)
print("b64", base64.b64encode(raw).decode())
print("b64url", base64.urlsafe_b64encode(raw).decode().rstrip("="))
print("HEX", raw.hex().upper(), "hex", raw.hex())
print("basic", base64.b64encode(b"user:" + raw).decode())
"""


def _runbook(out: Path, port: int) -> str:
    return f"""
name: echo-value
description: Hand a value to a program and to an HTTP endpoint.
environment: production
parameters:
  value: {{type: string, max_length: 100}}
steps:
  - name: program
    type: command
    argv: [{json.dumps(sys.executable)}, -c, {json.dumps(SCRIPT)}, {json.dumps(str(out))}, "${{value}}"]
    env: {{VALUE: "${{value}}", TOKEN: "${{secret:SEC_API_SECRET}}"}}
  - name: call
    type: http
    method: POST
    url: "http://127.0.0.1:{port}/hook/${{value}}?v=${{value}}"
    headers: {{X-Value: "${{value}}", Authorization: "${{secret:SEC_API_SECRET}}"}}
    json: {{value: "${{value}}"}}
"""


async def _receiver() -> tuple[web.AppRunner, int, list[dict]]:
    seen: list[dict] = []

    async def hook(request: web.Request) -> web.Response:
        seen.append({"path": request.match_info["rest"], "query": dict(request.query),
                     "headers": dict(request.headers), "json": await request.json()})
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_post("/hook/{rest:.+}", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner, port, seen


def _encodings(secret: str) -> list[str]:
    raw = secret.encode()
    return [secret, base64.b64encode(raw).decode(), base64.urlsafe_b64encode(raw).decode().rstrip("="),
            raw.hex(), raw.hex().upper(), base64.b64encode(b"user:" + raw).decode()[8:20]]


async def test_a_parameter_spelling_a_secret_reference_arrives_literally(start_bot, store_url, tmp_path):
    runner, port, seen = await _receiver()
    out = tmp_path / "program.json"
    try:
        bot = await start_bot(store_url, config=config_with_secrets("SEC_API_SECRET"),
                              runbooks={"echo-value": _runbook(out, port)}, SEC_API_SECRET=SECRET)
        answer = await request_run(bot, "alice", f"echo-value value={TRICK}")
        assert "Approval requested (#1)" in answer, answer
        msg = await card(bot, 1)
        await bot.ws.click("bob", CHANNEL, msg["ts"], "approval_approve")
        await card_in_state(bot, msg["ts"], "succeeded")
    finally:
        await runner.cleanup()

    got = json.loads(out.read_text())
    assert got["argv"] == [str(out), TRICK] and got["VALUE"] == TRICK
    assert got["TOKEN"] == SECRET  # the author's own reference still resolves
    [call] = seen
    assert call["headers"]["X-Value"] == TRICK and call["path"] == TRICK and call["query"] == {"v": TRICK}
    assert call["json"] == {"value": TRICK}
    assert call["headers"]["Authorization"] == SECRET

    # Whatever the program printed about the secret shows masked, in every encoding.
    replies = await bot.ws.wait_for(lambda: (r := bot.ws.replies(CHANNEL, msg["ts"])) and
                                    any("basic" in texts(x) for x in r) and r, timeout=15)
    shown = " ".join(texts(m) for m in bot.ws.messages(CHANNEL) + replies)
    assert "[REDACTED]" in shown
    for form in _encodings(SECRET):
        assert form not in shown, form
        assert form not in bot.log_tail(10**7), form


async def test_a_line_separator_in_a_parameter_is_refused(start_bot, sqlite_url, tmp_path):
    bot = await start_bot(sqlite_url, runbooks={"echo-value": _runbook(tmp_path / "never.json", 9)},
                          config=config_with_secrets("SEC_API_SECRET"), SEC_API_SECRET=SECRET)
    for sep in ("\u2028", "\u2029", "\x85", "\x0b", "\x0c", "\x1e"):
        answer = await request_run(bot, "alice", f"echo-value value=api{sep}rm")
        assert "line breaks" in answer and "Approval requested" not in answer, (repr(sep), answer)
    assert not [m for m in bot.ws.messages(CHANNEL) if m.get("text", "").startswith("#")]
    assert not (tmp_path / "never.json").exists()
