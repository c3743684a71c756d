"""One `opsbot demo` for the journey module, run in its own thread and loop, and a Chromium driven
through Playwright's sync API (the journeys are plain functions: no event loop of pytest's is involved)."""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import sys
import threading
import time
from pathlib import Path
from typing import Iterator

import pytest

from bot import demo
from tests.conftest import CHROMIUM, CHROMIUM_ARGS


class _Tee(io.TextIOBase):
    """Keeps what the demo prints (to learn when it is seeded) and still shows it."""

    def __init__(self, out):
        self.out, self.text = out, ""

    def write(self, s: str) -> int:
        self.text += s
        return self.out.write(s)

    def flush(self) -> None:
        self.out.flush()


@pytest.fixture(scope="package")
def demo_url(tmp_path_factory) -> Iterator[str]:
    """Start `opsbot demo` on a free port in a background thread; yield its workspace URL."""
    base = tmp_path_factory.mktemp("demo")
    port = demo._free_port()
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()
    result: dict = {}

    def run() -> None:
        asyncio.set_event_loop(loop)
        try:
            result["rc"] = loop.run_until_complete(demo.run_demo(
                port=port, open_browser=False, data_dir=base / "demo", stop=stop, mlflow_dir=base / "mlflow"))
        except BaseException as exc:  # reported by the fixture, not lost in the thread
            result["error"] = exc

    tee = _Tee(sys.stdout)
    with contextlib.redirect_stdout(tee):
        thread = threading.Thread(target=run, name="opsbot-demo", daemon=True)
        thread.start()
        deadline = time.monotonic() + 240  # training the demo models takes ~30-60 s on a busy 2-core machine
        while "Opsbot demo is running" not in tee.text:
            assert thread.is_alive(), f"demo exited early: {result} {tee.text}"
            assert time.monotonic() < deadline, f"demo not up in time: {tee.text}"
            time.sleep(0.2)
    assert "could not seed" not in tee.text, tee.text
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(60)
        assert result.get("rc") == 0, result


@pytest.fixture(scope="package")
def browser(demo_url):
    """Debian's Chromium, headless, shared by the journeys and closed after them: Playwright's sync API
    holds an event loop in this thread, which later asyncio tests must not find."""
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is absent (Debian package 'chromium')")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def shots(tmp_path_factory) -> Path:
    """Where a journey keeps its screenshot (under pytest's tmp dir)."""
    return tmp_path_factory.mktemp("journey-shots")


WAIT = 15000  # ms: the outbox re-renders cards within a second or two on a busy machine


@pytest.fixture
def person(browser, demo_url):
    """A fresh page on the demo (one per journey), failing the journey on any JavaScript error."""
    from tests.journeys.workspace import Person

    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(WAIT)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield Person(page, demo_url)
    page.close()
    assert errors == [], f"JavaScript errors on the page: {errors}"
