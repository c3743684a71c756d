"""Drift options and the DriftReport result (pure data, JSON-serialisable)."""

from __future__ import annotations

from typing import Literal, Optional

from pydantic import BaseModel, ConfigDict, Field

Method = Literal["ks", "chisquare", "z", "wasserstein", "jensenshannon", "psi"]
Kind = Literal["numerical", "categorical", "text", "unknown"]  # the last two only from Evidently reports

# Direction of each score: p-values drift when small, distances when large.
P_VALUE_METHODS = frozenset({"ks", "chisquare", "z"})
DEFAULT_THRESHOLDS: dict[str, float] = {
    "ks": 0.05, "chisquare": 0.05, "z": 0.05, "wasserstein": 0.1, "jensenshannon": 0.1, "psi": 0.1,
}
METHOD_LABELS: dict[str, str] = {
    "ks": "KS p", "chisquare": "chi-square p", "z": "z-test p", "wasserstein": "Wasserstein",
    "jensenshannon": "Jensen-Shannon", "psi": "PSI",
}


class DriftOptions(BaseModel):
    """How to compare: Evidently DataDriftPreset defaults unless overridden."""

    model_config = ConfigDict(extra="forbid")

    drift_share: float = Field(0.5, gt=0, le=1, description="dataset drifts when this share of features drift")
    method: Optional[Method] = None
    num_method: Optional[Method] = None
    cat_method: Optional[Method] = None
    per_column_method: dict[str, Method] = Field(default_factory=dict)
    threshold: Optional[float] = None
    num_threshold: Optional[float] = None
    cat_threshold: Optional[float] = None
    per_column_threshold: dict[str, float] = Field(default_factory=dict)
    columns: Optional[list[str]] = None
    exclude: list[str] = Field(default_factory=list)
    numerical: list[str] = Field(default_factory=list, description="force these columns numerical")
    categorical: list[str] = Field(default_factory=list, description="force these columns categorical")
    exact_limit: int = Field(5_000_000, ge=10_000, description="values per column kept exactly before sketching")
    missing_rate_change: float = Field(0.05, ge=0, description="flag a missing-rate change at least this large")
    out_of_range_share: float = Field(0.01, ge=0, description="flag current values outside the reference range")
    category_share: float = Field(0.01, ge=0, description="flag new or vanished categories above this share")

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


class FeatureDrift(BaseModel):
    """One feature's verdict and the plain sentence that explains it."""

    name: str
    kind: Kind
    method: str
    score: float
    threshold: float
    drifted: bool
    effect: Optional[float] = Field(None, description="size of the change used for ranking (normed Wasserstein "
                                    "for numbers, Jensen-Shannon for categories)")
    description: str = ""
    reference: dict[str, float | str | None] = Field(default_factory=dict)
    current: dict[str, float | str | None] = Field(default_factory=dict)


class QualityFinding(BaseModel):
    """A data-quality observation beside drift (missing values, categories, range, schema)."""

    kind: Literal["missing_rate", "new_categories", "vanished_categories", "out_of_range",
                  "column_added", "column_removed", "type_changed", "not_tested"]
    column: str
    message: str
    value: Optional[float] = None


class SideInfo(BaseModel):
    """Which data a side came from."""

    name: str
    rows: Optional[int] = None


class DriftReport(BaseModel):
    """The result of one comparison, whether computed here or read from an Evidently report."""

    reference: SideInfo
    current: SideInfo
    dataset_drift: bool
    drift_share: float
    share_drifted: float
    n_features: int
    n_drifted: int
    features: list[FeatureDrift]
    quality: list[QualityFinding] = Field(default_factory=list)
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

    def to_json(self, **kw) -> str:
        """Serialise to JSON."""
        return self.model_dump_json(**kw)


def is_drifted(method: str, score: float, threshold: float) -> bool:
    """Return the verdict with Evidently's comparison for the method (KS uses <=)."""
    if method == "ks":
        return score <= threshold
    if method in P_VALUE_METHODS:
        return score < threshold
    return score >= threshold
