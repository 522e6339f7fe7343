"""Rates from counters between polls: exact deltas, restarts never negative, per-variant splits."""

from __future__ import annotations

import pytest
from core_factories import deterministic, heartbeat, variant
from hypothesis import given
from hypothesis import strategies as st

from canary_tui.core.rates import compute_rates, counter_delta

counts = st.integers(min_value=0, max_value=10**12)


@deterministic()
@given(counts, counts)
def test_counter_delta_is_the_increase_or_the_whole_value_after_a_restart(previous, current) -> None:
    delta, reset = counter_delta(previous, current)
    assert delta >= 0
    assert reset is (current < previous)
    assert delta == (current if current < previous else current - previous)


@st.composite
def counter_pair(draw):
    """(previous requests, previous errors, current requests, current errors), errors <= requests."""
    r0 = draw(counts)
    e0 = draw(st.integers(0, r0))
    r1 = draw(counts)
    e1 = draw(st.integers(0, r1))
    return r0, e0, r1, e1


@deterministic()
@given(counter_pair(), st.floats(min_value=0.001, max_value=3600))
def test_rates_are_never_negative_and_exact_without_restart(pair, interval_s) -> None:
    r0, e0, r1, e1 = pair
    rates = compute_rates(heartbeat(r0, e0, at_s=100.0), heartbeat(r1, e1, at_s=100.0 + interval_s))
    assert rates.requests >= 0 and rates.errors >= 0
    assert rates.errors <= rates.requests
    assert rates.requests_per_s >= 0 and rates.errors_per_s >= 0
    restarted = r1 < r0 or e1 < e0
    assert rates.reset is restarted
    if restarted:
        assert (rates.requests, rates.errors) == (r1, e1)
    else:
        assert rates.requests == r1 - r0
        assert rates.errors == min(e1 - e0, r1 - r0)
    assert rates.interval_s == pytest.approx(interval_s, rel=1e-6)
    assert rates.requests_per_s == pytest.approx(rates.requests / rates.interval_s)
    if rates.requests:
        assert 0.0 <= rates.error_rate <= 1.0
        assert rates.success_rate == pytest.approx(1.0 - rates.error_rate)
    else:
        assert rates.error_rate is None and rates.success_rate is None


@deterministic()
@given(st.lists(st.tuples(st.integers(0, 500), st.integers(0, 50), st.booleans()), min_size=1, max_size=30))
def test_summed_deltas_equal_the_true_traffic_across_restarts(steps) -> None:
    """A server counts traffic and sometimes restarts (counters to zero); summed deltas lose nothing."""
    server_r = server_e = 0
    true_r = true_e = 0
    previous = heartbeat(0, 0, at_s=0.0)
    seen_r = seen_e = 0
    all_visible = True
    for i, (new_r, new_e, restart) in enumerate(steps, start=1):
        if restart:
            server_r = server_e = 0
        new_e = min(new_e, new_r)
        server_r += new_r
        server_e += new_e
        true_r += new_r
        true_e += new_e
        current = heartbeat(server_r, server_e, at_s=float(i))
        if restart and server_r >= previous.metrics.requests and server_e >= previous.metrics.errors:
            all_visible = False
        rates = compute_rates(previous, current)
        seen_r += rates.requests
        seen_e += rates.errors
        previous = current
    # A restart that lands back on a value at or above the previous counter is invisible;
    # otherwise nothing is lost and nothing is counted twice.
    assert seen_r <= true_r and seen_e <= true_e
    if all_visible:
        assert (seen_r, seen_e) == (true_r, true_e)


def test_restart_counts_from_zero() -> None:
    rates = compute_rates(heartbeat(5000, 40, at_s=10), heartbeat(120, 3, at_s=11))
    assert rates.reset
    assert (rates.requests, rates.errors, rates.error_rate) == (120, 3, 0.025)


def test_per_variant_deltas_and_error_rates() -> None:
    prev = heartbeat(1000, 5, at_s=0, canary=variant(100, 2), stable=variant(900, 3))
    cur = heartbeat(2000, 25, at_s=2, canary=variant(200, 12), stable=variant(1800, 13))
    rates = compute_rates(prev, cur)
    assert (rates.requests, rates.errors, rates.requests_per_s) == (1000, 20, 500.0)
    assert (rates.canary_requests, rates.canary_errors) == (100, 10)
    assert (rates.stable_requests, rates.stable_errors) == (900, 10)
    assert rates.canary_error_rate == 0.1
    assert rates.stable_error_rate == pytest.approx(10 / 900)
    assert rates.has_split


def test_variant_restart_alone_counts_that_variant_from_zero() -> None:
    prev = heartbeat(1000, 5, at_s=0, canary=variant(100, 2), stable=variant(900, 3))
    cur = heartbeat(1100, 6, at_s=1, canary=variant(10, 1), stable=variant(990, 4))
    rates = compute_rates(prev, cur)
    assert (rates.canary_requests, rates.canary_errors) == (10, 1)
    assert (rates.stable_requests, rates.stable_errors) == (90, 1)


def test_split_missing_on_either_side_is_none() -> None:
    rates = compute_rates(heartbeat(1, 0, at_s=0), heartbeat(2, 0, at_s=1, canary=variant(1, 0)))
    assert rates.canary_requests is None and rates.canary_error_rate is None and not rates.has_split


def test_no_canary_traffic_has_no_canary_error_rate() -> None:
    prev = heartbeat(0, 0, at_s=0, canary=variant(0, 0), stable=variant(0, 0))
    cur = heartbeat(10, 0, at_s=1, canary=variant(0, 0), stable=variant(10, 0))
    assert compute_rates(prev, cur).canary_error_rate is None


@pytest.mark.parametrize("dt_s", [0.0, -5.0])
def test_non_positive_interval_never_blows_up(dt_s) -> None:
    prev = heartbeat(100, 0, at_s=50.0)
    cur = heartbeat(200, 1, at_s=50.0 + dt_s)
    rates = compute_rates(prev, cur)
    assert rates.interval_s == 0.0
    assert (rates.requests_per_s, rates.errors_per_s) == (0.0, 0.0)
    assert (rates.requests, rates.errors, rates.error_rate) == (100, 1, 0.01)


def test_server_timestamps_stand_in_when_fetch_times_collide() -> None:
    from dataclasses import replace

    prev = heartbeat(100, 0, at_s=50.0)
    cur = replace(heartbeat(300, 0, at_s=52.0), fetched_at_s=50.0)
    rates = compute_rates(prev, cur)
    assert rates.interval_s == 2.0 and rates.requests_per_s == 100.0
