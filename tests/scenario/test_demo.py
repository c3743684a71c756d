"""`opsbot demo` starts, seeds every feature without errors, and answers in the page's channels."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

import aiohttp

from bot import demo
from bot.ids import ERROR_BLOCK_ID
from bot.demo_alertmanager import find_binary


async def test_demo_starts_seeds_and_answers_help(tmp_path, capsys, monkeypatch):
    stop = asyncio.Event()
    port = demo._free_port()
    task = asyncio.create_task(demo.run_demo(port=port, open_browser=False, data_dir=tmp_path / "demo", stop=stop,
                                             mlflow_dir=tmp_path / "mlflow"))
    url = f"http://127.0.0.1:{port}"
    out = ""
    async with aiohttp.ClientSession() as http:
        for _ in range(1800):  # training the demo models takes ~30 s on a busy 2-core machine
            out += capsys.readouterr().out
            if "Opsbot demo is running" in out:
                break
            assert not task.done(), f"demo exited early: {out}"
            await asyncio.sleep(0.1)
        async with http.get(url) as resp:
            assert resp.status == 200
        await _every_help_example_answers_without_error(http, url)
        if find_binary():  # `make test` installs Debian's prometheus-alertmanager
            await _silence_from_the_page(http, url, out)
    assert "could not seed" not in out, out
    stop.set()
    assert await asyncio.wait_for(task, 30) == 0


async def _silence_from_the_page(http: aiohttp.ClientSession, url: str, out: str) -> None:
    """Click Silence on a storm incident as the page does; the demo's Alertmanager lists it.

    Only incidents with Alertmanager alerts offer the button: not the anomaly detector's."""
    am_url = re.search(r"alertmanager: (http://127\.0\.0\.1:\d+) keeps the silences", out)
    assert am_url, out

    async def incidents() -> list[dict]:
        async with http.get(f"{url}/ui/state", params={"channel": "incidents", "user": "U0ALICE"}) as resp:
            return [m for m in (await resp.json())["messages"] if " incident #" in m["text"]]

    found = await incidents()
    offered = [m for m in found if "alerts.silence" in str(m["blocks"])]
    assert offered and all("MetricAnomaly" not in m["text"] for m in offered), [m["text"] for m in found]
    assert any("MetricAnomaly" in m["text"] for m in found)
    ts = offered[-1]["ts"]
    async with http.post(f"{url}/ui/action", json={"user": "U0ALICE", "channel": "incidents", "ts": ts,
                                                   "action_id": "alerts.silence"}) as resp:
        assert resp.status == 200, await resp.text()
    for _ in range(100):
        if any(m["ts"] == ts and "alerts.unsilence" in str(m["blocks"]) for m in await incidents()):
            break
        await asyncio.sleep(0.1)
    else:
        raise AssertionError("the incident message never offered Expire silence")
    async with http.get(f"{am_url.group(1)}/api/v2/silences") as resp:
        silences = [s for s in await resp.json() if s["status"]["state"] == "active"]
    # One silence per alert name of the incident, each naming exactly one alertname.
    assert silences and all(s["createdBy"].startswith("alice") for s in silences), silences
    assert all(sum(m["name"] == "alertname" and not m["isRegex"] for m in s["matchers"]) == 1 for s in silences)


async def _every_help_example_answers_without_error(http: aiohttp.ClientSession, url: str) -> None:
    """Type each `e.g.` of `/ops help` into #ops as alice: none may answer with an error."""

    async def seen() -> list[dict]:
        async with http.get(f"{url}/ui/state", params={"channel": "ops", "user": "U0ALICE"}) as resp:
            return (await resp.json())["messages"]

    async def send(text: str) -> list[dict]:
        """Send, then return what appeared since (waiting for late answers as well)."""
        before = {m["ts"] for m in await seen()}
        async with http.post(f"{url}/ui/send", json={"user": "U0ALICE", "channel": "ops", "text": text}) as resp:
            assert resp.status == 200, await resp.text()
        new: list[dict] = []
        for _ in range(100):
            new = [m for m in await seen() if m["ts"] not in before]
            if new:
                break
            await asyncio.sleep(0.1)
        await asyncio.sleep(0.5)  # an answer that acks first may still be followed by an error
        return [m for m in await seen() if m["ts"] not in before]

    help_text = json.dumps(await send("/ops help"))
    examples = set(re.findall(r"e\.g\. `(/ops [^`]+)`", help_text))
    assert len(examples) >= 15, help_text[:2000]
    # The README's own examples too: every `/ops ...` it shows without a placeholder in it.
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    examples |= {e for e in re.findall(r"`(/ops [^`]+)`", readme) if not re.search(r"[<>\[\]|]|\.\.\.", e)}
    examples = sorted(examples)
    failed = {}
    for example in examples:
        answers = await send(example)
        errors = [m["text"] for m in answers if ERROR_BLOCK_ID in json.dumps(m.get("blocks"))]
        if errors or not answers:
            failed[example] = errors or ["no answer"]
    assert not failed, json.dumps(failed, indent=1)
