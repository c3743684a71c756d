"""A storm is its style and seed: the same alerts in every process, whatever Python's string hashing.

Sets iterate in hash order, which changes per process; a generator that draws while iterating one
would give each bench run different storms (and a held-out figure no one could reproduce).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
SCRIPT = """
import hashlib, importlib
from engine.lab.alerts.family_train import TRAIN_STYLES, train_storm
fns = [lambda s, st=st: train_storm(st, s) for st in TRAIN_STYLES]
for mod, fn in [("family_holdout", "holdout_storm")] + [(f"family_holdout{i}", f"holdout{i}_storm") for i in range(2, 12)]:
    fns.append(getattr(importlib.import_module("engine.lab.alerts." + mod), fn))
h = hashlib.sha256()
for f in fns:
    for seed in (0, 1):
        h.update(repr(sorted(repr(a) for a in f(seed).alerts)).encode())
print(h.hexdigest())
"""


def _digest(hash_seed: str) -> str:
    env = {"PYTHONHASHSEED": hash_seed, "PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", SCRIPT], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def test_every_style_gives_the_same_storms_under_any_string_hashing():
    assert _digest("1") == _digest("2")
