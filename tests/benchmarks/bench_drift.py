"""Drift engine vs Evidently's DataDriftPreset, side by side: wall time, peak memory, verdicts.

Run: .venv/bin/python tests/benchmarks/bench_drift.py [--cases big,wide] [--repeat 3]

Each side runs in its own subprocess (fresh interpreter, so peak RSS is its own) reading the
same Parquet files: ours through `compare(FileSource, FileSource)`, Evidently through
`pd.read_parquet` + `Report([DataDriftPreset()]).run`. Times include reading the files.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
CASES = {"big": (1_000_000, 8, 2), "wide": (100_000, 80, 20)}  # rows, numeric, categorical columns


def make_case(rows: int, n_num: int, n_cat: int, seed: int, drifted: bool) -> pd.DataFrame:
    """Return a frame; when drifted, a spread of shifts from none to clear, some near the threshold."""
    rng = np.random.default_rng(seed)
    cols = {}
    for i in range(n_num):
        shift = (i % 5) * 0.06 if drifted else 0.0  # 0, .06, .12, .18, .24 std: around Wasserstein 0.1
        base = rng.normal(shift, 1.0 + 0.05 * (i % 3) * drifted, rows) * (10 ** (i % 4)) + 100 * i
        cols[f"num_{i}"] = base.round(3) if i % 2 else base
    for j in range(n_cat):
        k = 4 + j % 6
        p = np.linspace(1, 2, k)
        if drifted and j % 2:
            p[0] *= 1.0 + 0.4 * (j % 4)
        cols[f"cat_{j}"] = rng.choice([f"v{x}" for x in range(k)], rows, p=p / p.sum())
    return pd.DataFrame(cols)


def run_ours(ref: str, cur: str) -> dict:
    """Time our engine end to end; return verdicts."""
    sys.path.insert(0, str(ROOT))
    from engine.drift import FileSource, compare

    base = _rss_mb()
    t0 = time.perf_counter()
    report = compare(FileSource(ref), FileSource(cur))
    wall = time.perf_counter() - t0
    return {"wall_s": wall, "peak_rss_mb": _rss_mb(), "base_rss_mb": base, "dataset_drift": report.dataset_drift,
            "columns": {f.name: [f.method, f.score, f.drifted] for f in report.features}}


def run_evidently(ref: str, cur: str) -> dict:
    """Time Evidently's DataDriftPreset (reading included); return verdicts."""
    from evidently import Report
    from evidently.presets import DataDriftPreset

    warnings.simplefilter("ignore")
    base = _rss_mb()
    t0 = time.perf_counter()
    ref_df, cur_df = pd.read_parquet(ref), pd.read_parquet(cur)
    t_read = time.perf_counter() - t0
    data = Report([DataDriftPreset()], include_tests=True).run(cur_df, ref_df).dict()
    wall = time.perf_counter() - t0
    status = {t["metric_config"]["metric_id"]: t["status"] == "FAIL" for t in data["tests"] if t["id"] == "drift"}
    cols = {m["config"]["column"]: [m["config"]["method"], m["value"], status[m["id"]]]
            for m in data["metrics"] if m["config"]["type"].endswith("ValueDrift")}
    dataset = [t["status"] == "FAIL" for t in data["tests"] if t["id"] == "lt"][0]
    return {"wall_s": wall, "read_s": t_read, "peak_rss_mb": _rss_mb(), "base_rss_mb": base,
            "dataset_drift": dataset, "columns": cols}


def _rss_mb() -> float:
    # VmHWM restarts at exec; ru_maxrss would carry the parent's peak into the child
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _child(side: str, ref: str, cur: str) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", side, ref, cur], capture_output=True, text=True,
                         check=True, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


def bench_case(name: str, workdir: Path, repeat: int) -> None:
    """Generate one case, run both sides, print figures."""
    rows, n_num, n_cat = CASES[name]
    ref, cur = workdir / f"{name}_ref.parquet", workdir / f"{name}_cur.parquet"
    make_case(rows, n_num, n_cat, 1, False).to_parquet(ref, index=False)
    make_case(rows, n_num, n_cat, 2, True).to_parquet(cur, index=False)
    ours_runs = [_child("ours", str(ref), str(cur)) for _ in range(repeat)]
    theirs = _child("evidently", str(ref), str(cur))
    ours = ours_runs[0]
    times = sorted(r["wall_s"] for r in ours_runs)
    med = statistics.median(times)
    agree = sum(ours["columns"][c][2] == v[2] for c, v in theirs["columns"].items())
    max_rel = max(abs(ours["columns"][c][1] - v[1]) / max(abs(v[1]), 1e-300) for c, v in theirs["columns"].items())
    print(f"\n== {name}: {rows:,} rows x {n_num + n_cat} columns ({n_num} numeric, {n_cat} categorical), "
          f"reference and current each")
    print(f"ours      wall median {med:7.2f} s  (runs: {', '.join(f'{t:.2f}' for t in times)}; max {times[-1]:.2f})"
          f"  peak RSS {ours['peak_rss_mb']:7.0f} MB (after imports {ours['base_rss_mb']:.0f} MB)")
    print(f"evidently wall        {theirs['wall_s']:7.2f} s  (of which read_parquet {theirs['read_s']:.2f} s)"
          f"            peak RSS {theirs['peak_rss_mb']:7.0f} MB (after imports {theirs['base_rss_mb']:.0f} MB)")
    print(f"speed-up  {theirs['wall_s'] / med:.1f}x   memory ratio {theirs['peak_rss_mb'] / ours['peak_rss_mb']:.1f}x")
    print(f"verdicts  {agree}/{len(theirs['columns'])} columns identical, dataset drift ours={ours['dataset_drift']} "
          f"evidently={theirs['dataset_drift']}, drifted columns {sum(v[2] for v in theirs['columns'].values())}, "
          f"max relative score difference {max_rel:.2e}")


def main() -> None:
    """Parse arguments and run the selected cases."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", default="big,wide")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--child", nargs=3, metavar=("SIDE", "REF", "CUR"))
    args = parser.parse_args()
    if args.child:
        side, ref, cur = args.child
        print(json.dumps((run_ours if side == "ours" else run_evidently)(ref, cur)))
        return
    print(f"machine: {os.cpu_count()} cores; numpy {np.__version__}, pandas {pd.__version__}")
    with tempfile.TemporaryDirectory(prefix="bench-drift-") as tmp:
        for name in args.cases.split(","):
            bench_case(name, Path(tmp), args.repeat)


if __name__ == "__main__":
    main()
