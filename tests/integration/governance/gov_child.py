"""A child 'replica' for the kill -9 test: starts a run and keeps running until killed."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from engine.store.db import Database
from gov_helpers import LEAD, make_runbooks


async def main(url: str, rb_dir: str) -> None:
    db = Database(url)
    svc, approvals, _ = make_runbooks(db, [rb_dir], replica="child", lease_s=1.0, heartbeat_s=0.2)
    req = await svc.request(LEAD, "long", {})
    print(req.id, flush=True)
    await asyncio.sleep(3600)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
