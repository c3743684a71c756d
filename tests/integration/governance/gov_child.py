"""A child 'replica' for the kill -9 test: an engine built from settings (as `opsbot serve` builds
it) starts a run and keeps running until killed."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from gov_helpers import LEAD, engine_from


async def main(url: str, config_path: str) -> None:
    eng = engine_from(url, Path(config_path), replica="child")
    req = await eng.runbooks.request(LEAD, "long", {})
    print(req.id, flush=True)
    await asyncio.sleep(3600)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
