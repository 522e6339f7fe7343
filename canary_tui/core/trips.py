"""Why a rule trips, as structured fields (kind, figures, bounds); the words are formatted at the edge."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class TripKind(enum.StrEnum):
    """Which automatic rollback condition holds."""

    SIGNATURE = "signature"  # the signature check failed, confirmed by a re-fetch
    SEED_ERRORS = "seed-errors"  # CUSUM: canary error rate above the seed's 5% on evidence
    SEED_SLOW = "seed-slow"  # CUSUM: more than 5% of canary requests slower than 1000 ms (P95 > 1000 ms)
    SEED_P95_REPORTED = "seed-p95-reported"  # no latency buckets: the server's own P95 above 1000 ms, debounced
    ERRORS_VS_STABLE = "errors-vs-stable"  # mixture e-value: canary errors worse than stable
    SLOW_VS_STABLE = "slow-vs-stable"  # mixture e-value on slow-request counts
    ERROR_BOUND = "error-bound"  # Wilson 99% lower bound of the canary error rate above the trip rate, debounced
    SLOW_BOUND = "slow-bound"  # ... of the canary's slow fraction


@dataclass(frozen=True, slots=True)
class Trip:
    """One holding rollback condition: its kind and the numbers behind it.

    `value` is the statistic (CUSUM, e-value, lower bound, P95), `limit` what it crossed,
    `bound` the seed figure it is about (a rate or milliseconds), `count`/`of` the events behind it.
    """

    kind: TripKind
    value: float | None = None
    limit: float | None = None
    bound: float | None = None
    count: int | None = None
    of: int | None = None
    windows: int | None = None


def describe_trip(trip: Trip) -> str:
    """The reason a person reads, from the trip's fields."""
    k = trip.kind
    if k is TripKind.SIGNATURE:
        return "signature invalid (confirmed by re-fetch)"
    if k is TripKind.SEED_ERRORS:
        return (f"error rate > {_pct(trip.bound)} on evidence: {trip.count}/{trip.of} canary requests failed, "
                f"CUSUM {_num(trip.value, 1)} ≥ {_num(trip.limit)}")
    if k is TripKind.SEED_SLOW:
        return (f"P95 > {_num(trip.bound)} ms on evidence: {trip.count}/{trip.of} canary requests slower, "
                f"CUSUM {_num(trip.value, 1)} ≥ {_num(trip.limit)}")
    if k is TripKind.SEED_P95_REPORTED:
        return (f"P95 > {_num(trip.bound)} ms: the server's P95 {_num(trip.value)} ms for {count_text(trip.windows, 'poll')} "
                "(no latency buckets to count slow requests)")
    if k is TripKind.ERRORS_VS_STABLE:
        return f"canary errors worse than stable: mixture e-value {format_e_value(trip.value)} ≥ {_num(trip.limit)}"
    if k is TripKind.SLOW_VS_STABLE:
        return (f"canary slower than stable (> {_num(trip.bound)} ms): "
                f"mixture e-value {format_e_value(trip.value)} ≥ {_num(trip.limit)}")
    if k is TripKind.ERROR_BOUND:
        return f"canary error rate 99% lower bound > {_pct(trip.limit)} for {count_text(trip.windows, 'window')}"
    return (f"canary slow(>{_num(trip.bound)} ms) fraction 99% lower bound > {_pct(trip.limit)} "
            f"for {count_text(trip.windows, 'window')}")


def describe_trips(trips: tuple[Trip, ...] | list[Trip]) -> str:
    """Several trips joined for one reason line."""
    return "; ".join(describe_trip(t) for t in trips)


def count_text(n: int | None, noun: str) -> str:
    """'1 window', '3 windows'."""
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _num(value: float | None, decimals: int = 0) -> str:
    """A plain number ('12', '1000'), '?' when unknown."""
    return "?" if value is None else f"{value:.{decimals}f}" if decimals else f"{value:g}"


def _pct(fraction: float | None) -> str:
    """A bound as percent: '5%'."""
    return "?" if fraction is None else f"{fraction * 100:g}%"


_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def format_e_value(value: float | None) -> str:
    """An e-value for a reason string: '42.5', '2100', else a power of ten a person reads at a glance ('9.9×10¹⁴')."""
    if value is None:
        return "?"
    if value > 1e300:
        return "≥10³⁰⁰"
    if value < 1e4:
        return f"{value:.3g}" if value < 1e3 else f"{value:.0f}"
    mantissa, exponent = f"{value:.1e}".split("e")
    return f"{mantissa}×10{str(int(exponent)).translate(_SUPERSCRIPT)}"
