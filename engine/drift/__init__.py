"""Data drift: compare a reference and a current dataset the way Evidently's defaults do."""

from engine.drift.service import compare, compare_async
from engine.drift.sources import FileSource, SqlSource, TableSource, Window
from engine.drift.types import DriftOptions, DriftReport, FeatureDrift, QualityFinding

__all__ = ["compare", "compare_async", "DriftOptions", "DriftReport", "FeatureDrift", "QualityFinding",
           "FileSource", "SqlSource", "TableSource", "Window"]
