"""The `opsbot` command line: serve, migrate, check, demo, and the offline tools."""

from __future__ import annotations

import argparse
import gc
import os
import sys
from typing import NoReturn, Sequence

from engine.errors import InvalidInput, OpsError


def _serve(args: argparse.Namespace) -> int:
    import asyncio  # here, not at the top: `--help` must not pay for it

    from bot.logs import setup_logging
    from bot.runtime import build_runtime, serve_forever
    from bot.settings import BotSettings

    settings = BotSettings()
    if (missing := settings.missing_credential()) is not None:
        raise InvalidInput(missing)  # before any worker starts: a closed door, said plainly
    setup_logging(settings.log_level)
    host = args.host or settings.host
    port = args.port if args.port is not None else settings.port
    if args.workers > 1:
        from bot.workers import supervise, worker_argv

        if port == 0:
            raise InvalidInput("--workers needs a fixed --port (the workers share it)")
        _migrate(args)  # once, before any worker starts
        return supervise(args.workers, lambda i: worker_argv(host, port, i), os.environ,
                         settings.prometheus_multiproc_dir)
    runtime = build_runtime(settings, environ=os.environ)
    try:
        if args.worker_index is not None:
            from bot.workers import serve_worker

            asyncio.run(serve_worker(runtime, host, port))
        else:
            asyncio.run(serve_forever(runtime, host, port))
    except KeyboardInterrupt:
        pass
    return 0


def _migrate(_: argparse.Namespace) -> int:
    import asyncio

    from engine.settings import EngineSettings
    from engine.store.db import Database
    from engine.store.migrate import current_revision, migrate

    async def run() -> str | None:
        db = Database(EngineSettings().database_url)
        try:
            await db.ping()  # a database that is down is one clear line naming it, not a traceback
            await migrate(db)
            return await current_revision(db)
        finally:
            await db.dispose()

    rev = asyncio.run(run())
    print(f"database schema at revision {rev}")
    return 0


def _check(_: argparse.Namespace) -> int:
    import asyncio

    from bot.check import run_checks

    return asyncio.run(run_checks())


def _demo(args: argparse.Namespace) -> int:
    import asyncio

    from bot.demo import run_demo

    return asyncio.run(run_demo(port=args.port, open_browser=not args.no_browser))


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser with every subcommand."""
    parser = argparse.ArgumentParser(prog="opsbot", description="ChatOps for ML and SRE teams.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    p = sub.add_parser("serve", help="run the bot (HTTP, or Socket Mode when SLACK_APP_TOKEN is set)")
    p.add_argument("--host", default=None, help="listen address (default OPSBOT_HOST or 0.0.0.0)")
    p.add_argument("--port", type=int, default=None, help="listen port (default OPSBOT_PORT or 3000)")
    p.add_argument("--workers", type=int, default=1,
                   help="processes sharing the port, one per core (default 1); see docs/deploy.md")
    p.add_argument("--worker-index", type=int, default=None, help=argparse.SUPPRESS)
    p.set_defaults(func=_serve)
    sub.add_parser("migrate", help="apply database migrations").set_defaults(func=_migrate)
    sub.add_parser("check", help="validate the config and probe every dependency").set_defaults(func=_check)
    p = sub.add_parser("demo", help="run the bot beside a local Slack workspace, no account needed")
    p.add_argument("--port", type=int, default=8900, help="workspace page port (default 8900)")
    p.add_argument("--no-browser", action="store_true", help="do not open a browser")
    p.set_defaults(func=_demo)
    eval_p = sub.add_parser("eval", help="evaluate a detector, the grouping or the ranker")
    eval_sub = eval_p.add_subparsers(dest="eval_command", required=True, metavar="WHAT")
    sim_p = sub.add_parser("simulate", help="generate evaluation data")
    sim_sub = sim_p.add_subparsers(dest="simulate_command", required=True, metavar="WHAT")
    _add_feature_commands(sub, eval_sub, sim_sub)
    return parser


def _add_feature_commands(sub, eval_sub, sim_sub) -> None:  # noqa: ANN001 - argparse internals
    """Mount the offline commands each feature provides."""
    from engine.alerts.cli import add_eval_grouping, add_simulate_storm
    from engine.alerts.dead_letter_cli import add_alerts_command
    from engine.anomaly.cli import add_eval_nab
    from engine.audit_cli import add_audit_command
    from engine.drift.cli import add_drift_command
    from engine.models.cli import add_models_command
    from engine.postmortem.cli import add_postmortem_command
    from engine.rca.cli import add_eval_rca, add_simulate_rca

    add_alerts_command(sub)
    add_audit_command(sub)
    add_drift_command(sub)
    add_models_command(sub)
    add_postmortem_command(sub)
    add_eval_grouping(eval_sub)
    add_simulate_storm(sim_sub)
    add_eval_nab(eval_sub)
    add_eval_rca(eval_sub)
    add_simulate_rca(sim_sub)


def _drift_parser() -> argparse.ArgumentParser:
    """Build a parser holding only `drift`: a CI step pays for no other feature's argument definitions."""
    from engine.drift.cli import add_drift_command

    parser = argparse.ArgumentParser(prog="opsbot", description="ChatOps for ML and SRE teams.")
    add_drift_command(parser.add_subparsers(dest="command", required=True, metavar="COMMAND"))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI and return the exit code (a `drift` run of the process's own command line ends the process)."""
    own = argv is None  # the console script and `python -m bot.main` pass nothing; callers in-process pass argv
    argv = list(sys.argv[1:] if argv is None else argv)
    if own and argv[:1] == ["drift"]:
        _lean_drift_process()
    parser = _drift_parser() if argv[:1] == ["drift"] else build_parser()
    args = parser.parse_args(argv)
    try:
        code = int(args.func(args) or 0)
    except OpsError as exc:
        return _fail(exc)
    except Exception as exc:
        from engine.store.db import database_problem

        problem = database_problem(exc)
        if problem is None:
            raise  # a bug: its traceback is the report
        return _fail(problem)
    if own and argv[:1] == ["drift"]:
        _end_now(code)
    return code


def _lean_drift_process() -> None:
    """Set up a process that runs only `opsbot drift`, before numpy loads.

    One OpenBLAS thread: drift does no linear algebra, and starting a BLAS thread per core cost 45 ms of
    CPU (100 ms with idle cores, where they spin), a quarter of a 100,000-row run; a value the user set
    is kept. No cyclic garbage collection: the imports alone set it off dozens of times (5 ms), and a
    drift run builds no reference cycles worth collecting before the process ends.
    """
    if "numpy" not in sys.modules:
        os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    gc.disable()


def _end_now(code: int) -> NoReturn:
    """Exit without interpreter teardown: unloading numpy and pyarrow cost 13 ms of CPU, 7% of a 100,000-row
    drift run. Safe here because drift has closed its files and joined its threads by now, and registers no
    atexit work; only the output buffers need flushing."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (`| head`): the exit code still carries the verdict
            pass
    os._exit(code)


def _fail(exc: OpsError) -> int:
    # One line on stderr: scripts and people read the first line only.
    print(f"error: {exc.message}" + (f" (what to do: {exc.hint})" if exc.hint else ""), file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
