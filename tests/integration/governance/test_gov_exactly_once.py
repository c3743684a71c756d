"""Exactly once across replicas: 50 concurrent approvals on two instances; kill -9 mid-run. Every
replica is an engine built from settings and an opsbot.yaml, the way `opsbot serve` builds it."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from engine.core.replicas import display_name
from engine.errors import Conflict

from gov_helpers import ALICE, BOB, write_config

PY = sys.executable
HERE = Path(__file__).resolve().parent


def counting_runbook(tmp: Path, marker: Path) -> Path:
    d = tmp / "rb"
    d.mkdir(exist_ok=True)
    (d / "count.yaml").write_text(f"""
name: count
description: appends one line per execution
environment: production
steps:
  - name: append
    type: command
    argv: [{json.dumps(PY)}, -c, "import sys; open(sys.argv[1], 'a').write('ran\\\\n')", {json.dumps(str(marker))}]
""")
    return d


async def test_fifty_concurrent_approvals_on_two_replicas_run_once(make_engine, pg_url, tmp_path):
    marker = tmp_path / "ran.txt"
    rb_dir = counting_runbook(tmp_path, marker)
    a = await make_engine(pg_url, replica="a", runbook_dirs=[rb_dir])
    b = await make_engine(pg_url, replica="b", runbook_dirs=[rb_dir])
    appr_a, appr_b, audit = a.approvals, b.approvals, a.audit
    req = await a.runbooks.request(ALICE, "count", {})
    clicks = [(appr_a if i % 2 else appr_b).approve(req.id, BOB) for i in range(50)]
    results = await asyncio.gather(*clicks, return_exceptions=True)
    await asyncio.gather(appr_a.wait_idle(), appr_b.wait_idle())
    ok = [r for r in results if not isinstance(r, BaseException)]
    refused = [r for r in results if isinstance(r, Conflict)]
    assert len(ok) == 1 and len(refused) == 49
    assert marker.read_text() == "ran\n"
    row, votes = await appr_a.get(req.id)
    assert row.state == "succeeded" and len(votes) == 1
    assert [e.action for e in await audit.recent(200)].count("run.started") == 1
    assert (await audit.verify()).ok


async def test_kill_9_mid_run_reads_interrupted_and_is_not_rerun(make_engine, gov_url, tmp_path):
    d = tmp_path / "rb"
    d.mkdir()
    marker = tmp_path / "started.txt"
    (d / "long.yaml").write_text(f"""
name: long
description: runs long enough to be killed
environment: production
steps:
  - name: slow
    type: command
    argv: [{json.dumps(PY)}, -c, "import sys, time; open(sys.argv[1], 'a').write('x'); time.sleep(4)", {json.dumps(str(marker))}]
""")
    # The survivor creates the tables; the child builds its engine from the same kind of opsbot.yaml
    # with a 1.5 s lease (a heartbeat every 0.5 s), the shortest the config allows.
    survivor = await make_engine(gov_url, replica="survivor", runbook_dirs=[d], lease_s=1.5)
    approvals, audit = survivor.approvals, survivor.audit
    config = write_config(tmp_path / "child.yaml", runbook_dirs=[d], lease_s=1.5)
    child = subprocess.Popen([PY, str(HERE / "gov_child.py"), gov_url, str(config)], stdout=subprocess.PIPE,
                             text=True, cwd=str(HERE.parents[2]))
    try:
        request_id = int(child.stdout.readline())
        for _ in range(300):
            row, _ = await approvals.get(request_id)
            if row.state == "running" and row.progress:
                break
            await asyncio.sleep(0.05)
        assert row.state == "running"
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
    await asyncio.sleep(2.0)  # the dead replica's lease (1.5 s from its last heartbeat) lapses
    assert await approvals.recover(approvals.clock.now()) == 1
    row, _ = await approvals.get(request_id)
    assert row.state == "interrupted" and display_name(row.owner) == "child" and "not re-run" in row.reason
    assert await approvals.recover(approvals.clock.now()) == 0
    await approvals.wait_idle()
    await asyncio.sleep(0.2)
    assert marker.read_text() == "x"
    actions = [e.action for e in reversed(await audit.recent(50))]
    assert actions[-1] == "run.interrupted" and actions.count("run.started") == 1
    assert (await audit.verify()).ok
