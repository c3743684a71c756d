"""`opsbot drift` starts instantly: the command module is import-light and a run imports only what it uses."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[3]
HEAVY = ("numpy", "pyarrow", "pandas", "scipy", "pydantic", "yaml", "sklearn", "evidently")


def _modules_after(code: str) -> set[str]:
    out = subprocess.run([sys.executable, "-c", code + "\nimport sys, json; print(json.dumps(sorted(sys.modules)))"],
                         cwd=ROOT, capture_output=True, text=True, check=True)
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


def test_drift_command_module_imports_only_the_standard_library():
    loaded = _modules_after("import argparse\nfrom engine.drift.cli import add_drift_command\n"
                            "add_drift_command(argparse.ArgumentParser().add_subparsers())")
    assert not {m.split(".")[0] for m in loaded} & set(HEAVY)


def test_large_comparison_never_imports_pandas_or_scipy(tmp_path, frames):
    ref, cur = tmp_path / "ref.csv", tmp_path / "cur.csv"
    frames(2000, 0.0, seed=1).to_csv(ref, index=False)  # over 1000 reference rows: Wasserstein and Jensen-Shannon
    frames(2000, 0.5, seed=2).to_csv(cur, index=False)
    loaded = _modules_after(f"from engine.drift.cli import main\nmain(['drift', {str(ref)!r}, {str(cur)!r}])")
    assert "numpy" in loaded and "pyarrow.csv" in loaded  # it did run
    assert not {"pandas", "scipy", "yaml", "pyarrow.parquet"} & loaded
