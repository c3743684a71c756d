"""Second held-out generator (fleet style): NAB-shaped windows, seeded, every category present."""

import numpy as np

from engine.lab.anomaly.synthetic_fleet import CATEGORIES, make_corpus


def test_fleet_corpus_has_nab_shaped_windows_after_probation():
    files = make_corpus(files_per_category=3, seed=11)
    assert sorted({f.category for f in files}) == sorted(CATEGORIES) and len(files) == 15
    for f in files:
        n = len(f.values)
        assert len(f.timestamps) == n and np.all(np.isfinite(f.values))
        assert np.all(np.diff(f.timestamps.astype(np.int64)) > 0)
        starts, ends = [lo for lo, _ in f.windows], [hi for _, hi in f.windows]
        assert all(e < s for e, s in zip(ends, starts[1:]))  # ordered, never overlapping
        assert all(lo > 0.15 * n for lo in starts)  # after NAB's probation
        if f.windows:
            covered = sum(hi - lo + 1 for lo, hi in f.windows)
            assert abs(covered - 0.1 * n) <= 2 * len(f.windows) + 1
    assert any(not f.windows for f in files) and any(len(f.windows) > 1 for f in files)


def test_fleet_corpus_is_seeded():
    a, b = make_corpus(2, seed=3), make_corpus(2, seed=3)
    assert all(np.array_equal(x.values, y.values) and x.windows == y.windows for x, y in zip(a, b))
    assert not np.array_equal(a[1].values, make_corpus(2, seed=4)[1].values)
