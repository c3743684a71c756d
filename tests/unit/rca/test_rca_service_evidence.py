"""Resource signals of a service gain its symptoms' scores; a caller's symptoms stay where they are."""

import numpy as np

from engine.rca.ranker import RankerConfig, rank, rank_services
from engine.rca.service_evidence import is_resource, resource_support
from engine.rca.types import RcaInput, Series


def test_resource_metrics_are_told_from_symptoms():
    assert is_resource("cpu") and is_resource("memory_rss") and is_resource("mem")
    assert not is_resource("latency") and not is_resource("errors")


def test_a_deviating_resource_gains_its_own_services_best_symptom_only():
    scores = {"db_cpu": 5.0, "db_latency": 8.0, "db_errors": 6.0, "api_latency": 12.0, "api_cpu": 1.0}
    devs = {"db_cpu": 6.0, "db_latency": 9.0, "api_latency": 13.0, "api_cpu": 1.2}
    out = resource_support(scores, devs, anomalous=3.0, weight=1.0)
    assert out["db_cpu"] == 5.0 + 8.0  # db's best symptom counts for db's CPU
    assert out["api_cpu"] == 1.0  # a still resource gains nothing: the caller's latency is not its evidence
    assert {k: out[k] for k in ("db_latency", "db_errors", "api_latency")} == {
        "db_latency": 8.0, "db_errors": 6.0, "api_latency": 12.0}


def _cpu_fault_seen_as_latency(seed: int):
    """db's CPU hog slows db; api calls db three times per request, so api's latency moves more."""
    rng = np.random.default_rng(seed)
    n = 400
    t = 1_700_000_000 + 60 * np.arange(n)
    cpu = 0.4 + rng.normal(0, 0.03, n)
    cpu[360:] += 0.12
    db_lat = 20 / (1 - np.minimum(cpu, 0.95)) + rng.normal(0, 1.0, n)
    api_lat = 10 + 3 * db_lat + rng.normal(0, 1.5, n)
    series = {"db_cpu": Series(t, cpu), "db_latency": Series(t, db_lat), "db_errors": Series(t, rng.normal(1, 0.1, n)),
              "api_cpu": Series(t, 0.3 + rng.normal(0, 0.03, n)), "api_latency": Series(t, api_lat),
              "api_errors": Series(t, rng.normal(1, 0.1, n))}
    return RcaInput(series, float(t[360]))


def test_cpu_fault_that_surfaces_as_latency_names_its_service():
    for seed in range(3):
        inp = _cpu_fault_seen_as_latency(seed)
        assert rank_services(rank(inp))[0][0] == "db"
        assert rank(inp)[0].name == "db_cpu"
        assert rank(inp, RankerConfig(resource_weight=0.0, resource_led=False))[0].name != "db_cpu"


def _retry_storm(seed: int):
    """db's latency doubles; api retries slow calls, so api's latency moves by more sigmas, less in ratio."""
    rng = np.random.default_rng(seed)
    n = 400
    t = 1_700_000_000 + 60 * np.arange(n)
    db = 20 * np.exp(rng.normal(0, 0.08, n))
    db[360:] *= 2.0
    attempts = 1 + 2 / (1 + np.exp(-(db - 32) / 2))  # retries past a 32 ms timeout
    api = (300 + 3 * db * attempts) * np.exp(rng.normal(0, 0.01, n))
    series = {"db_latency": Series(t, db), "api_latency": Series(t, api),
              "db_cpu": Series(t, 0.3 + rng.normal(0, 0.02, n)), "api_cpu": Series(t, 0.3 + rng.normal(0, 0.02, n))}
    return RcaInput(series, float(t[360]))


def test_callee_latency_with_the_larger_relative_rise_outranks_the_amplified_caller():
    wins = [rank(_retry_storm(seed))[0].name == "db_latency" for seed in range(4)]
    assert all(wins)
    plain = [rank(_retry_storm(seed), RankerConfig(amplification=False))[0].name == "db_latency" for seed in range(4)]
    assert not all(plain)


