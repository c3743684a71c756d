"""Drift options and the DriftReport result (pure data, JSON-serialisable).

Plain dataclasses, not pydantic models: building five pydantic models cost `opsbot drift` about
0.2 s of CPU at start, as much as reading 100,000 rows. Values are checked in `__post_init__`
(options) or `from_dict` (reports read back from storage), so bad input still fails closed.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Literal, Optional, get_args

Method = Literal["ks", "chisquare", "z", "wasserstein", "jensenshannon", "psi"]
Kind = Literal["numerical", "categorical", "text", "unknown"]  # the last two only from Evidently reports
FindingKind = Literal["missing_rate", "new_categories", "vanished_categories", "out_of_range",
                      "column_added", "column_removed", "type_changed", "not_tested"]
METHODS: tuple[str, ...] = get_args(Method)

# Direction of each score: p-values drift when small, distances when large.
P_VALUE_METHODS = frozenset({"ks", "chisquare", "z"})
DEFAULT_THRESHOLDS: dict[str, float] = {
    "ks": 0.05, "chisquare": 0.05, "z": 0.05, "wasserstein": 0.1, "jensenshannon": 0.1, "psi": 0.1,
}
METHOD_LABELS: dict[str, str] = {
    "ks": "KS p", "chisquare": "chi-square p", "z": "z-test p", "wasserstein": "Wasserstein",
    "jensenshannon": "Jensen-Shannon", "psi": "PSI",
}


@dataclass
class DriftOptions:
    """How to compare: Evidently DataDriftPreset defaults unless overridden."""

    drift_share: float = 0.5  # dataset drifts when this share of features drift, in (0, 1]
    method: Optional[str] = None  # each method one of METHODS (checked below)
    num_method: Optional[str] = None
    cat_method: Optional[str] = None
    per_column_method: dict[str, str] = field(default_factory=dict)
    threshold: Optional[float] = None
    num_threshold: Optional[float] = None
    cat_threshold: Optional[float] = None
    per_column_threshold: dict[str, float] = field(default_factory=dict)
    columns: Optional[list[str]] = None
    exclude: list[str] = field(default_factory=list)
    numerical: list[str] = field(default_factory=list)  # force these columns numerical
    categorical: list[str] = field(default_factory=list)  # force these columns categorical
    exact_limit: int = 5_000_000  # values per column kept exactly before sketching, >= 10,000
    missing_rate_change: float = 0.05  # flag a missing-rate change at least this large
    out_of_range_share: float = 0.01  # flag current values outside the reference range
    category_share: float = 0.01  # flag new or vanished categories above this share

    def __post_init__(self) -> None:
        _check(_number(self.drift_share, "drift_share") > 0 and self.drift_share <= 1,
               f"drift_share must be in (0, 1], got {self.drift_share}")
        _check(isinstance(self.exact_limit, int) and not isinstance(self.exact_limit, bool)
               and self.exact_limit >= 10_000, f"exact_limit must be an integer >= 10000, got {self.exact_limit!r}")
        for name in ("missing_rate_change", "out_of_range_share", "category_share"):
            _check(_number(getattr(self, name), name) >= 0, f"{name} must be >= 0, got {getattr(self, name)}")
        for name in ("threshold", "num_threshold", "cat_threshold"):
            if getattr(self, name) is not None:
                _number(getattr(self, name), name)
        for column, value in self.per_column_threshold.items():
            _number(value, f"threshold for {column}")
        for method in (self.method, self.num_method, self.cat_method, *self.per_column_method.values()):
            _check(method is None or method in METHODS, f"unknown method {method!r}; use one of {', '.join(METHODS)}")
        for name in ("exclude", "numerical", "categorical", "columns"):
            value = getattr(self, name)
            _check(value is None and name == "columns" or isinstance(value, list)
                   and all(isinstance(v, str) for v in value), f"{name} must be a list of column names")

    def method_for(self, column: str, kind: str) -> Optional[str]:
        """Return the overriding method for a column, or None for the default choice."""
        typed = self.num_method if kind == "numerical" else self.cat_method
        return self.per_column_method.get(column) or typed or self.method

    def threshold_for(self, column: str, kind: str, method: str) -> float:
        """Return the threshold for a column (override, else the method's default)."""
        typed = self.num_threshold if kind == "numerical" else self.cat_threshold
        for value in (self.per_column_threshold.get(column), typed, self.threshold):
            if value is not None:
                return value
        return DEFAULT_THRESHOLDS[method]


@dataclass
class FeatureDrift:
    """One feature's verdict and the plain sentence that explains it."""

    name: str
    kind: str  # one of Kind (checked below)
    method: str
    score: float
    threshold: float
    drifted: bool
    # size of the change used for ranking (normed Wasserstein for numbers, Jensen-Shannon for categories)
    effect: Optional[float] = None
    description: str = ""
    reference: dict[str, float | str | None] = field(default_factory=dict)
    current: dict[str, float | str | None] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _check(self.kind in get_args(Kind), f"feature kind {self.kind!r} unknown")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FeatureDrift:
        """Return a FeatureDrift from its `asdict` form, checking each field."""
        return cls(name=_str(data, "name"), kind=_str(data, "kind"), method=_str(data, "method"),
                   score=_float(data, "score"), threshold=_float(data, "threshold"),
                   drifted=_bool(data, "drifted"), effect=_float(data, "effect", optional=True),
                   description=_str(data, "description", ""), reference=_stats(data, "reference"),
                   current=_stats(data, "current"))


@dataclass
class QualityFinding:
    """A data-quality observation beside drift (missing values, categories, range, schema)."""

    kind: FindingKind
    column: str
    message: str
    value: Optional[float] = None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> QualityFinding:
        """Return a QualityFinding from its `asdict` form, checking each field."""
        _check(data.get("kind") in get_args(FindingKind), f"finding kind {data.get('kind')!r} unknown")
        return cls(kind=data["kind"], column=_str(data, "column"), message=_str(data, "message"),
                   value=_float(data, "value", optional=True))


@dataclass
class SideInfo:
    """Which data a side came from."""

    name: str
    rows: Optional[int] = None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SideInfo:
        """Return a SideInfo from its `asdict` form."""
        rows = data.get("rows")
        _check(rows is None or isinstance(rows, int) and not isinstance(rows, bool), f"rows {rows!r} not an integer")
        return cls(name=_str(data, "name"), rows=rows)


@dataclass
class DriftReport:
    """The result of one comparison, whether computed here or read from an Evidently report."""

    reference: SideInfo
    current: SideInfo
    dataset_drift: bool
    drift_share: float
    share_drifted: float
    n_features: int
    n_drifted: int
    features: list[FeatureDrift]
    quality: list[QualityFinding] = field(default_factory=list)
    source: Literal["opsbot", "evidently"] = "opsbot"

    def drivers(self, limit: int = 5) -> list[FeatureDrift]:
        """Return the drifted features, largest effect first."""
        return [f for f in self.ranked() if f.drifted][:limit]

    def ranked(self) -> list[FeatureDrift]:
        """Return all features: drifted first, then by effect size (largest first)."""
        return sorted(self.features, key=lambda f: (not f.drifted, -(f.effect or 0.0), f.name))

    def fingerprint(self, top: int = 3) -> tuple:
        """Return what a scheduled check compares to decide whether to post again."""
        return (self.dataset_drift, tuple(f.name for f in self.drivers(top)))

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict (NaN and infinities as None, as JSON has neither)."""
        data: dict[str, Any] = _finite(asdict(self))
        return data

    def to_json(self, indent: Optional[int] = None) -> str:
        """Serialise to JSON."""
        return json.dumps(self.to_dict(), indent=indent, allow_nan=False)

    @classmethod
    def from_dict(cls, data: Any) -> DriftReport:
        """Return a DriftReport from `to_dict` output (e.g. read back from storage); ValueError if malformed."""
        _check(isinstance(data, dict), "a drift report must be a JSON object")
        unknown = set(data) - {f.name for f in fields(cls)}
        _check(not unknown, f"unknown drift report fields: {', '.join(sorted(unknown))}")
        _check(data.get("source", "opsbot") in ("opsbot", "evidently"), f"source {data.get('source')!r} unknown")
        try:
            return cls(reference=SideInfo.from_dict(data["reference"]), current=SideInfo.from_dict(data["current"]),
                       dataset_drift=_bool(data, "dataset_drift"), drift_share=_float(data, "drift_share"),
                       share_drifted=_float(data, "share_drifted"), n_features=_int(data, "n_features"),
                       n_drifted=_int(data, "n_drifted"),
                       features=[FeatureDrift.from_dict(f) for f in _list(data, "features")],
                       quality=[QualityFinding.from_dict(q) for q in _list(data, "quality", [])],
                       source=data.get("source", "opsbot"))
        except (KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"malformed drift report ({type(exc).__name__}: {exc})") from None

    @classmethod
    def from_json(cls, text: str | bytes) -> DriftReport:
        """Return a DriftReport from `to_json` output."""
        return cls.from_dict(json.loads(text))


def is_drifted(method: str, score: float, threshold: float) -> bool:
    """Return the verdict with Evidently's comparison for the method (KS uses <=)."""
    if method == "ks":
        return score <= threshold
    if method in P_VALUE_METHODS:
        return score < threshold
    return score >= threshold


def _check(ok: bool, message: str) -> None:
    if not ok:
        raise ValueError(message)


def _number(value: Any, name: str) -> float:
    _check(isinstance(value, (int, float)) and not isinstance(value, bool) and not math.isnan(value),
           f"{name} must be a number, got {value!r}")
    return float(value)


def _float(data: dict[str, Any], key: str, optional: bool = False) -> Any:
    value = data.get(key) if optional else data[key]
    if value is None and optional:
        return None
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        raise ValueError(f"{key} {value!r} is not a number")
    return float(value)


def _int(data: dict[str, Any], key: str) -> int:
    value = data[key]
    _check(isinstance(value, int) and not isinstance(value, bool), f"{key} {value!r} is not an integer")
    return int(value)


def _bool(data: dict[str, Any], key: str) -> bool:
    value = data[key]
    _check(isinstance(value, bool), f"{key} {value!r} is not true or false")
    return bool(value)


def _str(data: dict[str, Any], key: str, default: Optional[str] = None) -> str:
    value = data[key] if default is None else data.get(key, default)
    _check(isinstance(value, str), f"{key} {value!r} is not text")
    return str(value)


def _list(data: dict[str, Any], key: str, default: Optional[list[Any]] = None) -> list[Any]:
    value = data[key] if default is None else data.get(key, default)
    _check(isinstance(value, list), f"{key} is not a list")
    return list(value)


def _stats(data: dict[str, Any], key: str) -> dict[str, float | str | None]:
    value = data.get(key) or {}
    _check(isinstance(value, dict) and all(v is None or isinstance(v, (int, float, str)) and not isinstance(v, bool)
                                           for v in value.values()), f"{key} statistics malformed")
    return {str(k): float(v) if isinstance(v, int) else v for k, v in dict(value).items()}


def _finite(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value
