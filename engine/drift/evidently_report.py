"""Read an existing Evidently report (v0.7 `snapshot.json()` or legacy drift metrics) as a DriftReport.

Evidently stores only a score per column; whether that score means drift depends on the
method: a p-value drifts when small, a distance when large. The table below says which, with
Evidently's own comparison for each method (KS and Cramer-von Mises use <=, energy distance >).
"""

from __future__ import annotations

import json
import re
from typing import Any

from engine.drift.describe import score_text
from engine.drift.types import DriftReport, FeatureDrift, SideInfo
from engine.errors import InvalidInput

# display name or registry name -> (method key, kind or None, comparison)
_METHODS: dict[str, tuple[str, str | None, str]] = {}
for names, key, kind, op in [
    (("K-S p_value", "ks"), "ks", "numerical", "<="),
    (("chi-square p_value", "chisquare"), "chisquare", "categorical", "<"),
    (("Z-test p_value", "z"), "z", "categorical", "<"),
    (("Wasserstein distance (normed)", "wasserstein"), "wasserstein", "numerical", ">="),
    (("Jensen-Shannon distance", "jensenshannon"), "jensenshannon", None, ">="),
    (("PSI", "psi"), "psi", None, ">="),
    (("Hellinger distance", "hellinger"), "hellinger", None, ">="),
    (("Kullback-Leibler divergence", "kl_div"), "kl_div", None, ">="),
    (("Energy-distance", "ed"), "ed", "numerical", ">"),
    (("Cramer-von Mises", "cramer_von_mises"), "cramer_von_mises", "numerical", "<="),
    (("Anderson-Darling", "anderson"), "anderson", "numerical", "<"),
    (("Epps-Singleton", "es"), "es", "numerical", "<"),
    (("Mann-Whitney U-rank test", "mannw"), "mannw", "numerical", "<"),
    (("t_test",), "t_test", "numerical", "<"),
    (("empirical_mmd",), "empirical_mmd", "numerical", "<"),
    (("Fisher's Exact test", "fisher_exact"), "fisher_exact", "categorical", "<"),
    (("g_test",), "g_test", "categorical", "<"),
    (("Total-Variation-Distance", "TVD"), "TVD", "categorical", "<"),
    (("Percentile text content drift", "perc_text_content_drift"), "perc_text_content_drift", "text", ">="),
    (("Absolute text content drift", "abs_text_content_drift"), "abs_text_content_drift", "text", ">="),
]:
    for n in names:
        _METHODS[n.lower()] = (key, kind, op)

_LEGACY_KIND = {"num": "numerical", "cat": "categorical", "text": "text"}
_VALUE_DRIFT = re.compile(r"ValueDrift\(column=(?P<column>.*?),method=(?P<method>.*?),threshold=(?P<threshold>[^)]*)\)")


def method_direction(method: str) -> tuple[str, str | None, str]:
    """Return (method key, kind or None, comparison) for an Evidently method name."""
    known = _METHODS.get(method.strip().lower())
    if known:
        return known
    # unknown or custom test: Evidently names p-value tests "... p_value"
    return (method, None, "<" if "p_value" in method.lower() else ">=")


def drifted_by(op: str, score: float, threshold: float) -> bool:
    """Return the verdict for a score under the method's comparison."""
    return {"<": score < threshold, "<=": score <= threshold, ">": score > threshold}.get(op, score >= threshold)


def load_evidently_report(path: str) -> DriftReport:
    """Read an Evidently JSON file into a DriftReport."""
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except (OSError, ValueError) as exc:
        raise InvalidInput(f"{path}: not a readable Evidently JSON report ({exc})") from None
    return parse_evidently_report(data, path)


def parse_evidently_report(data: Any, label: str = "evidently report") -> DriftReport:
    """Turn a parsed Evidently report (v0.7 snapshot or legacy metrics) into a DriftReport."""
    metrics = data.get("metrics") if isinstance(data, dict) else None
    if not isinstance(metrics, list):
        raise InvalidInput(f"{label}: no `metrics` list; expected Evidently snapshot.json() output")
    if any(isinstance(m, dict) and "metric" in m for m in metrics):
        return _legacy(metrics, label)
    return _v07(metrics, data.get("tests") or [], label)


