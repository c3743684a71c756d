"""`opsbot serve --workers N`: N full replicas in N processes sharing one port.

One Python process runs on one core. Each worker is a complete replica (Slack endpoint,
webhooks, scheduler under leases) listening on the same port with SO_REUSEPORT, so the kernel
spreads connections across them. Alert webhooks switch to store-and-answer: every worker
validates and durably stores the body before its 2xx, and one pump in the deployment (the
leased `alerts-pump` job, see engine/alerts/pump.py) runs stored batches through the pipeline
in arrival order. The supervisor forwards SIGTERM/SIGINT and stops every worker when one dies,
so the platform's restart policy sees one failed service, not a half-running one.
"""

from __future__ import annotations

import asyncio
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from typing import Callable, Mapping, Sequence

from engine.alerts.pump import JOB, AlertPump

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"  # bot/metrics.py reads it; importing that here costs startup

STOP_GRACE_S = 30.0  # how long stopping workers may take before they are killed


def enable_pump(engine) -> AlertPump:  # noqa: ANN001 - engine.api.Engine (kept import-light)
    """Switch alert webhooks to store-and-answer and register the leased pump job."""
    pump = engine.alerts.enable_pump()
    engine.scheduler.add(JOB, 0.0, pump.run)
    return pump


async def serve_worker(runtime, host: str, port: int) -> None:  # noqa: ANN001 - bot.runtime.Runtime
    """Run one worker until SIGTERM/SIGINT; the supervisor already applied the migrations."""
    pump = enable_pump(runtime.engine)
    await runtime.start(host, port, migrate_first=False, reuse_port=True)
    from bot.runtime import freeze_startup_heap  # kept out of the module's imports: the supervisor needs none

    freeze_startup_heap()  # as serve_forever does
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        pump.stop()  # finish the current group; what is left is stored and another pump takes it
        await runtime.stop()


def worker_env(env: dict[str, str], index: int) -> dict[str, str]:
    """Return a worker's environment: OPSBOT_REPLICA_ID, when set, gains the worker's index."""
    # Leases are owned per process either way (engine/core/replicas.py); the suffix keeps the
    # workers of one server apart in logs and `opsbot check` instead of reading as a clash.
    name = env.get("OPSBOT_REPLICA_ID", "").strip()
    return {**env, "OPSBOT_REPLICA_ID": f"{name}/w{index}"} if name else env


def supervise(n: int, argv_for: Callable[[int], Sequence[str]], environ: Mapping[str, str],
              metrics_dir: str | None = None) -> int:
    """Run n worker processes; forward SIGTERM/SIGINT; when one exits stop all; return its code."""
    # One metrics directory for all workers, so any worker's /metrics reports the whole
    # server (bot/metrics.py); a directory the operator chose is kept, ours is removed.
    own_dir = None if metrics_dir else tempfile.mkdtemp(prefix="opsbot-metrics-")
    env = {**environ, MULTIPROC_ENV: metrics_dir or own_dir or ""}
    try:
        return _run_workers([subprocess.Popen(list(argv_for(i)), env=worker_env(env, i)) for i in range(n)])
    finally:
        if own_dir:
            shutil.rmtree(own_dir, ignore_errors=True)


def _run_workers(procs: list[subprocess.Popen]) -> int:
    stopping = False

    def forward(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True
        for p in procs:
            if p.poll() is None:
                p.send_signal(signum)

    old = {s: signal.signal(s, forward) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        code = 0
        while all(p.poll() is None for p in procs):
            time.sleep(0.2)
        first = next(p for p in procs if p.poll() is not None)
        code = first.returncode if not stopping else 0
        for p in procs:  # one worker died (or we were told to stop): stop the others too
            if p.poll() is None:
                p.terminate()
        deadline = time.monotonic() + STOP_GRACE_S
        for p in procs:
            try:
                p.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        return code
    finally:
        for s, h in old.items():
            signal.signal(s, h)


def worker_argv(host: str, port: int, index: int) -> list[str]:
    """Return the command line of one `opsbot serve` worker."""
    return [sys.executable, "-m", "bot.main", "serve", "--host", host, "--port", str(port),
            "--worker-index", str(index)]
