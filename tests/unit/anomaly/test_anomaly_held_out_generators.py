"""The third to sixth held-out generators (hosts; JVM, database and queues; cloud monitoring; Kubernetes): NAB-shaped windows,
irregular scrapes, seeded, NAB label format."""

import numpy as np
import pytest

from engine.lab.anomaly import synthetic_cloud, synthetic_hosts, synthetic_jvm, synthetic_k8s
from engine.lab.anomaly.nab.corpus import window_indices

GENERATORS = pytest.mark.parametrize("gen", [synthetic_hosts, synthetic_jvm, synthetic_cloud, synthetic_k8s],
                                     ids=["hosts", "jvm", "cloud", "k8s"])


@GENERATORS
def test_corpus_has_nab_shaped_windows_after_probation(gen):
    files = gen.make_corpus(files_per_category=2, seed=11)
    assert sorted({f.category for f in files}) == sorted(gen.CATEGORIES) and len(files) == 2 * len(gen.CATEGORIES)
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
    # Scrape gaps, jitter and job runs make some series irregular, as NAB's real files are.
    assert any(len(set(np.diff(f.timestamps.astype(np.int64)).tolist())) > 1 for f in files)


@GENERATORS
def test_labels_round_trip_through_nab_format(gen):
    files = gen.make_corpus(files_per_category=2, seed=5)
    labels = gen.nab_labels(files)
    assert set(labels) == {f.name for f in files}
    for f in files:
        assert window_indices(f.timestamps, labels[f.name]) == f.windows


@GENERATORS
def test_corpus_is_seeded(gen):
    a, b = gen.make_corpus(2, seed=3), gen.make_corpus(2, seed=3)
    assert all(np.array_equal(x.values, y.values) and x.windows == y.windows for x, y in zip(a, b))
    assert not np.array_equal(a[1].values, gen.make_corpus(2, seed=4)[1].values)
