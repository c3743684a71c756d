"""Scoring of a grouping: pairwise precision/recall/F1 and adjusted Rand index."""

from __future__ import annotations

import pytest

from engine.lab.alerts.evaluate import adjusted_rand, pairwise, read_stream


def test_pairwise_perfect_and_merged():
    assert pairwise([1, 1, 2], ["a", "a", "b"]) == (1.0, 1.0, 1.0)
    p, r, f = pairwise([1, 1, 1], ["a", "a", "b"])
    assert (p, r) == (pytest.approx(1 / 3), 1.0) and f == pytest.approx(0.5)


def test_adjusted_rand_known_values():
    # Values from the definition (Hubert & Arabie 1985), as scikit-learn computes them.
    assert adjusted_rand([0, 0, 1, 1], [0, 0, 1, 1]) == 1.0
    assert adjusted_rand([0, 0, 1, 1], [1, 1, 0, 0]) == 1.0
    assert adjusted_rand([0, 0, 1, 2], [0, 0, 1, 1]) == pytest.approx(0.5714285714)
    assert adjusted_rand([0, 0, 0, 0], [0, 1, 2, 3]) == 0.0


def test_read_stream_accepts_header_and_bare_bodies():
    head, rows = read_stream(['{"kind": "storm", "alerts_config": {}}', '',
                              '{"version": "4", "alerts": []}', '{"at": "2026-11-27T00:00:00Z", "source": "generic", "body": {}}'])
    assert head["kind"] == "storm" and rows[0]["source"] == "alertmanager" and len(rows) == 2
