"""The `command` step: exec an argv list (never a shell) with an allowlisted environment."""

from __future__ import annotations

import asyncio
import os
import signal
from typing import Any

from engine.runbooks.steps.base import StepDeps, StepResult
from engine.runbooks.template import reveal

_MAX_CAPTURE = 256 * 1024  # keep at most this much; the rest is counted, not stored


async def _read_bounded(stream: asyncio.StreamReader) -> tuple[bytes, int]:
    head, tail, dropped = bytearray(), bytearray(), 0
    while chunk := await stream.read(65536):
        if len(head) < _MAX_CAPTURE // 2:
            take = _MAX_CAPTURE // 2 - len(head)
            head += chunk[:take]
            chunk = chunk[take:]
        tail += chunk
        if len(tail) > _MAX_CAPTURE // 2:
            dropped += len(tail) - _MAX_CAPTURE // 2
            del tail[: len(tail) - _MAX_CAPTURE // 2]
    marker = f"\n… [{dropped} bytes dropped] …\n".encode() if dropped else b""
    return bytes(head + marker + tail), dropped


def _kill_group(proc: asyncio.subprocess.Process) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # the whole group: children of the program die too
    except ProcessLookupError:
        pass


async def run_command(step: dict[str, Any], deps: StepDeps) -> StepResult:
    """Run the program; non-zero exit, timeout or a missing program fail the step."""
    env = {k: deps.base_env[k] for k in step.get("env_allowlist", []) if k in deps.base_env}
    env.setdefault("PATH", deps.base_env.get("PATH", "/usr/local/bin:/usr/bin:/bin"))
    for key, value in step.get("env", {}).items():
        try:
            env[key] = reveal(value, deps.secrets)
        except KeyError as exc:
            return StepResult(False, f"secret {exc.args[0]} is not configured")
    try:
        proc = await asyncio.create_subprocess_exec(
            *step["argv"], stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT, env=env, cwd=step.get("cwd") or None, start_new_session=True)
    except (FileNotFoundError, PermissionError, NotADirectoryError) as exc:
        return StepResult(False, f"cannot start {step['argv'][0]}: {exc.strerror or exc}")
    try:
        async with asyncio.timeout(step["timeout"]):
            out, _ = await _read_bounded(proc.stdout)  # type: ignore[arg-type]
            code = await proc.wait()
    except TimeoutError:
        _kill_group(proc)
        await proc.wait()
        return StepResult(False, f"timed out after {step['timeout']:g}s and was killed")
    except asyncio.CancelledError:
        _kill_group(proc)
        await asyncio.shield(proc.wait())
        raise
    # Redacting up to 256 KB against every secret encoding takes tens of ms: off the loop.
    text = await asyncio.to_thread(deps.clean, out.decode("utf-8", errors="replace"))
    if code != 0:
        return StepResult(False, f"exited with status {code}", text)
    return StepResult(True, "exited with status 0", text)