def test_relative_rise_leaves_signed_series_alone():
    from engine.rca.service_evidence import amplification_order, relative_rise

    values = np.array([[1.0, -0.5], [1.1, 0.4], [0.9, 0.1], [2.0, 3.0], [2.2, 3.1], [2.1, 2.9]])
    base = np.array([True, True, True, False, False, False])
    rise = relative_rise(values, base, ~base)
    assert rise[0] == 2.0 / 1.0 - 1.0 and np.isnan(rise[1])
    scores = {"a_latency": 4.0, "b_latency": 9.0, "c_errors": 20.0}
    swapped = amplification_order(scores, {"a_latency": 1.0, "b_latency": 0.3}, {}, 60.0)
    assert swapped == {"a_latency": 9.0, "b_latency": 4.0, "c_errors": 20.0}
    # A larger rise that started later than the other's onset does not take the larger score.
    late = amplification_order(scores, {"a_latency": 1.0, "b_latency": 0.3}, {"a_latency": 300.0, "b_latency": 0.0}, 60.0)
    assert late == scores


def test_a_callers_errors_with_the_smaller_absolute_rise_yield_to_the_callees():
    from engine.rca.service_evidence import error_order

    # api's error rate went 0.001 -> 0.03 (huge z on a quiet baseline), db's 0.005 -> 0.30
    scores = {"api_errors": 300.0, "db_errors": 40.0, "db_cpu": 2.0}
    rise = {"api_errors": 0.029, "db_errors": 0.295}
    out = error_order(scores, rise, {"api_errors": 60.0, "db_errors": 60.0}, step=60.0)
    assert out["db_errors"] == 300.0 and out["api_errors"] == 40.0 and out["db_cpu"] == 2.0
    # an error signal that started well after the other keeps the lower score whatever its rise
    late = error_order(scores, rise, {"api_errors": 0.0, "db_errors": 600.0}, step=60.0)
    assert late["api_errors"] == 300.0


def test_a_resource_that_moved_with_its_own_symptoms_leads_every_symptom_that_did_not_start_before_it():
    from engine.rca.service_evidence import resource_led

    scores = {"db_cpu": 10.0, "db_latency": 50.0, "api_errors": 400.0, "web_cpu": 5.0, "old_errors": 900.0}
    devs = {"db_cpu": 8.0, "db_latency": 40.0, "api_errors": 300.0, "web_cpu": 4.0, "old_errors": 500.0}
    onsets = {"db_cpu": 600.0, "db_latency": 600.0, "api_errors": 660.0, "web_cpu": 600.0, "old_errors": 0.0}
    out = resource_led(scores, devs, onsets, anomalous=3.0, step=60.0)
    assert out["db_cpu"] > 400.0  # db's CPU explains db's latency and api's later errors
    assert out["db_cpu"] < 900.0  # but not a symptom that started ten steps before it
    assert out["web_cpu"] == 5.0  # web's own symptoms stayed still: its CPU wiggle explains nothing


def test_resource_support_ignores_symptoms_that_started_before_the_resource():
    scores = {"db_mem": 2.0, "db_errors": 30.0}
    devs = {"db_mem": 5.0, "db_errors": 40.0}
    assert resource_support(scores, devs, 3.0, 1.0, {"db_mem": 600.0, "db_errors": 0.0}, 60.0)["db_mem"] == 2.0
    assert resource_support(scores, devs, 3.0, 1.0, {"db_mem": 600.0, "db_errors": 600.0}, 60.0)["db_mem"] == 32.0


def test_strong_symptoms_are_ordered_by_onset_and_weak_early_ones_are_not():
    from engine.rca.service_evidence import onset_first

    scores = {"api_errors": 100.0, "db_latency": 60.0, "cache_latency": 5.0, "db_cpu": 80.0}
    onsets = {"api_errors": 120.0, "db_latency": 60.0, "cache_latency": 0.0, "db_cpu": 0.0}
    out = onset_first(scores, onsets, step=60.0)
    assert out["db_latency"] == 100.0 and out["api_errors"] == 60.0
    assert out["cache_latency"] == 5.0  # under a quarter of the top: too weak to lead by onset
    assert out["db_cpu"] == 80.0  # resources are left to resource_led


def test_a_caller_that_slowed_and_failed_stays_under_the_leading_latency():
    from engine.rca.service_evidence import timeouts_below_leader

    scores = {"db_latency": 50.0, "api_latency": 20.0, "api_errors": 300.0, "db_errors": 200.0}
    rise = {"db_latency": 3.0, "api_latency": 0.8}
    onsets = {n: 600.0 for n in scores}
    out = timeouts_below_leader(scores, rise, onsets, step=60.0)
    assert out["api_errors"] < out["db_latency"] == 50.0
    assert out["db_errors"] == 200.0  # the leader's own errors are its own evidence


