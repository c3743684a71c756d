"""Drain of a 50-incident storm after a Slack 429 window, at Slack's pace (about 1 post/s per channel).

Cards are posted until `--posted-before` are up, then the local workspace answers 429 with
Retry-After for `--window` seconds while every incident's card changes and thread replies
queue; prints how long after recovery the cards were all current, when the first thread reply
left, when the outbox was empty, and the order in which messages left.
Run: nice -n 10 .venv/bin/python tests/benchmarks/bench_storm_429.py [--rate 1] [--window 30]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.integration.once.storm import run_storm, start_storm_stack  # noqa: E402 - after the sys.path setup above


async def main() -> None:
    """Run one storm and print its figures."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--rate", type=float, default=1.0, help="posts/s per channel (Slack: about 1)")
    ap.add_argument("--window", type=float, default=30.0, help="seconds of 429 answers")
    ap.add_argument("--incidents", type=int, default=50)
    ap.add_argument("--posted-before", type=int, default=10)
    ap.add_argument("--db-url", default=None, help="default: a temporary SQLite file")
    args = ap.parse_args()
    url = args.db_url or f"sqlite:///{tempfile.mkdtemp()}/opsbot.db"
    stack = await start_storm_stack(url, args.rate)
    try:
        r = await run_storm(stack, incidents=args.incidents, window_s=args.window,
                            posted_before=args.posted_before, timeout_s=args.window + 60 + 6 * args.incidents / args.rate)
    finally:
        await stack.stop()
    print(f"{args.incidents} incidents, {args.rate:g} post/s, {args.window:g} s window, "
          f"{len(r.after())} writes after recovery")
    print(f"all cards current  {r.cards_current_s:7.1f} s after recovery")
    print(f"first thread reply {r.first_reply_s:7.1f} s after recovery")
    print(f"outbox empty       {r.drained_s:7.1f} s after recovery")
    print("order: " + ", ".join(r.order))


if __name__ == "__main__":
    asyncio.run(main())
