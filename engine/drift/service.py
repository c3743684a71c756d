"""Compare a reference and a current dataset: profile both in one pass each, then test."""

from __future__ import annotations

import os
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import nullcontext
from itertools import chain
from typing import Iterable, Iterator, Optional

import pyarrow as pa

from engine.drift import quality
from engine.drift.describe import describe_categorical, describe_numeric
from engine.drift.methods import SMALL_REFERENCE, aligned_counts, infer_kind, run_test
from engine.drift.numeric import NumericProfile, RefContext
from engine.drift.profile import CategoricalProfile, ColumnProfile, OtherProfile, SideProfile, SideProfiler
from engine.drift.stats import ecdf_points
from engine.drift.sources import FileSource, RetypeNeeded, Source, iter_batches
from engine.drift.types import DriftOptions, DriftReport, FeatureDrift, QualityFinding, SideInfo
from engine.errors import InvalidInput


class NoComparableFeatures(InvalidInput):
    """Not one feature could be tested, so there is no verdict to give."""


_WORKERS = max(2, min(8, os.cpu_count() or 2))


async def compare_async(reference: Source, current: Source, options: Optional[DriftOptions] = None) -> DriftReport:
    """Compare off the event loop (numpy and pyarrow release the GIL for the heavy parts)."""
    import asyncio  # here, not at the top: the `opsbot drift` command never needs an event loop

    return await asyncio.to_thread(compare, reference, current, options)


def compare(reference: Source, current: Source, options: Optional[DriftOptions] = None) -> DriftReport:
    """Return the DriftReport of current against reference."""
    options = options or DriftOptions()
    skip = set(options.exclude)
    for src in (reference, current):
        if src.window is not None:
            skip.add(src.window.column)
    with ThreadPoolExecutor(_WORKERS) as pool:
        ahead = _read_ahead(current, pool)
        ref = profile_source(reference, options, skip, None, pool)
        contexts = {name: _context(col) for name, col in ref.columns.items()
                    if isinstance(col, NumericProfile) and col.count}
        cur = profile_source(current, options, skip, contexts, pool, ahead)
        try:
            return build_report(ref, cur, options, skip, pool)
        finally:
            for side in (ref, cur):
                for col in side.columns.values():
                    if isinstance(col, NumericProfile) and col.spill is not None:
                        col.spill.close()


def _context(col: NumericProfile) -> RefContext:
    # A small reference is held exactly: its distinct values let the current side count for KS.
    values = col.sorted if col.count <= SMALL_REFERENCE else None
    return RefContext(col.minimum, col.maximum, ecdf_points(values)[0] if values is not None else None)


_Ahead = tuple[Iterator[tuple[pa.RecordBatch, str]], "Future[tuple[pa.RecordBatch, str] | None]"]


def _read_ahead(source: Source, pool: ThreadPoolExecutor) -> _Ahead | None:
    """Start parsing a file's first piece on the pool while the other side is read (files only)."""
    if not isinstance(source, FileSource):
        return None
    batches = iter_batches(source, {})
    return batches, pool.submit(next, batches, None)


def profile_source(source: Source, options: DriftOptions, skip: set[str], contexts: dict[str, RefContext] | None,
                   pool: ThreadPoolExecutor, ahead: _Ahead | None = None) -> SideProfile:
    """Stream a source into a SideProfile, re-reading a CSV if a column needs a wider type."""
    csv_types: dict[str, dict[str, pa.DataType]] = {}
    while True:
        profiler = SideProfiler(source.name, options.exact_limit, contexts, skip)
        try:
            if ahead is not None:
                (batches, first), ahead = ahead, None
                head = first.result()
                stream: Iterable[tuple[pa.RecordBatch, str]] = chain([head], batches) if head is not None else ()
            else:
                stream = iter_batches(source, csv_types)
            for batch, origin in stream:
                profiler.add_batch(batch, origin)
            break
        except RetypeNeeded as retry:
            csv_types.setdefault(retry.path, {})[retry.column] = retry.arrow_type
    if profiler.rows == 0:
        where = ""
        if source.window is not None:
            w = source.window
            where = f" with `{w.column}` in [{w.start or '...'}, {w.end or '...'})"
        raise InvalidInput(f"{source.name}: no rows{where}", hint="check the file, the query or the window")
    pa.default_memory_pool().release_unused()  # parse buffers the pool keeps would add to the next phase's peak
    return profiler.finish(pool)


