"""`opsbot audit export|verify`: the audit log from the command line."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:  # the audit stack (sqlmodel) loads when the command runs, not for --help
    from engine.audit.anchors import Anchor


async def _with_log(url: str | None, fn: Any) -> int:
    from engine.audit import AuditLog
    from engine.store.db import Database

    db = Database(url)
    try:
        await db.ping()  # a database that is down is one clear line, not a traceback later
        return await fn(AuditLog(db))
    finally:
        await db.dispose()


async def export(url: str | None, fmt: str, out: TextIO) -> int:
    """Write every event to out; return 0."""
    async def go(log: Any) -> int:
        n = 0
        async for line in log.export(fmt):
            out.write(line)
            n += 1
        out.flush()
        print(f"exported {n} audit events", file=sys.stderr)
        return 0
    return await _with_log(url, go)


async def verify(url: str | None, anchors: list[Anchor], out: TextIO) -> int:
    """Check the chain and every anchor; print the result; return 0 when intact, 1 when not."""
    async def go(log: Any) -> int:
        result = await log.verify(anchors)
        print(result.summary(), file=out)
        return 0 if result.ok else 1
    return await _with_log(url, go)


def _anchors(args: argparse.Namespace, settings: Any) -> list[Anchor]:
    from engine.audit.anchors import parse_anchor, read_anchors

    found = [parse_anchor(a) for a in args.expect_head or []]
    files = [Path(f) for f in args.anchors or []]
    if not found and not files and settings.config_path is not None:
        # Plain `verify` also checks the anchors this deployment publishes, when it can read them.
        from engine.config import load_config

        cfg = load_config(settings.config_path)
        if cfg.audit.anchor_file:
            configured = Path(settings.config_path).resolve().parent / cfg.audit.anchor_file
            if configured.exists():
                files.append(configured)
    for f in files:
        found += read_anchors(f)
    return found


def _run(args: argparse.Namespace) -> int:
    import asyncio  # here, not at the top: `--help` must not pay for it

    from engine.settings import EngineSettings

    settings = EngineSettings()
    url = args.database_url or settings.database_url
    if args.audit_command == "export":
        if args.output and args.output != "-":
            with Path(args.output).open("w", encoding="utf-8") as fh:
                return asyncio.run(export(url, args.format, fh))
        return asyncio.run(export(url, args.format, sys.stdout))
    return asyncio.run(verify(url, _anchors(args, settings), sys.stdout))


def add_audit_command(subparsers: Any) -> None:
    """Add `audit export` and `audit verify` to the opsbot CLI."""
    p = subparsers.add_parser("audit", help="export or verify the tamper-evident audit log")
    sub = p.add_subparsers(dest="audit_command", required=True, metavar="ACTION")
    ex = sub.add_parser("export", help="write every audit event (one JSON object per line)")
    ex.add_argument("--format", default="jsonl", choices=["jsonl"], help="output format (jsonl)")
    ex.add_argument("--output", "-o", default="-", help="file to write (default stdout)")
    ve = sub.add_parser("verify", help="check the hash chain and anchors; exit 1 naming the first bad event")
    ve.add_argument("--expect-head", action="append", metavar="SEQ:HASH",
                    help="an anchor recorded earlier (verify prints one): that event must still have that "
                         "hash; later growth is fine (repeatable)")
    ve.add_argument("--anchors", action="append", metavar="FILE",
                    help="check every SEQ:HASH in FILE (audit.anchor_file, or a log with `audit anchor` "
                         "lines); with neither option, audit.anchor_file of OPSBOT_CONFIG when it exists")
    for q in (ex, ve):
        q.add_argument("--database-url", default=None, help="default OPSBOT_DATABASE_URL")
        q.set_defaults(func=_run)
