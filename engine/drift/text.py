"""Plain-text rendering of a DriftReport for terminals and CI logs."""

from __future__ import annotations

from engine.drift.types import DriftReport


def format_text(report: DriftReport, top: int = 5) -> str:
    """Return a short human summary: verdict, top drivers, stable features, quality warnings."""
    verdict = "DATASET DRIFT" if report.dataset_drift else "No dataset drift"
    lines = [f"{verdict}: {report.n_drifted} of {report.n_features} features drifted "
             f"({report.share_drifted:.0%}; dataset drift at {report.drift_share:.0%})"]
    if report.source == "opsbot":
        lines.append(f"reference: {report.reference.name} ({_rows(report.reference.rows)})   "
                     f"current: {report.current.name} ({_rows(report.current.rows)})")
    else:
        lines.append(f"from Evidently report: {report.reference.name}")
    drivers = report.drivers(top)
    if drivers:
        lines.append("")
        lines.append("Top drivers:")
        lines += [f"  {i}. {f.description}" for i, f in enumerate(drivers, 1)]
        rest = [f.name for f in report.drivers(report.n_drifted)[len(drivers):]]
        if rest:  # a CI log must name every drifted column, not count them
            lines.append(f"  also drifted: {', '.join(rest)}")
    stable = [f.name for f in report.ranked() if not f.drifted]
    if stable:
        lines.append("")
        shown = ", ".join(stable[:12]) + (f" and {len(stable) - 12} more" if len(stable) > 12 else "")
        lines.append(f"Stable: {shown}")
    if report.quality:
        lines.append("")
        lines.append("Data quality:")
        lines += [f"  - {q.message}" for q in report.quality]
    return "\n".join(lines)


def format_table(report: DriftReport) -> str:
    """Return one line per feature: name, kind, method, score, threshold, verdict."""
    rows = [f"{'feature':<24} {'kind':<12} {'method':<14} {'score':>10} {'threshold':>9}  drift"]
    for f in report.ranked():
        rows.append(f"{f.name[:24]:<24} {f.kind:<12} {f.method:<14} {f.score:>10.4g} {f.threshold:>9.3g}  "
                    f"{'YES' if f.drifted else 'no'}")
    return "\n".join(rows)


def _rows(n: int | None) -> str:
    return "? rows" if n is None else f"{n:,} rows"
