"""The `http` step: one request to a literal host; redirects are not followed."""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from yarl import URL

from engine.runbooks.steps.base import StepDeps, StepResult
from engine.runbooks.template import reveal


async def run_http(step: dict[str, Any], deps: StepDeps) -> StepResult:
    """Send the request; an unexpected status or a network error fails the step."""
    try:
        headers = {k: reveal(v, deps.secrets) for k, v in step.get("headers", {}).items()}
    except KeyError as exc:
        return StepResult(False, f"secret {exc.args[0]} is not configured")
    url = URL(step["url"], encoded=True)  # already encoded by the planner: do not re-interpret
    if url.host != urlsplit(step["url"]).hostname:
        return StepResult(False, "refused: resolved URL host differs from the runbook's host")
    timeout = aiohttp.ClientTimeout(total=step["timeout"])
    kwargs: dict[str, Any] = {"headers": headers, "allow_redirects": False}
    if step.get("json") is not None:
        kwargs["json"] = step["json"]
    try:
        async with aiohttp.ClientSession(timeout=timeout) as session:
            async with session.request(step["method"], url, **kwargs) as resp:
                body = await resp.content.read(64 * 1024)
                status = resp.status
    except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
        return StepResult(False, f"{step['method']} {url.host} failed: {type(exc).__name__} {exc}".strip())
    text = await asyncio.to_thread(deps.clean, body.decode("utf-8", errors="replace"))
    ok = status in step.get("expect_status", [200])
    return StepResult(ok, f"HTTP {status}" + ("" if ok else f" (expected {step['expect_status']})"), text)
