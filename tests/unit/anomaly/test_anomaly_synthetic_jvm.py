"""Fourth held-out generator (JVM, database and queue style): NAB-shaped windows, irregular scrapes, seeded, NAB label format."""

import numpy as np

from engine.lab.anomaly.nab.corpus import window_indices
from engine.lab.anomaly.synthetic_jvm import CATEGORIES, make_corpus, nab_labels


def test_jvm_corpus_has_nab_shaped_windows_after_probation():
    files = make_corpus(files_per_category=2, seed=11)
    assert sorted({f.category for f in files}) == sorted(CATEGORIES) and len(files) == 12
    for f in files:
        n = len(f.values)
        assert len(f.timestamps) == n and np.all(np.isfinite(f.values)) and f.values.min() >= 0
        assert np.all(np.diff(f.timestamps.astype(np.int64)) > 0)
        starts, ends = [lo for lo, _ in f.windows], [hi for _, hi in f.windows]
        assert all(e < s for e, s in zip(ends, starts[1:]))  # ordered, never overlapping
        # Onsets (window centres) after 20%, so windows start about where NAB's probation ends.
        assert all(lo + hi >= 0.4 * n - 2 and lo >= 0.15 * n - 2 for lo, hi in f.windows)
        if f.windows:
            covered = sum(hi - lo + 1 for lo, hi in f.windows)
            assert abs(covered - 0.1 * n) <= 2 * len(f.windows) + 1
    assert any(not f.windows for f in files) and any(f.windows for f in files)
    # Scrape jitter makes the series irregular, as NAB's real files are.
    assert any(len(set(np.diff(f.timestamps.astype(np.int64)).tolist())) > 1 for f in files)


def test_labels_round_trip_through_nab_format():
    files = make_corpus(files_per_category=2, seed=5)
    labels = nab_labels(files)
    assert set(labels) == {f.name for f in files}
    for f in files:
        assert window_indices(f.timestamps, labels[f.name]) == f.windows


def test_jvm_corpus_is_seeded():
    a, b = make_corpus(2, seed=3), make_corpus(2, seed=3)
    assert all(np.array_equal(x.values, y.values) and x.windows == y.windows for x, y in zip(a, b))
    assert not np.array_equal(a[1].values, make_corpus(2, seed=4)[1].values)
