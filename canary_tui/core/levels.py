"""Levels on evidence: a figure is healthy, warning or critical when its confidence interval says so.

One poll's point estimate never decides a level. A rate is judged by its Wilson
interval; a latency quantile by the count of requests slower than the table's
bounds (``P95 > T`` is the same statement as "more than 5% of requests are slower
than T"), again through a Wilson interval on that fraction. When the interval
straddles bands and the window holds too few requests, the answer is "low data"
(Level.UNKNOWN with ``low_data=True``); when the interval is already narrow (half-width
within 10% of the line it straddles) the figure sits on that line and is WARNING.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from canary_tui.core.stats import Z_95, wilson_interval
from canary_tui.core.thresholds import Level, Threshold

#: a straddling interval this narrow (relative to the line it crosses) means "on the line", not "low data"
ON_LINE_RELATIVE_HALF_WIDTH = 0.10


@dataclass(frozen=True, slots=True)
class LevelCall:
    """A level with what it rests on: the point estimate, its interval and the count behind it."""

    level: Level
    point: float | None
    interval: tuple[float, float] | None
    requests: int
    low_data: bool = False


def _on_line(low: float, high: float, lines: tuple[float, ...]) -> bool:
    """True when [low, high] crosses one of `lines` with a half-width within 10% of it."""
    half = (high - low) / 2.0
    return any(low <= line <= high and half <= ON_LINE_RELATIVE_HALF_WIDTH * line for line in lines if line > 0)


def _band_of_interval(threshold: Threshold, low: float, high: float) -> tuple[Level, bool]:
    """(level, low_data) of an interval [low, high] against one threshold's bands."""
    level_low, level_high = threshold.level(low), threshold.level(high)
    if level_low is level_high:
        return level_low, False
    if _on_line(low, high, (threshold.warning_from, threshold.critical_beyond)):
        return Level.WARNING, False
    return Level.UNKNOWN, True


def interval_level(threshold: Threshold, point: float | None, interval: tuple[float, float] | None, count: int) -> LevelCall:
    """Level of a value known by its interval (a latency from order statistics): the same bands as a rate's interval."""
    if interval is None or count <= 0:
        return LevelCall(Level.UNKNOWN, point, interval, count, low_data=True)
    level, low_data = _band_of_interval(threshold, *interval)
    return LevelCall(level, point, interval, count, low_data)


def rate_level(events: int, requests: int, threshold: Threshold, z: float = Z_95) -> LevelCall:
    """Level of a rate (errors / requests, or its complement for a higher-is-better metric) on its Wilson interval."""
    if requests <= 0:
        return LevelCall(Level.UNKNOWN, None, None, 0, low_data=True)
    events = min(max(events, 0), requests)
    low, high = wilson_interval(events, requests, z)
    point = events / requests
    if threshold.higher_is_better:  # success rate: the interval of successes
        low, high, point = 1.0 - high, 1.0 - low, 1.0 - point
    level, low_data = _band_of_interval(threshold, low, high)
    return LevelCall(level, point, (low, high), requests, low_data)


def quantile_level(
    quantile: float,
    requests: int,
    slower_than: Callable[[float], int | None],
    threshold: Threshold,
    point_ms: float | None = None,
    z: float = Z_95,
) -> LevelCall:
    """Level of a latency quantile from slow counts: critical when the fraction slower than the critical bound
    is above 1 - quantile on its interval, healthy when the fraction slower than the warning bound is below it.

    `slower_than(ms)` answers how many of `requests` took longer than ms (None when no bucket edge fits);
    without counts at both bounds the level is UNKNOWN (low data), never a guess from one poll.
    """
    tail = 1.0 - quantile
    if requests <= 0:
        return LevelCall(Level.UNKNOWN, point_ms, None, 0, low_data=True)
    slow_warning, slow_critical = slower_than(threshold.warning_from), slower_than(threshold.critical_beyond)
    if slow_warning is None or slow_critical is None:
        return LevelCall(Level.UNKNOWN, point_ms, None, requests, low_data=True)
    crit_low, _ = wilson_interval(slow_critical, requests, z)
    _, warn_high = wilson_interval(slow_warning, requests, z)
    warn_low, _ = wilson_interval(slow_warning, requests, z)
    _, crit_high = wilson_interval(slow_critical, requests, z)
    if crit_low > tail:
        return LevelCall(Level.CRITICAL, point_ms, None, requests)
    if warn_high < tail:
        return LevelCall(Level.HEALTHY, point_ms, None, requests)
    if warn_low > tail and crit_high < tail:
        return LevelCall(Level.WARNING, point_ms, None, requests)
    if _on_line(warn_low, warn_high, (tail,)) or _on_line(crit_low, crit_high, (tail,)):
        return LevelCall(Level.WARNING, point_ms, None, requests)
    return LevelCall(Level.UNKNOWN, point_ms, None, requests, low_data=True)
