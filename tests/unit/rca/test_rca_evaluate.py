"""Accuracy metrics on hand-made rankings, and the random floor."""

import numpy as np
import pytest

from engine.lab.rca.evaluate import Scores, ac_at_k, random_ac_at_k, service_ranking


def test_ac_at_k_single_cause():
    ranked = ["b_cpu", "a_mem", "c_latency"]
    assert ac_at_k(ranked, {"a_mem"}, 1) == 0.0
    assert ac_at_k(ranked, {"a_mem"}, 2) == 1.0
    assert ac_at_k(ranked, {"z_cpu"}, 5) == 0.0


def test_ac_at_k_multi_cause_divides_by_min_k_and_truth():
    ranked = ["a", "x", "b", "y"]
    truth = {"a", "b"}
    assert ac_at_k(ranked, truth, 1) == 1.0  # one slot, one of the causes in it
    assert ac_at_k(ranked, truth, 2) == 0.5
    assert ac_at_k(ranked, truth, 3) == 1.0


def test_avg5_summary_of_hand_made_cases():
    s = Scores()
    s.add(["a", "b", "c"], {"a"}, 3)  # AC@1..5 = 1
    s.add(["b", "c", "a"], {"a"}, 3)  # AC@1,2 = 0, AC@3.. = 1
    out = s.summary()
    assert out["AC@1"] == 0.5 and out["AC@3"] == 1.0
    assert out["Avg@5"] == pytest.approx((1 + 0.6) / 2)


def test_random_floor_matches_permutations():
    rng = np.random.default_rng(0)
    names, truth = list("abcdefghij"), {"c", "h"}
    sims = [np.mean([ac_at_k([names[i] for i in rng.permutation(10)], truth, k) for _ in range(4000)])
            for k in (1, 3)]
    assert sims[0] == pytest.approx(random_ac_at_k(10, 2, 1), abs=0.02)
    assert sims[1] == pytest.approx(random_ac_at_k(10, 2, 3), abs=0.02)
    assert random_ac_at_k(3, 1, 5) == 1.0


def test_service_ranking_keeps_best_position():
    assert service_ranking(["db_cpu", "web_latency", "db_mem", "api_errors"]) == ["db", "web", "api"]


def test_first_answer_scoring_reads_only_the_first_root_cause(tmp_path):
    from engine.lab.rca.cases import Case
    from engine.lab.rca.evaluate import evaluate
    from engine.rca.types import Series

    t = np.arange(20.0)
    series = {n: Series(t, np.arange(20.0)) for n in ("a_x", "b_x", "c_x")}
    case = Case("c", tmp_path, 10.0, series, ("b_x", "a_x"), None)
    ranker = lambda inp: ["a_x", "c_x", "b_x"]  # noqa: E731 - one fixed ranking
    every = evaluate([case], {"r": ranker})["r"]["service"]
    first = evaluate([case], {"r": ranker}, answers="first")["r"]["service"]
    assert every["AC@1"] == 1.0  # a is a true cause
    assert first["AC@1"] == 0.0 and first["AC@3"] == 1.0  # only b counts, found third
    assert first["random_AC@1"] == pytest.approx(1 / 3)
