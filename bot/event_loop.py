"""The server's event loop: uvloop where installed and chosen, asyncio's own otherwise."""

from __future__ import annotations

import asyncio
from typing import Any, Callable, Coroutine, TypeVar

T = TypeVar("T")
LOOPS = ("uvloop", "asyncio")


def loop_factory(name: str = "uvloop") -> Callable[[], asyncio.AbstractEventLoop] | None:
    """Return a factory for the named loop (None: asyncio's default); uvloop falls back when missing."""
    if name not in LOOPS:
        raise ValueError(f"unknown event loop {name!r}: use one of {', '.join(LOOPS)}")
    if name == "uvloop":
        try:
            import uvloop
        except ImportError:  # a platform without its wheels: asyncio's loop serves the same
            return None
        return uvloop.new_event_loop
    return None


def run(main: Coroutine[Any, Any, T], loop: str = "uvloop") -> T:
    """Run a coroutine to completion on the named event loop, as asyncio.run does."""
    with asyncio.Runner(loop_factory=loop_factory(loop)) as runner:
        return runner.run(main)
