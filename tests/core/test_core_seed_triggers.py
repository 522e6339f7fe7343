"""The seed's triggers on evidence: a Bernoulli CUSUM per poll, never one poll's point estimate."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from canary_tui.core import seed
from canary_tui.core.rates import compute_rates
from canary_tui.core.seed_triggers import CUSUM_H, BernoulliCusum, SeedTriggers
from canary_tui.core.trips import TripKind, describe_trip, format_e_value
from tests.judgment.judgment_builders import FakeServer


def test_cusum_steps_are_judgment_md_s() -> None:
    c = BernoulliCusum(0.05, 0.10)
    assert math.isclose(c.event_step, math.log(2)) and math.isclose(c.trial_step, math.log(0.90 / 0.95))
    assert CUSUM_H == 12.0


def test_one_bad_poll_never_trips() -> None:
    """The issue's case: 2 errors in 21 requests (9.5%) is nothing; nor is 20/20 in one poll short of h."""
    c = BernoulliCusum(0.05, 0.10)
    assert not c.update(2, 21)
    assert not c.update(17, 20)  # 17 × ln 2 ≈ 11.8 < 12
    assert c.update(1, 1)


@given(st.lists(st.tuples(st.integers(0, 30), st.integers(0, 30)), max_size=40))
def test_cusum_is_never_negative_and_trips_only_at_h(polls: list[tuple[int, int]]) -> None:
    c = BernoulliCusum(0.05, 0.10)
    for x, n in polls:
        tripped = c.update(min(x, n), n)
        assert c.statistic >= 0.0 and tripped == (c.statistic >= c.h)


def test_cusum_floor_forgets_a_healthy_past_and_the_run_counts_events() -> None:
    c = BernoulliCusum(0.05, 0.10)
    c.update(0, 10_000)
    assert c.statistic == 0.0 and (c.events, c.trials) == (0, 0)
    c.update(5, 20)
    assert (c.events, c.trials) == (5, 20)


def _run(server: FakeServer, polls: int) -> tuple[int | None, SeedTriggers]:
    """Seconds until a seed trigger holds (None if never) at 1 Hz looks."""
    triggers, prev = SeedTriggers(), server.step(1.0)
    for t in range(1, polls + 1):
        cur = server.step(1.0)
        if triggers.observe(cur, prev, compute_rates(prev, cur)):
            return t, triggers
        prev = cur
    return None, triggers


def test_true_ten_percent_trips_within_a_minute_and_reports_counts() -> None:
    server = FakeServer(seed=3, requests_per_s=200.0, canary_error_rate=0.10, stable_error_rate=0.005)
    t, triggers = _run(server, 300)
    assert t is not None and t <= 90
    (trip,) = [tr for tr in triggers.trips() if tr.kind is TripKind.SEED_ERRORS]
    assert trip.count is not None and trip.of is not None and trip.count >= 18  # h / ln 2: never on a handful
    assert describe_trip(trip).startswith("error rate > 5% on evidence:")


def test_true_four_percent_does_not_trip_in_an_hour() -> None:
    server = FakeServer(seed=4, requests_per_s=200.0, canary_error_rate=0.04, stable_error_rate=0.04)
    t, _ = _run(server, 3600)
    assert t is None


def test_slow_canary_trips_on_slow_counts_from_buckets() -> None:
    """Median 800 ms, σ 0.5: ~33% slower than 1000 ms, so P95 > 1000 ms on evidence."""
    server = FakeServer(seed=5, requests_per_s=200.0, canary_median_ms=800.0)
    t, triggers = _run(server, 300)
    assert t is not None and t <= 60
    assert [tr.kind for tr in triggers.trips()] == [TripKind.SEED_SLOW]


def test_healthy_latency_does_not_trip() -> None:
    t, _ = _run(FakeServer(seed=6, requests_per_s=200.0, canary_median_ms=300.0), 1800)
    assert t is None  # P(slower than 1000 ms) ≈ 0.8%


def test_without_buckets_the_servers_p95_is_debounced() -> None:
    server = FakeServer(seed=7, requests_per_s=200.0, buckets=False, per_variant=False, aggregate_p95_ms=1204.0)
    t, triggers = _run(server, 10)
    assert t == seed.SEED_DEBOUNCE_N
    assert [tr.kind for tr in triggers.trips()] == [TripKind.SEED_P95_REPORTED]


def test_the_seed_numbers_are_the_ones_the_triggers_use() -> None:
    t = SeedTriggers()
    assert t.errors.p0 == seed.SEED_TRIP_ERROR_RATE and t.slow.p0 == seed.SEED_P95_TAIL_FRACTION
    assert np.isclose(t.errors.p1, 2 * seed.SEED_TRIP_ERROR_RATE)


def test_a_trip_counts_its_windows_in_words() -> None:
    """'for 1 window', 'for 3 windows': a reason line reads as English at any count."""
    from canary_tui.core.trips import Trip, TripKind, describe_trip

    one = describe_trip(Trip(TripKind.ERROR_BOUND, limit=0.05, windows=1))
    three = describe_trip(Trip(TripKind.ERROR_BOUND, limit=0.05, windows=3))
    assert one.endswith("for 1 window") and three.endswith("for 3 windows")
    assert describe_trip(Trip(TripKind.SEED_P95_REPORTED, value=1200.0, bound=1000.0, windows=1)).count("for 1 poll ") == 1


def test_e_values_read_as_numbers_then_powers_of_ten() -> None:
    """A reason line says 'e-value 9.9×10¹⁴', not the 9.94e+14 of a float's repr."""
    assert [format_e_value(v) for v in (None, 0.5, 42.51, 2100.4, 12345.0, 9.94e14, 1e301)] == [
        "?", "0.5", "42.5", "2100", "1.2×10⁴", "9.9×10¹⁴", "≥10³⁰⁰"]
