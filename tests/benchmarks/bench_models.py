"""Model lifecycle benchmark.

1. Promote round trip (request -> gates -> approval record -> alias moved in MLflow -> history
   row -> approval message notice queued) against a real `mlflow server`, p50/p99, side by side
   with the bare `MlflowClient.set_registered_model_alias` call (the floor) and the same flow
   on the in-memory twin (engine + database cost alone).
2. One registry watch cycle with 200 models x 50 versions: first (learning) cycle, quiet cycle,
   and a cycle with 20 new versions + 10 outside alias moves; on the in-memory twin and on a
   real MLflow server whose SQLite store was bulk-filled through MLflow's own ORM models.

Run: .venv/bin/python tests/benchmarks/bench_models.py [--promotions 40] [--models 200 --versions 50]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from sqlmodel import SQLModel

import engine.approvals.tables  # noqa: F401 - registers its tables with SQLModel.metadata
import engine.audit.tables  # noqa: F401 - registers its tables with SQLModel.metadata
import engine.models.tables  # noqa: F401 - registers its tables with SQLModel.metadata
import engine.core.outbox_tables  # noqa: F401 - registers its tables with SQLModel.metadata
from engine.adapters.memory_registry import MemoryRegistry
from engine.adapters.mlflow_registry import MlflowRegistry
from engine.core.clock import SystemClock
from engine.models.config import ModelsConfig
from engine.store.db import Database
from tests.conftest_mlflow import register_sklearn_versions, start_mlflow_server
from tests.integration.models.conftest import LEAD, build

CONFIG = ModelsConfig.model_validate({"defaults": {"gates": {"champion": [
    "auc >= champion.auc - 0.05", "latency_p95_ms <= 1.1 * champion.latency_p95_ms",
    "validation_status == passed"]}}})
SPECS = [{"metrics": {"auc": 0.91, "latency_p95_ms": 40.0}, "tags": {"validation_status": "passed"}, "C": 0.1},
         {"metrics": {"auc": 0.93, "latency_p95_ms": 40.0}, "tags": {"validation_status": "passed"}, "C": 1.0}]


def pct(xs: list[float], p: float) -> float:
    """Return the p-th percentile (nearest rank) in milliseconds."""
    s = sorted(xs)
    return s[min(len(s) - 1, max(0, round(p / 100 * len(s) + 0.5) - 1))] * 1000


def line(label: str, xs: list[float]) -> str:
    """Format p50/p99/mean of seconds as milliseconds."""
    return f"{label:<44} n={len(xs):<4} p50={pct(xs, 50):8.1f} ms  p99={pct(xs, 99):8.1f} ms  mean={statistics.mean(xs) * 1000:8.1f} ms"


async def new_db(tmp: str, name: str) -> Database:
    db = Database(f"sqlite:///{tmp}/{name}.db")
    await db.run_sync(SQLModel.metadata.create_all)
    return db


async def promote_loop(registry, db: Database, model: str, n: int) -> list[float]:
    """Time n promotions alternating v1/v2, each until the alias moved and was recorded."""
    svc, approvals, _ = build(db, registry, config=CONFIG)
    out = []
    for i in range(n):
        version = 1 + (i + 1) % 2
        t0 = time.perf_counter()
        res = await svc.promote(LEAD, model, version)
        await approvals.wait_idle()
        out.append(time.perf_counter() - t0)
        row, _ = await approvals.get(res.request_id)
        assert row.state == "succeeded", (row.state, row.reason)
        assert (await registry.get_model(model)).aliases["champion"] == version
    await approvals.aclose()
    return out


async def bench_promote(n: int, tmp: str) -> None:
    print("== promote round trip (real mlflow server, SQLite opsbot store) ==")
    uri, stop = await asyncio.to_thread(start_mlflow_server, tmp)
    try:
        from mlflow import MlflowClient

        await asyncio.to_thread(register_sklearn_versions, uri, "bench-churn", SPECS)
        client = MlflowClient(uri)
        client.set_registered_model_alias("bench-churn", "champion", "1")
        raw = []
        for i in range(n):
            t0 = time.perf_counter()
            await asyncio.to_thread(client.set_registered_model_alias, "bench-churn", "raw", str(1 + i % 2))
            raw.append(time.perf_counter() - t0)
        real = await promote_loop(MlflowRegistry(uri, timeout=30), await new_db(tmp, "promote-real"), "bench-churn", n)
    finally:
        stop()
    twin = MemoryRegistry()
    for spec in SPECS:
        twin.create_version("bench-churn", spec["metrics"], spec["tags"])
    await twin.set_alias("bench-churn", "champion", 1)
    mem = await promote_loop(twin, await new_db(tmp, "promote-mem"), "bench-churn", n)
    print(line("bare MlflowClient.set_registered_model_alias", raw))
    print(line("opsbot promote, real MLflow", real))
    print(line("opsbot promote, in-memory twin", mem))
    print(f"ratio opsbot/bare p50 = {pct(real, 50) / pct(raw, 50):.1f}x")


def bulk_fill(db_path: str, models: int, versions: int) -> None:
    """Fill an MLflow SQLite store through MLflow's own ORM models (creating it with MLflow's schema)."""
    from mlflow.store.model_registry.dbmodels.models import SqlModelVersion, SqlRegisteredModel, SqlRegisteredModelAlias
    from mlflow.store.model_registry.sqlalchemy_store import SqlAlchemyStore

    store = SqlAlchemyStore(f"sqlite:///{db_path}")  # runs MLflow's migrations
    now = int(time.time() * 1000)
    with store.ManagedSessionMaker() as s:
        for m in range(models):
            name = f"model-{m:03d}"
            s.add(SqlRegisteredModel(name=name, creation_time=now, last_updated_time=now))
            s.add_all(SqlModelVersion(name=name, version=v, creation_time=now, last_updated_time=now,
                                      source=f"/tmp/{name}/{v}", status="READY", current_stage="None")
                      for v in range(1, versions + 1))
            s.add(SqlRegisteredModelAlias(name=name, alias="champion", version=versions - 1))


async def watch_cycles(label: str, registry, db: Database, change) -> None:
    svc, approvals, _ = build(db, registry, config=CONFIG)
    now = SystemClock().now()
    t0 = time.perf_counter()
    first = await svc.watch_job(now)
    t_first = time.perf_counter() - t0
    quiet = []
    for _ in range(5):
        t0 = time.perf_counter()
        rep = await svc.watch_job(now)
        quiet.append(time.perf_counter() - t0)
        assert rep.listed == 0 and rep.outside_moves == 0
    await change()
    t0 = time.perf_counter()
    busy = await svc.watch_job(now + timedelta(seconds=1))
    t_busy = time.perf_counter() - t0
    print(f"{label}: first (learn {first.models} models) {t_first * 1000:.0f} ms; "
          f"quiet median {statistics.median(quiet) * 1000:.0f} ms; "
          f"with {busy.new_versions} new versions + {busy.outside_moves} outside moves {t_busy * 1000:.0f} ms")
    await approvals.aclose()


async def bench_watch(models: int, versions: int, tmp: str, real: bool) -> None:
    print(f"== registry watch cycle, {models} models x {versions} versions ==")
    twin = MemoryRegistry()
    for m in range(models):
        for _ in range(versions):
            twin.create_version(f"model-{m:03d}", {"auc": 0.9}, {})
        await twin.set_alias(f"model-{m:03d}", "champion", versions - 1)

    async def twin_change() -> None:
        for m in range(min(20, models)):
            twin.create_version(f"model-{m:03d}", {"auc": 0.91}, {})
        for m in range(models - min(10, models), models):
            await twin.set_alias(f"model-{m:03d}", "champion", 1)

    await watch_cycles("in-memory twin", twin, await new_db(tmp, "watch-mem"), twin_change)
    if not real:
        return
    t0 = time.perf_counter()
    await asyncio.to_thread(bulk_fill, f"{tmp}/bulk.db", models, versions)
    print(f"(bulk-filled MLflow store in {time.perf_counter() - t0:.1f} s)")
    uri, stop = await asyncio.to_thread(start_mlflow_server, tmp, f"{tmp}/bulk.db")
    try:
        from mlflow import MlflowClient

        client = MlflowClient(uri)

        async def real_change() -> None:
            # new versions go straight into the store (no artifacts needed); aliases through the API
            await asyncio.to_thread(bulk_add_versions, f"{tmp}/bulk.db", min(20, models), versions + 1)
            for m in range(models - min(10, models), models):
                await asyncio.to_thread(client.set_registered_model_alias, f"model-{m:03d}", "champion", "1")

        await watch_cycles("real MLflow server", MlflowRegistry(uri, timeout=60), await new_db(tmp, "watch-real"),
                           real_change)
    finally:
        stop()


def bulk_add_versions(db_path: str, models: int, version: int) -> None:
    """Add one version to each of the first `models` models of a bulk-filled store."""
    from mlflow.store.model_registry.dbmodels.models import SqlModelVersion, SqlRegisteredModel
    from mlflow.store.model_registry.sqlalchemy_store import SqlAlchemyStore

    store = SqlAlchemyStore(f"sqlite:///{db_path}")
    now = int(time.time() * 1000)
    with store.ManagedSessionMaker() as s:
        for m in range(models):
            name = f"model-{m:03d}"
            s.add(SqlModelVersion(name=name, version=version, creation_time=now, last_updated_time=now,
                                  source=f"/tmp/{name}/{version}", status="READY", current_stage="None"))
            s.query(SqlRegisteredModel).filter(SqlRegisteredModel.name == name).update({"last_updated_time": now})


def main() -> None:
    """Run both benchmarks and print figures."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--promotions", type=int, default=40)
    ap.add_argument("--models", type=int, default=200)
    ap.add_argument("--versions", type=int, default=50)
    ap.add_argument("--no-real-watch", action="store_true", help="skip the real-server watch run")
    ap.add_argument("--no-promote", action="store_true", help="skip the promote round trip")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-models-") as tmp:
        if not args.no_promote:
            asyncio.run(bench_promote(args.promotions, tmp))
        asyncio.run(bench_watch(args.models, args.versions, tmp, not args.no_real_watch))


if __name__ == "__main__":
    main()
