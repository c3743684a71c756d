"""Data-quality findings beside drift: schema, missing values, categories, range."""

from __future__ import annotations

from engine.drift.describe import human_number
from engine.drift.numeric import NumericProfile
from engine.drift.profile import CategoricalProfile, ColumnProfile, SideProfile
from engine.drift.types import DriftOptions, QualityFinding

_MAX_NAMED = 3  # categories named in one message


def schema_findings(ref: SideProfile, cur: SideProfile, ignore: set[str]) -> list[QualityFinding]:
    """Report added and removed columns."""
    out = []
    for name in ref.columns:
        if name not in cur.columns and name not in ignore:
            out.append(QualityFinding(kind="column_removed", column=name,
                                      message=f"`{name}` is in the reference but missing from current data"))
    for name in cur.columns:
        if name not in ref.columns and name not in ignore:
            out.append(QualityFinding(kind="column_added", column=name,
                                      message=f"`{name}` is new in current data (not in the reference)"))
    return out


def type_changed(name: str, ref: ColumnProfile, cur: ColumnProfile) -> QualityFinding:
    """Report a column whose kind of values differs between the sides."""
    return QualityFinding(kind="type_changed", column=name,
                          message=f"`{name}` changed type: {ref.family} -> {cur.family}; not compared")


def not_tested(name: str, why: str) -> QualityFinding:
    """Report a column that was left out of the drift share, and why."""
    return QualityFinding(kind="not_tested", column=name, message=f"`{name}` not tested: {why}")


def missing_rate(name: str, ref: ColumnProfile, cur: ColumnProfile, options: DriftOptions) -> list[QualityFinding]:
    """Report a change in the share of missing values."""
    r = ref.missing / ref.rows if ref.rows else 0.0
    c = cur.missing / cur.rows if cur.rows else 0.0
    if abs(c - r) < options.missing_rate_change and not (r == 0 and c >= options.missing_rate_change / 5):
        return []
    return [QualityFinding(kind="missing_rate", column=name, value=c - r,
                           message=f"`{name}` missing values {_pct(r)} -> {_pct(c)}")]


def value_findings(name: str, ref: ColumnProfile, cur: ColumnProfile, options: DriftOptions) -> list[QualityFinding]:
    """Report new or vanished categories and current values outside the reference range."""
    out: list[QualityFinding] = []
    if isinstance(ref, CategoricalProfile) and isinstance(cur, CategoricalProfile) and not (
            ref.overflow or cur.overflow):
        new = {k: v for k, v in cur.counts.items() if k not in ref.counts}
        share = sum(new.values()) / cur.count if cur.count else 0.0
        if new and share >= options.category_share:
            out.append(QualityFinding(kind="new_categories", column=name, value=share,
                                      message=f"`{name}` has {len(new)} new value(s) "
                                              f"({_names(new)}) in {_pct(share)} of current rows"))
        gone = {k: v for k, v in ref.counts.items() if k not in cur.counts and v / ref.count >= options.category_share}
        if gone:
            share = sum(gone.values()) / ref.count
            out.append(QualityFinding(kind="vanished_categories", column=name, value=share,
                                      message=f"`{name}` lost {len(gone)} value(s) ({_names(gone)}) "
                                              f"that were {_pct(share)} of the reference"))
    if isinstance(ref, NumericProfile) and isinstance(cur, NumericProfile) and cur.count:
        share = cur.out_of_range / cur.count
        if share >= options.out_of_range_share:
            out.append(QualityFinding(kind="out_of_range", column=name, value=share,
                                      message=f"`{name}`: {_pct(share)} of current values fall outside the "
                                              f"reference range {human_number(ref.minimum)} .. "
                                              f"{human_number(ref.maximum)}"))
    return out


def _names(counts: dict) -> str:
    top = sorted(counts, key=counts.get, reverse=True)[:_MAX_NAMED]
    more = "" if len(counts) <= _MAX_NAMED else f" and {len(counts) - _MAX_NAMED} more"
    return ", ".join(f"'{k}'" for k in top) + more


def _pct(x: float) -> str:
    return f"{x * 100:.1f}%"
