"""Held-out server-metric generator: NAB-shaped windows, seeded, every category present."""

import numpy as np

from engine.lab.anomaly.synthetic_metrics import CATEGORIES, ROWS, make_corpus


def test_corpus_has_nab_shaped_windows_after_probation():
    files = make_corpus(files_per_category=4, seed=7)
    assert sorted({f.category for f in files}) == sorted(CATEGORIES) and len(files) == 16
    for f in files:
        assert len(f.values) == len(f.timestamps) == ROWS and np.all(np.isfinite(f.values))
        ends = [hi for _, hi in f.windows]
        starts = [lo for lo, _ in f.windows]
        assert all(e < s for e, s in zip(ends, starts[1:]))  # ordered, never overlapping
        assert all(lo > 0.15 * ROWS for lo in starts)  # after NAB's probation
        if f.windows:
            covered = sum(hi - lo + 1 for lo, hi in f.windows)
            assert abs(covered - 0.1 * ROWS) <= 2 * len(f.windows)
    assert any(not f.windows for f in files) and any(len(f.windows) > 1 for f in files)


def test_corpus_is_seeded():
    a, b = make_corpus(2, seed=3), make_corpus(2, seed=3)
    assert all(np.array_equal(x.values, y.values) and x.windows == y.windows for x, y in zip(a, b))
    assert not np.array_equal(a[1].values, make_corpus(2, seed=4)[1].values)
