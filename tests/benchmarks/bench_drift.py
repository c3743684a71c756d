"""`opsbot drift` vs Evidently 0.7's DataDriftPreset on the same CSV files, side by side with the targets.

Run: nice -n 10 .venv/bin/python tests/benchmarks/bench_drift.py [--cases 100k,1m,5m] [--repeat 3]
     [--module engine.drift.cli]   (the drift command alone, as `opsbot drift` runs once bot/main.py is lazy)

Ours is the whole `python -m bot.main drift REF CUR --format json` process (interpreter start,
imports, reading both CSVs, every test), timed from fork to exit, peak RSS from wait4. Evidently
is timed inside its own process: `Report([DataDriftPreset()]).run` on frames already read
(its report time), with `pd.read_csv` shown beside it. Medians over --repeat runs; Evidently runs
once per case (it takes 10-30x longer). The 5m case measures our memory only (Evidently needs
about 4 GB there). Verdicts are compared column by column.

Our process runs as an installed `opsbot` does: with its bytecode cached. PYTHONDONTWRITEBYTECODE is
dropped from its environment and one unmeasured run per case writes the cache (and warms the page
cache); otherwise every run would compile the project's modules again (about 0.1 s of CPU).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pcsv

ROOT = Path(__file__).resolve().parents[2]
CASES = {"100k": 100_000, "1m": 1_000_000, "5m": 5_000_000}  # rows per side; 7 numeric + 3 categorical columns
N_NUM, N_CAT = 7, 3
TARGET_SPEEDUP = 20.0
TARGET_PEAK_MB_5M = 400.0
TARGET_HELP_S = 0.3


def make_case(rows: int, seed: int, drifted: bool) -> pa.Table:
    """Return a table; when drifted, a spread of shifts from none to clear, some near the threshold."""
    rng = np.random.default_rng(seed)
    cols = {}
    for i in range(N_NUM):
        shift = (i % 5) * 0.06 if drifted else 0.0  # 0, .06, .12, .18, .24 std: around Wasserstein 0.1
        base = rng.normal(shift, 1.0 + 0.05 * (i % 3) * drifted, rows) * (10 ** (i % 4)) + 100 * i
        cols[f"num_{i}"] = base.round(3 if i % 2 else 6)
    for j in range(N_CAT):
        k = 4 + j % 6
        p = np.linspace(1, 2, k)
        if drifted and j % 2:
            p[0] *= 1.0 + 0.4 * (j % 4)
        cols[f"cat_{j}"] = pa.DictionaryArray.from_arrays(
            rng.choice(k, rows, p=p / p.sum()).astype(np.int32), [f"v{x}" for x in range(k)]).cast(pa.string())
    return pa.table(cols)


MODULE = ["bot.main"]
CHILD_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def run_ours(ref: str, cur: str) -> dict:
    """Run the whole `opsbot drift` process under /usr/bin/time; return wall time, peak RSS and verdicts."""
    t0 = time.perf_counter()
    proc = subprocess.run(["/usr/bin/time", "-f", "peak_kb=%M cpu_s=%U+%S", sys.executable, "-m", MODULE[0], "drift", ref, cur,
                           "--format", "json"], cwd=ROOT, capture_output=True, env=CHILD_ENV)
    wall = time.perf_counter() - t0
    if proc.returncode not in (0, 1):
        raise SystemExit(f"opsbot drift failed: {proc.stderr.decode()[-500:]}")
    tail = proc.stderr.decode().rsplit("peak_kb=", 1)[1].split()
    peak_kb, cpu = int(tail[0]), sum(float(x) for x in tail[1].removeprefix("cpu_s=").split("+"))
    report = json.loads(proc.stdout)
    return {"wall_s": wall, "cpu_s": cpu, "peak_rss_mb": peak_kb / 1024, "dataset_drift": report["dataset_drift"],
            "columns": {f["name"]: [f["method"], f["score"], f["drifted"]] for f in report["features"]}}


def run_evidently(ref: str, cur: str) -> dict:
    """Time Evidently's DataDriftPreset on frames read with pandas; return verdicts."""
    import pandas as pd
    from evidently import Report
    from evidently.presets import DataDriftPreset

    warnings.simplefilter("ignore")
    t0 = time.perf_counter()
    ref_df, cur_df = pd.read_csv(ref), pd.read_csv(cur)
    t_read = time.perf_counter() - t0
    t1, c1 = time.perf_counter(), time.process_time()
    data = Report([DataDriftPreset()], include_tests=True).run(cur_df, ref_df).dict()
    t_report, c_report = time.perf_counter() - t1, time.process_time() - c1
    status = {t["metric_config"]["metric_id"]: t["status"] == "FAIL" for t in data["tests"] if t["id"] == "drift"}
    cols = {m["config"]["column"]: [m["config"]["method"], m["value"], status[m["id"]]]
            for m in data["metrics"] if m["config"]["type"].endswith("ValueDrift")}
    dataset = [t["status"] == "FAIL" for t in data["tests"] if t["id"] == "lt"][0]
    return {"report_s": t_report, "report_cpu_s": c_report, "read_s": t_read, "peak_rss_mb": _self_peak_mb(), "dataset_drift": dataset,
            "columns": cols}


