"""RateWindow: the gates judge counts summed over a window of polls, reset-safe."""

from __future__ import annotations

from core_factories import deterministic
from hypothesis import given
from hypothesis import strategies as st

from canary_tui.core.rates import Rates, RateWindow


def _step(requests: int, errors: int, canary: tuple[int, int] | None = (10, 1), interval_s: float = 1.0, reset: bool = False) -> Rates:
    """One poll interval's counts."""
    split = {} if canary is None else {
        "canary_requests": canary[0], "canary_errors": canary[1],
        "stable_requests": requests - canary[0], "stable_errors": errors - canary[1],
    }
    return Rates(interval_s, requests, errors, requests / interval_s, errors / interval_s, errors / requests if requests else None, reset, **split)


def test_sums_counts_inside_the_window_and_drops_older_intervals() -> None:
    window = RateWindow(window_s=3.0)
    assert window.rates() is None
    for t_s in range(1, 6):
        window.add(_step(100, 2, (10, 1)), end_s=float(t_s))
    summed = window.rates()
    assert summed is not None
    assert (summed.requests, summed.errors, summed.interval_s) == (300, 6, 3.0)
    assert (summed.canary_requests, summed.canary_errors) == (30, 3)
    assert summed.canary_error_rate == 0.1 and summed.requests_per_s == 100.0


def test_a_step_without_split_hides_the_split_of_the_whole_window() -> None:
    window = RateWindow(window_s=60.0)
    window.add(_step(100, 2, (10, 1)), end_s=1.0)
    window.add(_step(100, 2, None), end_s=2.0)
    summed = window.rates()
    assert summed is not None and not summed.has_split and summed.requests == 200


def test_clear_starts_a_new_window() -> None:
    window = RateWindow()
    window.add(_step(100, 2), end_s=1.0)
    window.clear()
    assert window.rates() is None


@deterministic()
@given(st.lists(st.tuples(st.integers(0, 500), st.integers(0, 500), st.booleans()), min_size=1, max_size=80))
def test_window_sums_are_never_negative_and_match_the_recent_steps(steps) -> None:
    window = RateWindow(window_s=10.0)
    kept: list[tuple[int, int]] = []
    for i, (requests, errors, reset) in enumerate(steps):
        errors = min(errors, requests)
        window.add(_step(requests, errors, None, reset=reset), end_s=float(i))
        kept = (kept + [(requests, errors)])[-10:]
    summed = window.rates()
    assert summed is not None
    assert summed.requests == sum(r for r, _ in kept) >= 0
    assert 0 <= summed.errors == sum(e for _, e in kept) <= summed.requests
