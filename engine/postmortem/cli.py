"""`opsbot postmortem <id> -o FILE`: download an incident's postmortem draft."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any


async def write_draft(url: str | None, incident_id: int, output: str) -> int:
    """Write the draft to `output` (`-` for stdout); return 0."""
    from engine.core.clock import SystemClock
    from engine.postmortem.service import Postmortems
    from engine.store.db import Database

    db = Database(url)
    try:
        await db.ping()  # a database that is down is one clear line, not a traceback later
        draft = await Postmortems(db, SystemClock()).draft(incident_id)
    finally:
        await db.dispose()
    if output == "-":
        sys.stdout.write(draft)
    else:
        Path(output).write_text(draft, encoding="utf-8")
        print(f"wrote the postmortem draft of incident #{incident_id} to {output}", file=sys.stderr)
    return 0


def _run(args: argparse.Namespace) -> int:
    import asyncio  # here, not at the top: `--help` must not pay for it

    from engine.core.bounds import parse_int
    from engine.settings import EngineSettings

    incident_id = parse_int(str(args.incident).removeprefix("#"), "incident id", hint="e.g. opsbot postmortem 42")
    url = args.database_url or EngineSettings().database_url
    return asyncio.run(write_draft(url, incident_id, args.output))


def add_postmortem_command(subparsers: Any) -> None:
    """Add `postmortem <id>` to the opsbot CLI."""
    p = subparsers.add_parser("postmortem", help="write an incident's postmortem draft (Markdown)")
    p.add_argument("incident", help="incident id, e.g. 42")
    p.add_argument("--output", "-o", default="-", help="file to write (default stdout)")
    p.add_argument("--database-url", default=None, help="default OPSBOT_DATABASE_URL")
    p.set_defaults(func=_run)
