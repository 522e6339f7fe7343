"""The chart a series at a time, for a caller that gives the event loop a turn between them: the same chart, always aligned."""

from __future__ import annotations

from canary_tui.controller.chart import HISTORY_FIELDS, chart_steps
from canary_tui.core.history import History

START_S = 1_000_000.0
NAMES = HISTORY_FIELDS[3:9]  # the canary's and stable's latencies: what the dashboard draws
COLUMNS = 40


def _sample(i: int) -> dict[str, float]:
    return {name: float((i * 7 + k * 13) % 97) for k, name in enumerate(HISTORY_FIELDS)}


def _filled(seconds: int) -> History:
    history = History(HISTORY_FIELDS, max_age_s=7200.0, resolution_s=1.0)
    for i in range(seconds):
        history.append(START_S + i, _sample(i))
    history.add_mark(START_S + 600, "10%→50%")
    return history


def test_the_steps_are_one_per_series_then_the_chart_of_each_series_downsampled() -> None:
    history = _filled(1800)
    steps = list(chart_steps(history, NAMES, COLUMNS))
    assert steps[:-1] == [None] * len(NAMES)
    data = steps[-1]
    assert data is not None and [s.name for s in data.series] == list(NAMES)
    for series in data.series:
        down = history.downsample(series.name, COLUMNS)
        assert series.t_s == tuple(down.t_s) and series.low == tuple(down.min)
        assert series.high == tuple(down.max) and series.last == tuple(down.last)
    assert data.marks == ((START_S + 600, "10%→50%"),) and data.columns == COLUMNS


def test_a_poll_landing_between_two_series_begins_the_chart_again() -> None:
    """Every series is read against the same newest sample, so canary and stable share their buckets."""
    history = _filled(1800)
    steps = chart_steps(history, NAMES, COLUMNS)
    assert next(steps) is None  # the first series is read
    history.append(START_S + 2100, _sample(2100))  # a poll lands 5 min on: the buckets move
    data = list(steps)[-1]
    assert data is not None
    assert len({series.t_s for series in data.series}) == 1
    assert data == list(chart_steps(history, NAMES, COLUMNS))[-1]
