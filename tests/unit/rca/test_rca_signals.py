"""The anomaly episode: where it starts when the data place it, and when they cannot."""

from __future__ import annotations

import numpy as np

from engine.rca.grid import Grid
from engine.rca.signals import analyse

STEP = 60.0
ROWS = 1450
FAULT = 1440  # first faulty row


def _grid(values: np.ndarray) -> Grid:
    times = 1_700_000_000 + STEP * np.arange(values.shape[0])
    return Grid(times, [f"s{i}_m" for i in range(values.shape[1])], values)


def _start_row(grid: Grid, detect_row: int) -> int:
    ep = analyse(grid, float(grid.times[detect_row]))
    return int(np.flatnonzero(ep.episode_rows)[0])


def _noise(seed: int, columns: int = 4) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((ROWS, columns))


def test_a_fault_beyond_every_baseline_row_opens_the_episode():
    x = _noise(1)
    x[FAULT:FAULT + 2, 0] += 12.0
    x[FAULT:FAULT + 2, 1] += 9.0
    # Detected three steps late: the data, not the detection, place the start.
    assert _start_row(_grid(x), FAULT + 3) == FAULT - 1  # one guard row before the change


def test_a_weak_fault_is_not_preempted_by_an_older_noise_spike():
    # A heavy-tailed metric: its baseline already spikes hard, so nothing in the search
    # window beats the baseline's worst row and the window's peak is an old spike.
    x = _noise(2)
    x[::97, 3] += 60.0  # spikes through the baseline
    x[1250, 3] += 58.0  # an old spike inside the search window, hours before the fault
    x[FAULT:, 0] += 2.5  # a sustained but weak step at the detection
    start = _start_row(_grid(x), FAULT)
    assert FAULT - 10 <= start <= FAULT  # anchored at the detection, not at row 1250


def test_a_weak_fault_just_before_a_late_detection_stays_in_the_episode():
    x = _noise(3)
    x[::97, 3] += 60.0
    x[FAULT:FAULT + 2, :3] += 3.5  # short fault, below the baseline's worst row in energy
    start = _start_row(_grid(x), FAULT + 3)
    assert start <= FAULT  # the strongest recent row is the fault, before the detection
    assert start >= FAULT - 10


def test_near_the_detection_a_broad_weak_fault_beats_a_single_loud_spike():
    x = _noise(4)
    x[::97, 3] += 60.0
    x[FAULT - 5, 3] += 55.0  # one signal, far out, five steps before the detection
    x[FAULT:, :3] += 3.8  # three signals together, just past their bands
    start = _start_row(_grid(x), FAULT)
    assert FAULT - 1 <= start <= FAULT  # the fault (one guard row), not the spike at FAULT - 5


def test_a_louder_burst_that_ended_long_before_the_detection_does_not_open_the_episode():
    x = _noise(5)
    x[1400, :3] += 20.0  # a broad burst beyond every baseline row, 40 steps before the fault
    x[FAULT:, :2] += 6.0  # the fault: sustained, beyond every baseline row, quieter than the burst
    start = _start_row(_grid(x), FAULT)
    assert FAULT - 1 <= start <= FAULT  # the fault (one guard row), not the burst at row 1400


def test_a_fault_that_ended_just_before_a_late_detection_still_opens_the_episode():
    x = _noise(6)
    x[FAULT - 4:FAULT - 2, :3] += 12.0  # over two steps before the alert (a `for:` delay)
    start = _start_row(_grid(x), FAULT)
    assert FAULT - 5 <= start <= FAULT - 4


def test_a_daily_wave_under_way_before_the_fault_does_not_open_its_onset():
    # Load climbs with the day: over the search window the wave alone moves the series by
    # several robust sigmas of its noise.  Measured around the wave fitted on the baseline,
    # the onset is the fault's row, not the start of the climb.
    rows = 740
    times = 1_700_000_000 + STEP * np.arange(rows)
    wave = 8.0 * np.sin(2 * np.pi * times / 86_400.0 + 1.0)
    x = np.random.default_rng(7).standard_normal((rows, 2))
    x[:, 0] += wave
    x[720:, 0] += 6.0  # the fault
    x[720:, 1] += 6.0  # its symptom elsewhere
    grid = Grid(times, ["s0_cpu", "s1_latency"], x)
    ep = analyse(grid, float(times[720]))
    assert abs(ep.stats["s0_cpu"].onset - times[720]) <= STEP
    assert ep.stats["s0_cpu"].deviation > 3.0


def test_the_daily_wave_is_fitted_on_baseline_rows_only():
    # Whatever the episode rows hold (here a huge fault), the fitted component is the same.
    from engine.rca.trend import baseline_trend

    rows = 740
    times = 1_700_000_000 + STEP * np.arange(rows)
    x = np.random.default_rng(8).standard_normal((rows, 1)) + 5.0 * np.sin(2 * np.pi * times / 86_400.0)[:, None]
    base = np.arange(rows) < 600
    y = x.copy()
    y[600:] += 1000.0
    assert np.allclose(baseline_trend(times, x, base), baseline_trend(times, y, base))