def build_report(ref: SideProfile, cur: SideProfile, options: DriftOptions, skip: set[str],
                 pool: ThreadPoolExecutor | None = None) -> DriftReport:
    """Test every common column and gather quality findings into a DriftReport."""
    findings: list[QualityFinding] = quality.schema_findings(ref, cur, skip)
    wanted = options.columns
    for name in wanted or []:
        if name not in cur.columns or name not in ref.columns:
            side = cur.name if name not in cur.columns else ref.name
            raise InvalidInput(f"{side}: column `{name}` not found",
                               hint=f"columns are: {', '.join(sorted(cur.columns))[:300]}")
    names = [n for n in cur.columns if n in ref.columns and (wanted is None or n in wanted)]
    jobs = []
    for name in names:
        r, c = ref.columns[name], cur.columns[name]
        findings += quality.missing_rate(name, r, c, options)
        if isinstance(r, OtherProfile) or isinstance(c, OtherProfile):
            empty = [p for p in (r, c) if isinstance(p, OtherProfile) and p.family == "empty"]
            if empty:
                findings.append(quality.not_tested(name, "no values on one side"))
            elif r.family != c.family:
                findings.append(quality.type_changed(name, r, c))
            continue
        kind = infer_kind(name, r, c, options)
        if kind is None:
            findings.append(quality.not_tested(name, "free text (over half the values are distinct)"))
        elif r.family != c.family and not (kind == "categorical" and name in options.categorical):
            findings.append(quality.type_changed(name, r, c))
        elif r.count == 0 or c.count == 0:
            findings.append(quality.not_tested(name, "no values on one side"))
        else:
            findings += quality.value_findings(name, r, c, options)
            jobs.append((name, kind))
    if not jobs:
        raise NoComparableFeatures(*_why_nothing_compared(ref, cur, names, findings))
    run = pool.map if pool is not None else map
    one_spilled = threading.Lock()
    features = list(run(lambda job: _feature(job[0], ref.columns[job[0]], cur.columns[job[0]], job[1], options,
                                             one_spilled),
                        jobs))
    n_drifted = sum(f.drifted for f in features)
    share = n_drifted / len(features) if features else 0.0
    return DriftReport(
        reference=SideInfo(name=ref.name, rows=ref.rows), current=SideInfo(name=cur.name, rows=cur.rows),
        dataset_drift=bool(features) and share >= options.drift_share, drift_share=options.drift_share,
        share_drifted=share, n_features=len(features), n_drifted=n_drifted, features=features, quality=findings)


def _why_nothing_compared(ref: SideProfile, cur: SideProfile, names: list[str],
                          findings: list[QualityFinding]) -> tuple[str, str]:
    """Return (message, hint) saying why no feature could be tested."""
    if not names:
        for side in (ref, cur):
            if len(side.columns) == 1 and len(ref.columns) + len(cur.columns) > 2:
                (column,) = side.columns
                return (f"{side.name}: read as one column `{column[:80]}`, so no column matches the other side",
                        "if the file uses another separator, give it with --delimiter")
        return (f"{ref.name} and {cur.name} have no columns in common "
                f"({ref.name}: {_list(ref.columns)}; {cur.name}: {_list(cur.columns)})",
                "compare files with the same header, or map the columns first")
    reasons = [q.message for q in findings if q.kind in ("not_tested", "type_changed") and q.column in names]
    if all(isinstance(ref.columns[n], OtherProfile) and ref.columns[n].family == "empty"
           or isinstance(cur.columns[n], OtherProfile) and cur.columns[n].family == "empty" for n in names):
        return (f"every column in common is empty on one side ({_list(names)})", "check that the files hold values")
    return (f"none of the {len(names)} columns in common can be tested: {'; '.join(reasons)[:600]}",
            "force a column's kind with --column-mapping (numerical_features / categorical_features)")


def _list(column_names: Iterable[str]) -> str:
    names = list(column_names)
    return ", ".join(names[:20]) + (f" and {len(names) - 20} more" if len(names) > 20 else "") if names else "none"


def _feature(name: str, r: ColumnProfile, c: ColumnProfile, kind: str, options: DriftOptions,
             one_spilled: threading.Lock) -> FeatureDrift:
    spilled = any(isinstance(p, NumericProfile) and p.spill is not None for p in (r, c))
    # a column kept on disk is read back whole (40 MB a side at 5M rows): one such column at a time,
    # whatever the number of workers, so peak memory does not grow with the core count
    with one_spilled if spilled else nullcontext():
        try:
            return _tested(name, r, c, kind, options)
        finally:  # values read back from disk for this column are dropped before the next column's
            for p in (r, c):
                if isinstance(p, NumericProfile):
                    p.release()


def _tested(name: str, r: ColumnProfile, c: ColumnProfile, kind: str, options: DriftOptions) -> FeatureDrift:
    result = run_test(name, r, c, kind, options)
    ref_stats, cur_stats = _summary(r), _summary(c)
    if kind == "numerical":
        text = describe_numeric(name, ref_stats, cur_stats, result.method, result.score, result.drifted)
    else:
        keys, rc, cc = aligned_counts(r, c, name)
        text = describe_categorical(name, keys, list(rc / rc.sum()), list(cc / cc.sum()),
                                    result.method, result.score, result.drifted)
    effect = None if result.effect is None else float(result.effect)  # numpy scalars do not serialise to JSON
    return FeatureDrift(name=name, kind=kind, method=result.method, score=float(result.score),
                        threshold=float(result.threshold), drifted=bool(result.drifted), effect=effect,
                        description=text, reference=ref_stats, current=cur_stats)


def _summary(p: ColumnProfile) -> dict[str, float | str | None]:
    base: dict[str, float | str | None] = {"rows": float(p.rows), "missing_rate": p.missing / p.rows if p.rows else 0.0}
    if isinstance(p, NumericProfile):
        return base | {"median": p.quantile(0.5), "mean": p.mean, "std": p.std,
                       "min": p.minimum, "max": p.maximum}
    if isinstance(p, CategoricalProfile) and p.counts:
        top = max(p.counts, key=p.counts.__getitem__)
        return base | {"top": str(top), "top_share": p.counts[top] / p.count, "n_values": float(len(p.counts))}
    return base