def test_the_timeouts_leader_is_a_latency_that_did_not_start_later():
    from engine.rca.service_evidence import timeouts_below_leader

    # web's latency rose most for its level but started ten steps after db's: a storm's late
    # symptom; db leads, so api's timeouts stay under db's latency.
    scores = {"db_latency": 50.0, "api_latency": 20.0, "web_latency": 30.0, "api_errors": 300.0}
    rise = {"db_latency": 3.0, "api_latency": 0.8, "web_latency": 9.0}
    onsets = {"db_latency": 600.0, "api_latency": 660.0, "web_latency": 1200.0, "api_errors": 660.0}
    out = timeouts_below_leader(scores, rise, onsets, step=60.0)
    assert out["api_errors"] < out["db_latency"] == 50.0


def test_a_metric_type_that_mostly_spikes_is_heavy_tailed_as_a_whole():
    from engine.rca.signals import heavy_tailed

    base = np.zeros((100, 5))
    base[10, 0] = base[20, 1] = 9.0  # two of three errors signals spiked in their baseline
    names = ["a_errors", "b_errors", "c_errors", "a_latency", "b_latency"]
    assert heavy_tailed(names, base) == {"a_errors", "b_errors", "c_errors"}
    base[30, 3] = 9.0  # one latency of two: too few of its kind to pool, only itself
    assert heavy_tailed(names, base) == {"a_errors", "b_errors", "c_errors", "a_latency"}


def test_one_row_spikes_drop_out_and_excursions_start_where_the_run_starts():
    from engine.rca.signals import excursion_start, sustained

    z = np.array([0.0, 9.0, 0.0, 0.5, 2.5, 6.0, 7.0, 1.0])
    held = sustained(z, 2)
    assert held[1] == 0.0 and held[5] == 6.0 and float(held.max()) == 6.0
    assert excursion_start(z, 6, 0) == 4
    assert excursion_start(-z, 6, 5) == 5  # never before the first row searched


def test_a_resource_that_started_after_the_first_symptom_is_late():
    from engine.rca.service_evidence import late_resources

    devs = {"db_latency": 20.0, "api_mem": 6.0, "db_cpu": 5.0, "web_cpu": 4.0, "api_errors": 2.0}
    onsets = {"db_latency": 600.0, "api_mem": 900.0, "db_cpu": 600.0, "web_cpu": 660.0, "api_errors": 0.0}
    # api_errors is below the anomalous line: its early onset does not set the first symptom.
    assert late_resources(devs, onsets, anomalous=3.0, step=60.0, slack_steps=1) == {"api_mem"}
    assert late_resources(devs, onsets, anomalous=3.0, step=60.0, slack_steps=0) == {"api_mem", "web_cpu"}
    assert late_resources({"db_cpu": 5.0}, {"db_cpu": 600.0}, 3.0, 60.0, 1) == set()  # no symptom moved


def _caller_gc_after_a_slow_callee(seed: int):
    """db's latency doubles; five minutes later api's memory and errors climb (GC under the slower calls)."""
    rng = np.random.default_rng(seed)
    n = 400
    t = 1_700_000_000 + 60 * np.arange(n)
    db = 20 * np.exp(rng.normal(0, 0.08, n))
    db[360:] *= 2.0
    api = (300 + 3 * db) * np.exp(rng.normal(0, 0.01, n))
    mem = 500 + rng.normal(0, 5, n)
    mem[366:] += 60
    err = np.abs(0.01 + rng.normal(0, 0.001, n))
    err[366:] += 0.05
    series = {"db_latency": Series(t, db), "api_latency": Series(t, api), "api_mem": Series(t, mem),
              "api_errors": Series(t, err), "db_cpu": Series(t, 0.3 + rng.normal(0, 0.02, n)),
              "db_errors": Series(t, np.abs(0.01 + rng.normal(0, 0.001, n)))}
    return RcaInput(series, float(t[366]))


def test_a_callers_resource_that_moved_after_the_callee_slowed_does_not_take_the_blame():
    for seed in range(3):
        inp = _caller_gc_after_a_slow_callee(seed)
        assert rank_services(rank(inp))[0][0] == "db"
        # Without the onset gate the caller's late memory, backed by its own errors, wins.
        assert rank_services(rank(inp, RankerConfig(late_resource_steps=-1)))[0][0] == "api"


