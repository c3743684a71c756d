"""`opsbot demo` starts, seeds every feature without errors, and answers in the page's channels."""

from __future__ import annotations

import asyncio

import aiohttp

from bot import demo


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
    assert "could not seed" not in out, out
    stop.set()
    assert await asyncio.wait_for(task, 30) == 0