def _v07(metrics: list, tests: list, label: str) -> DriftReport:
    features: list[FeatureDrift] = []
    drift_share = 0.5
    # with include_tests=True Evidently also records its verdict per ValueDrift metric
    verdicts = {(t.get("metric_config") or {}).get("metric_id"): t.get("status") == "FAIL"
                for t in tests if isinstance(t, dict) and t.get("id") == "drift"}
    for m in metrics:
        cfg = m.get("config") or {}
        mtype = str(cfg.get("type", ""))
        if mtype.endswith("DriftedColumnsCount"):
            drift_share = float(cfg.get("drift_share", drift_share))
        elif mtype.endswith("ValueDrift") or str(m.get("metric_name", "")).startswith("ValueDrift("):
            parsed = _VALUE_DRIFT.match(str(m.get("metric_name", ""))) or None
            column = cfg.get("column") or (parsed and parsed["column"])
            method = cfg.get("method") or (parsed and parsed["method"]) or ""
            threshold = cfg.get("threshold", parsed and parsed["threshold"])
            if column is None or threshold is None or not isinstance(m.get("value"), (int, float)):
                raise InvalidInput(f"{label}: ValueDrift metric without column, threshold or value")
            features.append(_feature(str(column), str(method), float(m["value"]), float(threshold), None,
                                     verdicts.get(m.get("id"))))
    if not features:
        raise InvalidInput(f"{label}: no ValueDrift metrics; was it made with DataDriftPreset?")
    return _report(features, drift_share, None, label)


def _legacy(metrics: list, label: str) -> DriftReport:
    features: list[FeatureDrift] = []
    summary: dict = {}
    for m in metrics:
        name, result = m.get("metric"), m.get("result") or {}
        if name in ("DatasetDriftMetric", "DataDriftTable"):
            summary = summary or result
            for col in (result.get("drift_by_columns") or {}).values():
                if not any(f.name == col["column_name"] for f in features):
                    features.append(_feature(col["column_name"], col["stattest_name"], float(col["drift_score"]),
                                             float(col["stattest_threshold"]),
                                             _LEGACY_KIND.get(col.get("column_type")), col.get("drift_detected")))
    if not summary:
        raise InvalidInput(f"{label}: no DatasetDriftMetric or DataDriftTable result")
    share = float(summary.get("drift_share", 0.5))
    if features:
        return _report(features, share, summary.get("dataset_drift"), label)
    n = int(summary.get("number_of_columns", 0))
    n_drifted = int(summary.get("number_of_drifted_columns", 0))
    return DriftReport(reference=SideInfo(name=label), current=SideInfo(name=label),
                       dataset_drift=bool(summary.get("dataset_drift")), drift_share=share,
                       share_drifted=float(summary.get("share_of_drifted_columns", 0.0)), n_features=n,
                       n_drifted=n_drifted, features=[], source="evidently")


def _feature(column: str, method: str, score: float, threshold: float, kind: str | None,
             flagged: bool | None) -> FeatureDrift:
    key, method_kind, op = method_direction(method)
    drifted = drifted_by(op, score, threshold) if flagged is None else bool(flagged)
    effect = score if op.startswith(">") else None  # p-values are not effect sizes
    text = f"`{column}` {'drifted' if drifted else 'stable'}: {score_text(key, score, op.startswith('<'))}"
    return FeatureDrift(name=column, kind=kind or method_kind or "unknown", method=key, score=score,
                        threshold=threshold, drifted=drifted, effect=effect, description=text)


def _report(features: list[FeatureDrift], drift_share: float, flagged: bool | None, label: str) -> DriftReport:
    n_drifted = sum(f.drifted for f in features)
    share = n_drifted / len(features)
    verdict = share >= drift_share if flagged is None else bool(flagged)
    return DriftReport(reference=SideInfo(name=label), current=SideInfo(name=label), dataset_drift=verdict,
                       drift_share=drift_share, share_drifted=share, n_features=len(features),
                       n_drifted=n_drifted, features=features, source="evidently")