def test_of_the_latencies_that_rose_by_a_large_fraction_the_fewest_added_milliseconds_win():
    from engine.rca.service_evidence import amplification_order

    # db 20 -> 60 ms (+200 %, +40 ms); api calls db twice with retries: 100 -> 400 ms (+300 %, +300 ms);
    # cache barely moved (+10 %, +1 ms: noise or load), so it is not a candidate callee.
    scores = {"api_latency": 30.0, "db_latency": 10.0, "cache_latency": 3.0}
    rel = {"api_latency": 3.0, "db_latency": 2.0, "cache_latency": 0.1}
    ms = {"api_latency": 300.0, "db_latency": 40.0, "cache_latency": 1.0}
    by_fraction = amplification_order(scores, rel, {}, 60.0)
    assert by_fraction["api_latency"] == 30.0  # the relative rise alone keeps the amplified caller on top
    out = amplification_order(scores, rel, {}, 60.0, ms)
    assert out == {"db_latency": 30.0, "api_latency": 10.0, "cache_latency": 3.0}
    # a callee candidate that started clearly later than the others does not lead
    late = amplification_order(scores, rel, {"api_latency": 0.0, "db_latency": 600.0}, 60.0, ms)
    assert late["api_latency"] == 30.0


def _slowdown_after_an_early_drop(seed: int):
    """db's latency triples; ten minutes earlier cache's latency fell (less traffic reached it)."""
    rng = np.random.default_rng(seed)
    n = 400
    t = 1_700_000_000 + 60 * np.arange(n)
    db = 20 * np.exp(rng.normal(0, 0.05, n))
    db[360:] *= 3.0
    cache = 5 * np.exp(rng.normal(0, 0.02, n))
    cache[350:] *= 0.5
    series = {"db_latency": Series(t, db), "cache_latency": Series(t, cache),
              "db_cpu": Series(t, 0.3 + rng.normal(0, 0.02, n)), "cache_cpu": Series(t, 0.3 + rng.normal(0, 0.02, n))}
    return RcaInput(series, float(t[360]))


def test_a_latency_that_fell_earlier_is_not_ordered_ahead_of_the_slowdown_by_onset():
    for seed in range(3):
        assert rank_services(rank(_slowdown_after_an_early_drop(seed)))[0][0] == "db"


def _callee_slowdown_with_a_caller_moving_early(seed: int, early: int):
    """db's latency doubles at row 360; its caller api adds db's time to its own and drifted up ``early`` rows before."""
    rng = np.random.default_rng(seed)
    n = 400
    t = 1_700_000_000 + 60 * np.arange(n)
    db = 20 * np.ones(n)
    db[360:] *= 2.0
    api = 200 + db
    api[360 - early:360] += 12  # a run of its own (load, noise) that merges into the incident
    api = api * np.exp(rng.normal(0, 0.01, n))
    db = db * np.exp(rng.normal(0, 0.05, n))
    series = {"db_latency": Series(t, db), "api_latency": Series(t, api),
              "db_cpu": Series(t, 0.3 + rng.normal(0, 0.02, n)), "api_cpu": Series(t, 0.3 + rng.normal(0, 0.02, n))}
    return RcaInput(series, float(t[360]))


def test_a_caller_that_rose_by_a_small_fraction_a_step_early_does_not_jump_its_callee():
    old = RankerConfig(onset_rise_gate=False)
    for seed in range(3):
        case = _callee_slowdown_with_a_caller_moving_early(seed, 1)
        assert rank_services(rank(case))[0][0] == "db"
        assert rank_services(rank(case, old))[0][0] == "api"  # what onset order alone did





def _retry_amplified_caller_after_an_early_callee(seed: int):
    """db's latency triples at row 356; api sees it from row 360 (a queue's lag), retrying: elevenfold."""
    rng = np.random.default_rng(seed)
    n = 400
    t = 1_700_000_000 + 60 * np.arange(n)
    db = 20 * np.ones(n)
    db[356:] *= 3.0
    api = np.full(n, 30.0)
    api[360:] = 10 + 6 * db[360:]
    series = {"db_latency": Series(t, db * np.exp(rng.normal(0, 0.05, n))),
              "api_latency": Series(t, api * np.exp(rng.normal(0, 0.02, n))),
              "db_cpu": Series(t, 0.3 + rng.normal(0, 0.02, n)), "api_cpu": Series(t, 0.3 + rng.normal(0, 0.02, n))}
    return RcaInput(series, float(t[360]))


def test_a_callee_that_started_clearly_earlier_keeps_its_onset_lead_over_a_caller_that_rose_more():
    for seed in range(3):
        assert rank_services(rank(_retry_amplified_caller_after_an_early_callee(seed)))[0][0] == "db"
