"""Stage clock on an injected clock: elapsed, bake remaining, ETAs of later stages, off-plan and 0%."""

from __future__ import annotations

import math

import pytest
from core_factories import deterministic
from hypothesis import given
from hypothesis import strategies as st

from canary_tui.core.clock import ManualClock
from canary_tui.core.plans import FAST_TRACK, HOUR_S, STANDARD, Stage, make_plan, parse_duration
from canary_tui.core.stage_clock import bake_status, format_duration

T0 = 1_795_003_200.0


def test_standard_stage_one_mid_bake() -> None:
    clock = ManualClock(T0)
    entered = clock.now()
    clock.advance(6 * HOUR_S + 18 * 60)
    got = bake_status(STANDARD, 10, entered, clock.now())
    assert got.stage_index == 0
    assert got.elapsed_s == 6 * HOUR_S + 18 * 60
    assert got.remaining_s == 24 * HOUR_S - got.elapsed_s
    assert got.bake_s == 24 * HOUR_S and not got.baked
    assert got.etas == ((50, T0 + 24 * HOUR_S), (100, T0 + 48 * HOUR_S))


def test_overdue_bake_is_met_and_next_stage_is_due_now() -> None:
    got = bake_status(FAST_TRACK, 50, T0, T0 + 5 * HOUR_S)
    assert (got.stage_index, got.remaining_s, got.baked) == (1, 0.0, True)
    assert got.etas == ((100, T0 + 5 * HOUR_S),)


def test_last_stage_has_no_later_stages() -> None:
    got = bake_status(STANDARD, 100, T0, T0 + 60)
    assert (got.stage_index, got.remaining_s, got.etas) == (2, 24 * HOUR_S - 60, ())


def test_zero_percent_bakes_nothing() -> None:
    got = bake_status(STANDARD, 0, T0, T0 + 60)
    assert (got.stage_index, got.remaining_s, got.etas, got.baked) == (None, None, (), False)
    assert got.elapsed_s == 60


def test_off_plan_percent_takes_etas_from_the_next_stage_above() -> None:
    got = bake_status(STANDARD, 25, T0, T0 + 100)
    assert (got.stage_index, got.remaining_s, got.bake_s) == (None, None, None)
    assert got.etas == ((50, T0 + 100), (100, T0 + 100 + 24 * HOUR_S))


def test_clock_before_entry_never_gives_negative_elapsed() -> None:
    got = bake_status(STANDARD, 10, T0, T0 - 30)
    assert got.elapsed_s == 0.0 and got.remaining_s == 24 * HOUR_S


@deterministic()
@given(
    st.lists(st.integers(0, 48 * 3600), min_size=1, max_size=5),
    st.data(),
)
def test_etas_follow_the_plan(bakes, data) -> None:
    percents = sorted(data.draw(st.sets(st.integers(1, 99), min_size=len(bakes) - 1, max_size=len(bakes) - 1)))
    plan = make_plan("p", tuple(Stage(p, float(b)) for p, b in zip([*percents, 100], bakes, strict=True)))
    index = data.draw(st.integers(0, len(bakes) - 1))
    elapsed = data.draw(st.floats(0, 100 * 3600))
    got = bake_status(plan, plan.stages[index].percent, T0, T0 + elapsed)
    assert got.remaining_s == pytest.approx(max(0.0, bakes[index] - elapsed), abs=1e-6)
    assert [p for p, _ in got.etas] == [s.percent for s in plan.stages[index + 1 :]]
    start = T0 + elapsed + got.remaining_s
    for (_percent, eta), stage in zip(got.etas, plan.stages[index + 1 :], strict=True):
        assert eta == pytest.approx(start)
        start += stage.bake_s
    assert all(eta >= T0 + elapsed for _, eta in got.etas)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "0s"), (45, "45s"), (720, "12m"), (725, "12m05s"), (6 * 3600 + 18 * 60, "6h18m"), (86400, "24h"), (-3, "0s")],
)
def test_format_duration(seconds, text) -> None:
    assert format_duration(seconds) == text


@pytest.mark.parametrize("bad", [math.nan, math.inf, -1, "2x", True])
def test_parse_duration_refuses_nonsense(bad) -> None:
    with pytest.raises(ValueError):
        parse_duration(bad)


def test_parse_duration_units() -> None:
    assert [parse_duration(t) for t in ("90m", "2h", "1.5d", "30s", "250ms", 7)] == [5400, 7200, 129600, 30, 0.25, 7]


def test_make_plan_validates() -> None:
    with pytest.raises(ValueError):
        make_plan("bad", (Stage(50, 1), Stage(10, 1), Stage(100, 1)))
    with pytest.raises(ValueError):
        make_plan("bad", (Stage(10, 1), Stage(50, 1)))
