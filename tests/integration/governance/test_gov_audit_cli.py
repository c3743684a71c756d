"""`opsbot audit export|verify` through the CLI hook."""

from __future__ import annotations

import argparse
import json

from sqlalchemy import text

from engine.audit_cli import add_audit_command


def run_cli(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    add_audit_command(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    return args.func(args)


async def test_export_and_verify_exit_codes(make_engine, gov_url, tmp_path, capsys):
    eng = await make_engine(gov_url)  # the events are written by the engine `opsbot serve` builds
    for i in range(3):
        await eng.audit.record(actor="U1", action="x", data={"i": i})
    url = gov_url
    out = tmp_path / "audit.jsonl"
    import asyncio

    rc = await asyncio.to_thread(run_cli, ["audit", "export", "--format", "jsonl", "-o", str(out),
                                           "--database-url", url])
    assert rc == 0 and [json.loads(x)["seq"] for x in out.read_text().splitlines()] == [1, 2, 3]
    assert await asyncio.to_thread(run_cli, ["audit", "verify", "--database-url", url]) == 0
    assert "audit chain OK: 3 events" in capsys.readouterr().out
    async with eng.db.engine.begin() as c:
        await c.execute(text("UPDATE audit_event SET action = 'y' WHERE seq = 2"))
    assert await asyncio.to_thread(run_cli, ["audit", "verify", "--database-url", url]) == 1
    assert "BROKEN at seq 2" in capsys.readouterr().out
