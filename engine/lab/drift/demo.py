"""Demo data for drift: a churn model whose recent traffic drifted (richer customers, more
month-to-month contracts, more support calls), written as Parquet files."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Optional

import numpy as np
import pandas as pd

from engine.drift.config import ModelDrift

REGIONS = ["north", "south", "east", "west"]
CONTRACTS = ["month-to-month", "one-year", "two-year"]


def _customers(rng: np.random.Generator, n: int, drifted: bool) -> pd.DataFrame:
    income_median = 48_000 if drifted else 41_000
    contract_p = [0.62, 0.23, 0.15] if drifted else [0.42, 0.33, 0.25]
    return pd.DataFrame({
        "tenure_months": rng.gamma(2.0, 14.0, n).round(1),
        "income": rng.lognormal(np.log(income_median), 0.35, n).round(0),
        "monthly_charges": rng.normal(74.0 if drifted else 65.0, 18.0, n).clip(18, None).round(2),
        "support_calls": rng.poisson(2.6 if drifted else 1.4, n),
        "contract": rng.choice(CONTRACTS, n, p=contract_p),
        "region": rng.choice(REGIONS, n, p=[0.3, 0.25, 0.25, 0.2]),
    })


def write_demo_data(folder: Path, now: datetime, *, seed: int = 7, reference_rows: int = 5000,
                    current_rows: int = 3000, hours: int = 72) -> tuple[Path, Path]:
    """Write reference.parquet (training data) and current.parquet (the last `hours` of traffic)."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    reference = _customers(rng, reference_rows, drifted=False)
    current = _customers(rng, current_rows, drifted=True)
    # Only the last day drifted; before that traffic looked like training, so windows differ.
    older = rng.random(current_rows) < 0.5
    current.loc[older, :] = _customers(rng, int(older.sum()), drifted=False).to_numpy()
    ages = np.where(older, rng.uniform(24, hours, current_rows), rng.uniform(0, 24, current_rows))
    stamps = [now - timedelta(hours=float(a)) for a in ages]
    current.insert(0, "ts", pd.to_datetime(stamps, utc=True))
    current = current.astype(reference.dtypes.to_dict() | {"ts": current["ts"].dtype})
    ref_path, cur_path = folder / "churn_reference.parquet", folder / "churn_current.parquet"
    reference.to_parquet(ref_path, index=False)
    current.sort_values("ts").to_parquet(cur_path, index=False)
    return ref_path, cur_path


def demo_model(reference: Path, current: Path, *, channel: str = "ml-models", interval: str = "1h",
               runbook: str | None = None) -> ModelDrift:
    """Return the drift config of the demo churn model."""
    return ModelDrift.model_validate({
        "reference": str(reference), "current": {"path": str(current), "time_column": "ts", "window": "24h"},
        "channel": channel, "interval": interval, "runbook": runbook, "alias": "champion"})


def _retrain_runbook(engine: Any) -> Optional[str]:
    names = [lr.runbook.name for lr in engine.runbooks.list()]
    return next((n for n in names if "retrain" in n), None)


async def seed_drift_demo(stack: Any, data_dir: Path) -> str:
    """Write drifted churn data, configure its check, and post the first scheduled summary."""
    from sqlmodel import SQLModel

    import engine.drift.tables  # noqa: F401 - the drift tables, for create_all below
    from engine.drift.wiring import schedule

    eng = stack.bot.engine
    await eng.db.run_sync(SQLModel.metadata.create_all)  # no-op once the migration has the tables
    ref, cur = write_demo_data(data_dir / "drift", eng.clock.now())
    service = eng.drift
    channel = eng.config.channels.for_family("drift")
    service.add_model("churn", demo_model(ref, cur, channel=channel, interval="1h", runbook=_retrain_runbook(eng)))
    row = await service.scheduled("churn", eng.clock.now())
    schedule(eng.scheduler, service)  # hourly from now on; it posts again only when the drivers change
    if not row.ok:
        return f"churn drift check could not run: {row.error}"
    return (f"churn: {row.n_drifted} of {row.n_features} features drifted, summary "
            f"{'posted' if row.posted else 'unchanged'} in #{channel}")
