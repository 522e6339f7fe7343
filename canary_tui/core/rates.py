"""Rates from counters between two polls; a counter that goes down is a server restart."""

from __future__ import annotations

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
    return Rates(
        interval_s=interval_s,
        requests=requests,
        errors=errors,
        requests_per_s=requests / interval_s if interval_s > 0 else 0.0,
        errors_per_s=errors / interval_s if interval_s > 0 else 0.0,
        error_rate=(errors / requests) if requests else None,
        reset=reset,
        **variant,
    )
