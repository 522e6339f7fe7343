"""Levels on evidence: intervals decide, one poll's point estimate never does."""

from __future__ import annotations

from canary_tui.core.levels import quantile_level, rate_level
from canary_tui.core.thresholds import Level, Metric, ThresholdTable

TABLE = ThresholdTable.seed()
ERRORS = TABLE.threshold(Metric.ERROR_RATE)
SUCCESS = TABLE.threshold(Metric.SUCCESS_RATE)
P95 = TABLE.threshold(Metric.P95_MS)


def test_one_error_in_twenty_is_low_data_not_critical() -> None:
    call = rate_level(1, 20, ERRORS)
    assert call.level is Level.UNKNOWN and call.low_data
    assert call.point == 0.05


def test_many_requests_settle_each_band() -> None:
    assert rate_level(500, 10_000, ERRORS).level is Level.CRITICAL  # 5% on 10k: interval above 1%
    assert rate_level(0, 10_000, ERRORS).level is Level.HEALTHY  # upper bound ~0.04% < 0.1%
    assert rate_level(40, 10_000, ERRORS).level is Level.WARNING  # 0.4%: inside the warning band


def test_straddling_a_line_with_a_narrow_interval_is_warning() -> None:
    call = rate_level(1000, 100_000, ERRORS)  # exactly on the 1% line, half-width ~0.06 pp
    assert call.level is Level.WARNING and not call.low_data


def test_success_rate_is_judged_on_the_complement() -> None:
    assert rate_level(500, 10_000, SUCCESS).level is Level.CRITICAL  # 95% success
    assert rate_level(0, 10_000, SUCCESS).level is Level.HEALTHY


def test_no_requests_is_low_data() -> None:
    assert rate_level(0, 0, ERRORS).low_data


def test_configured_thresholds_move_the_level() -> None:
    lenient = ThresholdTable.seed().with_overrides({"error_rate_pct": [0.5, 20]}).threshold(Metric.ERROR_RATE)
    assert rate_level(150, 10_000, ERRORS).level is Level.CRITICAL
    assert rate_level(150, 10_000, lenient).level is Level.WARNING


def _slow(counts: dict[float, int]):
    return lambda ms: counts.get(ms)


def test_quantile_level_from_slow_counts() -> None:
    healthy = quantile_level(0.95, 10_000, _slow({500.0: 100, 750.0: 20}), P95, point_ms=300.0)
    critical = quantile_level(0.95, 10_000, _slow({500.0: 2000, 750.0: 1500}), P95, point_ms=900.0)
    warning = quantile_level(0.95, 10_000, _slow({500.0: 900, 750.0: 200}), P95, point_ms=600.0)
    assert (healthy.level, critical.level, warning.level) == (Level.HEALTHY, Level.CRITICAL, Level.WARNING)


def test_quantile_level_low_data_and_no_buckets() -> None:
    assert quantile_level(0.95, 20, _slow({500.0: 2, 750.0: 1}), P95).low_data
    assert quantile_level(0.95, 10_000, _slow({}), P95).level is Level.UNKNOWN


def test_a_success_rate_straddling_its_line_is_low_data_exactly_when_the_error_rate_is() -> None:
    """Success is the complement of errors: the same counts get the same answer on both rows (not 'warning' on one)."""
    for errors, requests in ((0, 2200), (2, 1000), (1, 100_000), (15, 10_000), (40, 1000)):
        error, success = rate_level(errors, requests, ERRORS), rate_level(errors, requests, SUCCESS)
        assert (error.level, error.low_data) == (success.level, success.low_data), (errors, requests, error, success)