def _self_peak_mb() -> float:
    with open("/proc/self/status") as fh:  # VmHWM restarts at exec: this process's own peak
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _child_evidently(ref: str, cur: str) -> dict:
    out = subprocess.run([sys.executable, __file__, "--evidently-child", ref, cur], capture_output=True, text=True,
                         check=True, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


def help_time(repeat: int) -> float:
    """Return the median wall time of `python -m bot.main drift --help`."""
    times = []
    for _ in range(max(repeat, 3)):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", MODULE[0], "drift", "--help"], cwd=ROOT, capture_output=True,
                       check=True, env=CHILD_ENV)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def bench_case(name: str, workdir: Path, repeat: int) -> None:
    """Generate one case, run both sides, print figures beside the targets."""
    rows = CASES[name]
    ref, cur = workdir / f"{name}_ref.csv", workdir / f"{name}_cur.csv"
    pcsv.write_csv(make_case(rows, 1, False), ref)
    pcsv.write_csv(make_case(rows, 2, True), cur)
    run_ours(str(ref), str(cur))  # unmeasured: bytecode and page cache, as on a second CI run
    runs = [run_ours(str(ref), str(cur)) for _ in range(repeat)]
    wall = statistics.median(r["wall_s"] for r in runs)
    cpu = statistics.median(r["cpu_s"] for r in runs)
    peak = statistics.median(r["peak_rss_mb"] for r in runs)
    size = (ref.stat().st_size + cur.stat().st_size) / 2**20
    print(f"\n== {name}: {rows:,} rows x {N_NUM + N_CAT} columns ({N_NUM} numeric, {N_CAT} categorical) "
          f"per side, CSV {size:.0f} MB in all")
    shown = ", ".join(f"{r['wall_s']:.2f}" for r in runs)
    print(f"opsbot drift (whole process)  median {wall:6.2f} s  (runs {shown})"
          f"  peak RSS {peak:6.0f} MB  CPU {cpu:.2f} s")
    if name == "5m":
        verdict = "MET" if peak <= TARGET_PEAK_MB_5M else "MISSED"
        print(f"target    peak RSS <= {TARGET_PEAK_MB_5M:.0f} MB at 5M x 10: {verdict} ({peak:.0f} MB)")
        return
    theirs = _child_evidently(str(ref), str(cur))
    ours = runs[0]
    speedup = theirs["report_s"] / wall
    print(f"Evidently report (frames read) {theirs['report_s']:6.2f} s  (+ pd.read_csv {theirs['read_s']:.2f} s)"
          f"          peak RSS {theirs['peak_rss_mb']:6.0f} MB  CPU {theirs['report_cpu_s']:.2f} s")
    verdict = "MET" if speedup >= TARGET_SPEEDUP else "MISSED"
    print(f"target    >= {TARGET_SPEEDUP:.0f}x Evidently's report time: {speedup:.1f}x {verdict}   "
          f"(with its read: {(theirs['report_s'] + theirs['read_s']) / wall:.1f}x; memory "
          f"{theirs['peak_rss_mb'] / peak:.1f}x less; CPU seconds {theirs['report_cpu_s'] / cpu:.1f}x fewer, "
          f"the ratio a loaded machine distorts least)")
    agree = sum(ours["columns"][c][2] == v[2] and ours["columns"][c][0] == _method(v[0])
                for c, v in theirs["columns"].items())
    max_rel = max(abs(ours["columns"][c][1] - v[1]) / max(abs(v[1]), 1e-300) for c, v in theirs["columns"].items())
    print(f"verdicts  {agree}/{len(theirs['columns'])} columns identical (method and flag); dataset drift "
          f"ours={ours['dataset_drift']} evidently={theirs['dataset_drift']}; "
          f"{sum(v[2] for v in theirs['columns'].values())} drifted; max relative score difference {max_rel:.1e}")


def _method(evidently_name: str) -> str:
    return {"K-S p_value": "ks", "chi-square p_value": "chisquare", "Z-test p_value": "z",
            "Wasserstein distance (normed)": "wasserstein",
            "Jensen-Shannon distance": "jensenshannon"}.get(evidently_name, evidently_name)


def main() -> None:
    """Parse arguments and run the selected cases."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", default="100k,1m,5m")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--evidently-child", nargs=2, metavar=("REF", "CUR"))
    parser.add_argument("--module", default="bot.main", help="module run as `python -m MODULE drift ...`")
    args = parser.parse_args()
    MODULE[0] = args.module
    if args.evidently_child:
        print(json.dumps(run_evidently(*args.evidently_child)))
        return
    print(f"machine: {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}; numpy {np.__version__}, "
          f"pyarrow {pa.__version__}")
    t_help = help_time(args.repeat)
    print(f"command: python -m {args.module} drift REF CUR --format json")
    print(f"`opsbot drift --help` median {t_help:.2f} s  target < {TARGET_HELP_S} s: "
          f"{'MET' if t_help < TARGET_HELP_S else 'MISSED'}")
    with tempfile.TemporaryDirectory(prefix="bench-drift-") as tmp:
        for name in args.cases.split(","):
            bench_case(name, Path(tmp), args.repeat)


if __name__ == "__main__":
    main()
