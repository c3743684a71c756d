"""`opsbot audit export|verify`: the audit log from the command line."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, TextIO


async def _with_log(url: str | None, fn: Any) -> int:
    from engine.audit import AuditLog
    from engine.store.db import Database

    db = Database(url)
    try:
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


async def verify(url: str | None, expect_head: str | None, out: TextIO) -> int:
    """Check the chain; print the result; return 0 when intact, 1 when not."""
    async def go(log: Any) -> int:
        result = await log.verify(expect_head=expect_head)
        print(result.summary(), file=out)
        return 0 if result.ok else 1
    return await _with_log(url, go)


def _run(args: argparse.Namespace) -> int:
    import asyncio  # here, not at the top: `--help` must not pay for it

    from engine.settings import EngineSettings

    url = args.database_url or EngineSettings().database_url
    if args.audit_command == "export":
        if args.output and args.output != "-":
            with Path(args.output).open("w", encoding="utf-8") as fh:
                return asyncio.run(export(url, args.format, fh))
        return asyncio.run(export(url, args.format, sys.stdout))
    return asyncio.run(verify(url, args.expect_head, sys.stdout))


def add_audit_command(subparsers: Any) -> None:
    """Add `audit export` and `audit verify` to the opsbot CLI."""
    p = subparsers.add_parser("audit", help="export or verify the tamper-evident audit log")
    sub = p.add_subparsers(dest="audit_command", required=True, metavar="ACTION")
    ex = sub.add_parser("export", help="write every audit event (one JSON object per line)")
    ex.add_argument("--format", default="jsonl", choices=["jsonl"], help="output format (jsonl)")
    ex.add_argument("--output", "-o", default="-", help="file to write (default stdout)")
    ve = sub.add_parser("verify", help="check the hash chain; exit 1 naming the first bad event")
    ve.add_argument("--expect-head", default=None,
                    help="head hash recorded earlier (e.g. from a previous verify) to detect a rewritten chain")
    for q in (ex, ve):
        q.add_argument("--database-url", default=None, help="default OPSBOT_DATABASE_URL")
        q.set_defaults(func=_run)
