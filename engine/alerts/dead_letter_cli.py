"""`opsbot alerts dead-letter [--requeue ID]`: read the set-aside alert batches, or give one back."""

from __future__ import annotations

import argparse
from typing import Any

from engine.core.bounds import parse_int


async def _run_async(url: str | None, requeue: str | None) -> int:
    from engine.alerts import dead_letter
    from engine.store.db import Database

    db = Database(url)
    try:
        await db.ping()
        if requeue is not None:
            bid = parse_int(requeue, "batch id")
            await dead_letter.requeue(db, bid)
            print(f"alert batch {bid} goes back to the retry job")
            return 0
        rows = await dead_letter.entries(db)
        for r in rows:
            print(f"batch {r['id']} ({r['source']}) received {r['received_at']:%Y-%m-%d %H:%M:%S}, "
                  f"set aside {r['dead_at']:%Y-%m-%d %H:%M:%S} after {r['attempts']} attempts: {r['error']}")
        print(f"{len(rows)} alert batches in the dead letter")
        return 0
    finally:
        await db.dispose()


def _run(args: argparse.Namespace) -> int:
    from engine.settings import EngineSettings

    import asyncio  # here, not at import: `opsbot --help` stays light

    return asyncio.run(_run_async(args.database_url or EngineSettings().database_url, args.requeue))


def add_alerts_command(subparsers: Any) -> None:
    """Add `alerts dead-letter` to the opsbot CLI."""
    p = subparsers.add_parser("alerts", help="inspect stored alert batches")
    sub = p.add_subparsers(dest="alerts_command", required=True, metavar="ACTION")
    dl = sub.add_parser("dead-letter", help="list alert batches the retry job gave up on, or requeue one")
    dl.add_argument("--requeue", metavar="ID", default=None, help="give this batch back to the retry job")
    dl.add_argument("--database-url", default=None, help="default OPSBOT_DATABASE_URL")
    dl.set_defaults(func=_run)
