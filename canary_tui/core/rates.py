"""Rates from counters between two polls; a counter that goes down is a server restart."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from canary_tui.core.samples import Heartbeat


@dataclass(frozen=True, slots=True)
class Rates:
    """Per-second rates and the error rate over the interval between two heartbeats.

    `reset` is True when a counter went down (server restart): the interval then
    counts from zero, never as a negative rate. `error_rate` is a fraction 0..1,
    None when no request arrived in the interval.
    """

    interval_s: float
    requests: int
    errors: int
    requests_per_s: float
    errors_per_s: float
    error_rate: float | None
    reset: bool = False
    canary_requests: int | None = None
    canary_errors: int | None = None
    stable_requests: int | None = None
    stable_errors: int | None = None

    @property
    def success_rate(self) -> float | None:
        """1 − error rate, or None when there is no traffic to judge."""
        return None if self.error_rate is None else 1.0 - self.error_rate

    @property
    def canary_error_rate(self) -> float | None:
        """The canary's error fraction over the interval, None without a split or without traffic."""
        return _ratio(self.canary_errors, self.canary_requests)

    @property
    def stable_error_rate(self) -> float | None:
        """The stable variant's error fraction over the interval, None without a split or traffic."""
        return _ratio(self.stable_errors, self.stable_requests)

    @classmethod
    def from_counts(cls, interval_s: float, requests: int, errors: int, reset: bool = False, **variant: int | None) -> Rates:
        """Rates from the counts of one interval; per-second figures are 0 for an empty interval."""
        return cls(
            interval_s=interval_s,
            requests=requests,
            errors=errors,
            requests_per_s=requests / interval_s if interval_s > 0 else 0.0,
            errors_per_s=errors / interval_s if interval_s > 0 else 0.0,
            error_rate=(errors / requests) if requests else None,
            reset=reset,
            **variant,
        )

    @property
    def has_split(self) -> bool:
        """True when per-variant (canary) counts are known for this interval."""
        return self.canary_requests is not None


def _ratio(part: int | None, whole: int | None) -> float | None:
    """part / whole, None when either is unknown or whole is zero."""
    if part is None or not whole:
        return None
    return part / whole


def counter_delta(previous: int, current: int) -> tuple[int, bool]:
    """(increase, reset) of a monotonic counter; a decrease is a restart, so the new value is the increase."""
    if current < previous:
        return current, True
    return current - previous, False


_delta = counter_delta


def interval_between(previous: Heartbeat, current: Heartbeat) -> float:
    """Seconds between two polls: the client's fetch times, else the server's timestamps, else 0."""
    interval_s = current.fetched_at_s - previous.fetched_at_s
    if interval_s > 0:
        return interval_s
    interval_s = (current.timestamp - previous.timestamp).total_seconds()
    return interval_s if interval_s > 0 else 0.0


def compute_rates(previous: Heartbeat, current: Heartbeat) -> Rates:
    """Rates between two heartbeats, using the client's fetch times as the interval.

    When the interval is not positive (same clock reading twice, a clock that
    stepped back) per-second rates are 0.0 rather than a division blow-up; the
    counts and the error rate stay exact.
    """
    interval_s = interval_between(previous, current)
    requests, reset_r = _delta(previous.metrics.requests, current.metrics.requests)
    errors, reset_e = _delta(previous.metrics.errors, current.metrics.errors)
    reset = reset_r or reset_e
    if reset:
        requests, errors = current.metrics.requests, current.metrics.errors
    errors = min(errors, requests)
    variant: dict[str, int | None] = {}
    for name in ("canary", "stable"):
        prev_v = getattr(previous.metrics, name)
        cur_v = getattr(current.metrics, name)
        if prev_v is None or cur_v is None:
            variant[f"{name}_requests"] = variant[f"{name}_errors"] = None
            continue
        vr, vreset_r = _delta(prev_v.requests, cur_v.requests)
        ve, vreset_e = _delta(prev_v.errors, cur_v.errors)
        if reset or vreset_r or vreset_e:
            vr, ve = cur_v.requests, cur_v.errors
        variant[f"{name}_requests"] = vr
        variant[f"{name}_errors"] = min(ve, vr)
    return Rates.from_counts(interval_s, requests, errors, reset, **variant)


class RateWindow:
    """Counts summed over the last `window_s` seconds of poll intervals, so gates judge a window, not one poll.

    One poll interval at a 10% canary may hold a handful of requests, where one error reads
    as 10%; the seed's "errors < 1%" needs the counts of a whole window. Each interval is
    already reset-safe (compute_rates), so sums across a server restart stay non-negative.
    """

    def __init__(self, window_s: float = 60.0) -> None:
        self.window_s = window_s
        self._steps: deque[tuple[float, Rates]] = deque()

    def add(self, rates: Rates, end_s: float) -> None:
        """Take one poll interval ending at `end_s` (epoch seconds) and drop intervals that left the window."""
        self._steps.append((end_s, rates))
        while self._steps and self._steps[0][0] <= end_s - self.window_s:
            self._steps.popleft()

    def clear(self) -> None:
        """Forget every interval (a new stage or version starts a new window)."""
        self._steps.clear()

    def rates(self) -> Rates | None:
        """The window's summed counts as one Rates, or None when empty."""
        if not self._steps:
            return None
        steps = [rates for _, rates in self._steps]
        interval_s = sum(r.interval_s for r in steps)
        requests = sum(r.requests for r in steps)
        errors = sum(r.errors for r in steps)
        split = all(r.has_split and r.stable_requests is not None for r in steps)
        variant: dict[str, int | None] = {
            key: (sum(getattr(r, key) or 0 for r in steps) if split else None)
            for key in ("canary_requests", "canary_errors", "stable_requests", "stable_errors")
        }
        return Rates.from_counts(interval_s, requests, errors, any(r.reset for r in steps), **variant)
