"""Simulator: determinism, shape, single sink, case folder contents."""

import json

import numpy as np
import pytest

from engine.lab.rca.simulate import SLI, generate_dag, simulate, write_suite


def test_same_seed_same_cases_and_different_seed_differs():
    a, b, c = simulate(10, 3, seed=5), simulate(10, 3, seed=5), simulate(10, 3, seed=6)
    assert all(np.array_equal(x.data, y.data) and x.causes == y.causes for x, y in zip(a, b))
    assert not np.array_equal(a[0].data, c[0].data)


def test_shape_standardised_normal_part_and_abnormal_tail():
    case = simulate(10, 1, seed=1)[0]
    assert case.data.shape == (1450, 10)
    normal = case.data[:1440]
    assert np.allclose(normal.mean(axis=0), 0, atol=0.01) and np.allclose(normal.std(axis=0), 1, atol=0.01)
    assert 1 <= len(case.causes) <= 10
    # The injected fault must leave a mark: some root cause leaves its 3-sigma band.
    assert max(abs(case.data[1440:1442, c]).max() for c in case.causes) > 1.0


def test_dag_has_single_sink_and_is_acyclic():
    m = generate_dag(12, 24, np.random.default_rng(0))
    assert np.count_nonzero(m) == 24
    assert not m[:, SLI].any()  # the SLI causes nothing
    assert not np.tril(m).any()  # causes always have a higher index: no cycle possible
    assert all(m[:j, j].any() for j in range(1, 12))  # every other node has an effect


def test_written_case_folder(tmp_path):
    (path,) = write_suite(tmp_path, num_nodes=5, num_cases=1, seed=3)
    header = (path / "data.csv").read_text().splitlines()[0].split(",")
    assert header == ["time", "n00_latency", "n01_errors", "n02_cpu", "n03_mem", "n04_latency"]
    rows = (path / "data.csv").read_text().splitlines()[1:]
    assert len(rows) == 1450 and int(rows[1].split(",")[0]) - int(rows[0].split(",")[0]) == 60
    inject = int((path / "inject_time.txt").read_text())
    assert inject == int(rows[1440].split(",")[0])
    roots = (path / "root_cause.txt").read_text().split()
    assert roots and all(r in header for r in roots)
    graph = json.loads((path / "graph.json").read_text())
    assert graph["n04"] == [] and "n00" in graph


def test_root_cause_file_follows_circa_info_order(tmp_path):
    cases = simulate(10, 30, seed=4)
    k = next(i for i, c in enumerate(cases) if len(c.causes) > 1)
    paths = write_suite(tmp_path, num_nodes=10, num_cases=k + 1, seed=4)
    names = cases[k].column_names()
    lines = (paths[k] / "root_cause.txt").read_text().split()
    assert lines == [names[c] for c in list(set(cases[k].causes))]


def test_alternative_generator_has_three_metrics_per_service_and_a_visible_fault():
    from engine.lab.rca.simulate_alt import simulate_alt

    (case,) = simulate_alt(4, 1, seed=3)
    assert case.data.shape == (1450, 12)
    assert case.column_names()[:3] == ["s00_latency", "s00_errors", "s00_cpu"]
    assert all(c % 3 in (0, 2) for c in case.causes)  # latency or cpu faults
    assert np.abs(case.data[1440:, 0::3]).max() > 3.0  # some latency leaves its band


def test_alternative_generator_with_linear_links_is_linear_and_still_visible():
    from engine.lab.rca.simulate_alt import simulate_alt

    (case,) = simulate_alt(4, 1, seed=3, links="linear")
    assert case.data.shape == (1450, 12)
    assert np.abs(case.data[1440:, 0::3]).max() > 3.0
    # errors = 0.5 latency + small noise: the two are almost collinear, unlike the
    # thresholded errors of the non-linear links.
    normal = case.data[:1440]
    assert np.corrcoef(normal[:, 0], normal[:, 1])[0, 1] > 0.9
    with pytest.raises(ValueError):
        simulate_alt(4, 1, seed=3, links="cubic")


def test_fault_style_cases_are_raw_typed_and_reproducible():
    from engine.lab.rca.simulate_faults import FAULTS, simulate_faults

    cases = simulate_faults(5, 4, seed=3)
    assert [c.fault for c in cases] == list(FAULTS)
    for c in cases:
        assert c.data.shape == (500, 20) and c.names[:4] == ["svc00_latency", "svc00_errors", "svc00_cpu", "svc00_mem"]
        assert c.answer in c.names and c.answer.endswith("_" + c.fault)
        assert (c.data >= 0).all()  # raw units: ms, fractions, cores, MiB
    again = simulate_faults(5, 4, seed=3)
    assert all(np.array_equal(a.data, b.data) for a, b in zip(cases, again))
