"""Data drift: compare a reference and a current dataset the way Evidently's defaults do."""

from __future__ import annotations

import importlib
from typing import Any

# Names resolve on first use (PEP 562): importing the package for its config or tables must not
# pull in pandas and scipy, which would add seconds to every `opsbot` start.
_EXPORTS = {
    "compare": "engine.drift.service", "compare_async": "engine.drift.service",
    "FileSource": "engine.drift.sources", "SqlSource": "engine.drift.sources",
    "TableSource": "engine.drift.sources", "Window": "engine.drift.sources",
    "DriftOptions": "engine.drift.types", "DriftReport": "engine.drift.types",
    "FeatureDrift": "engine.drift.types", "QualityFinding": "engine.drift.types",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    """Import an exported name's module when the name is first used."""
    if name not in _EXPORTS:
        raise AttributeError(f"module 'engine.drift' has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)
