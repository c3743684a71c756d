"""Plain one-sentence descriptions of a feature's change, readable in ten seconds."""

from __future__ import annotations

import math

from engine.drift.types import METHOD_LABELS, P_VALUE_METHODS


def human_number(x: float | None) -> str:
    """Format a number compactly: 41k, 1.2M, 0.034, 12.5."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    ax = abs(x)
    for size, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")):
        if ax >= size:
            return f"{_trim(x / size)}{suffix}"
    if ax == 0 or ax >= 1:
        return _trim(x)
    return f"{x:.2g}"


def _trim(x: float) -> str:
    text = f"{x:.3g}" if abs(x) < 1000 else f"{x:.0f}"
    return text.replace("e+0", "e").replace("e+", "e")


def score_text(method: str, score: float, p_value: bool | None = None) -> str:
    """Return e.g. 'Wasserstein 0.23 reference SDs' or 'KS p=0.003'."""
    label = METHOD_LABELS.get(method, method if not p_value else f"{method} p")
    if p_value or (p_value is None and method in P_VALUE_METHODS):
        return f"{label}<0.001" if score < 0.001 else f"{label}={score:.3g}"
    # the normed Wasserstein distance is in reference standard deviations; say so, or 0.72 means nothing
    unit = " reference SDs" if method == "wasserstein" else ""
    return f"{label} {score:.2f}{unit}"


def describe_numeric(name: str, ref: dict, cur: dict, method: str, score: float, drifted: bool) -> str:
    """Say which way a numeric feature moved, with medians and the score."""
    r_med, c_med = ref.get("median"), cur.get("median")
    r_std, c_std = ref.get("std") or 0.0, cur.get("std") or 0.0
    spread = max(r_std, 1e-12)
    tail = score_text(method, score)
    if r_med is None or c_med is None:
        return f"`{name}`: {tail}"
    shift = (c_med - r_med) / spread
    if not drifted:
        return f"`{name}` stable: median {human_number(r_med)} -> {human_number(c_med)}, {tail}"
    if abs(shift) >= 0.05:
        verb = "moved up" if shift > 0 else "moved down"
        return f"`{name}` {verb}: median {human_number(r_med)} -> {human_number(c_med)}, {tail}"
    if c_std > r_std * 1.1:
        return f"`{name}` spread widened: std {human_number(r_std)} -> {human_number(c_std)}, {tail}"
    if c_std < r_std / 1.1:
        return f"`{name}` spread narrowed: std {human_number(r_std)} -> {human_number(c_std)}, {tail}"
    return f"`{name}` changed shape: median {human_number(r_med)} -> {human_number(c_med)}, {tail}"


def describe_categorical(name: str, keys: list, ref_share: list[float], cur_share: list[float],
                         method: str, score: float, drifted: bool) -> str:
    """Name the category whose share moved most, with the score."""
    tail = score_text(method, score)
    if not keys:
        return f"`{name}`: {tail}"
    deltas = [abs(c - r) for r, c in zip(ref_share, cur_share)]
    i = max(range(len(keys)), key=deltas.__getitem__)
    r, c = ref_share[i], cur_share[i]
    if not drifted and deltas[i] < 0.02:
        return f"`{name}` stable: largest share change {_pct(deltas[i])}, {tail}"
    if r == 0:
        what = f"new value '{keys[i]}' at {_pct(c)}"
    elif c == 0:
        what = f"'{keys[i]}' vanished (was {_pct(r)})"
    else:
        what = f"'{keys[i]}' {_pct(r)} -> {_pct(c)}"
    return f"`{name}` {'shifted' if drifted else 'about the same'}: {what}, {tail}"


def _pct(x: float) -> str:
    return f"{x * 100:.1f}%" if x < 0.1 else f"{x * 100:.0f}%"
