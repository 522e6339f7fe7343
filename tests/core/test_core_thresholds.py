"""The seed's threshold table: exact boundaries, glyphs, actions and config overrides."""

from __future__ import annotations

import math

import pytest
from core_factories import deterministic
from hypothesis import given
from hypothesis import strategies as st

from canary_tui.core.thresholds import (
    CONFIG_KEYS,
    Level,
    Metric,
    ThresholdTable,
    strictly_below,
    worst,
)

SEED = ThresholdTable.seed()

# (metric, healthy example, warning_from, critical_beyond, a critical example, action when critical)
SEED_ROWS = [
    (Metric.P50_MS, 49.99, 50.0, 100.0, 100.01, "investigate"),
    (Metric.P95_MS, 499.9, 500.0, 750.0, 750.01, "rollback"),
    (Metric.P99_MS, 999.9, 1000.0, 1500.0, 1500.01, "rollback"),
    (Metric.ERROR_RATE, 0.0009, 0.001, 0.01, 0.0101, "rollback"),
    (Metric.SUCCESS_RATE, 0.9991, 0.999, 0.99, 0.9899, "rollback"),
]


@pytest.mark.parametrize(("metric", "healthy", "warn", "crit", "critical", "action"), SEED_ROWS)
def test_seed_rows_and_inclusive_boundaries(metric, healthy, warn, crit, critical, action) -> None:
    assert SEED.classify(metric, healthy).level is Level.HEALTHY
    assert SEED.classify(metric, warn).level is Level.WARNING
    assert SEED.classify(metric, crit).level is Level.WARNING
    got = SEED.classify(metric, critical)
    assert got.level is Level.CRITICAL
    assert got.action == action
    assert (got.glyph, got.word) == ("✖", "critical")


def test_the_issue_examples() -> None:
    assert SEED.classify("p50_ms", 50).level is Level.WARNING
    assert SEED.classify("p50_ms", 100).level is Level.WARNING
    assert SEED.classify("p50_ms", 100.01).level is Level.CRITICAL
    assert SEED.classify("p50_ms", 100.01).action == "investigate"
    assert SEED.classify("p95_ms", 287).level is Level.HEALTHY


def test_rate_boundaries_survive_float_rounding() -> None:
    assert SEED.classify(Metric.ERROR_RATE, 1 / 1000).level is Level.WARNING
    assert SEED.classify(Metric.ERROR_RATE, 10 / 1000).level is Level.WARNING
    assert SEED.classify(Metric.SUCCESS_RATE, 1 - 1 / 1000).level is Level.WARNING
    assert SEED.classify(Metric.SUCCESS_RATE, 99.9 / 100).level is Level.WARNING
    assert SEED.classify(Metric.SUCCESS_RATE, 1 - 10 / 1000).level is Level.WARNING
    assert SEED.classify(Metric.SUCCESS_RATE, 1.0).level is Level.HEALTHY


@pytest.mark.parametrize("value", [None, math.nan])
def test_missing_is_unknown(value) -> None:
    got = SEED.classify(Metric.P95_MS, value)
    assert (got.level, got.glyph, got.word, got.action) == (Level.UNKNOWN, "?", "unknown", "wait for data")


def test_glyphs_and_words() -> None:
    assert [(lv.glyph, lv.word) for lv in Level] == [
        ("✔", "healthy"), ("⚠", "warning"), ("✖", "critical"), ("?", "unknown")
    ]
    assert SEED.classify(Metric.P95_MS, 100).action == "none"
    assert SEED.classify(Metric.P95_MS, 600).action == "watch"


@deterministic()
@given(st.sampled_from(SEED_ROWS), st.floats(min_value=0, max_value=2, allow_nan=False))
def test_level_matches_the_table_everywhere(row, scale) -> None:
    metric, _, warn, crit, _, _ = row
    value = min(scale * crit, 1.0) if metric is Metric.SUCCESS_RATE else scale * crit
    level = SEED.classify(metric, value).level
    if any(math.isclose(value, b, rel_tol=1e-9) for b in (warn, crit)):
        assert level is Level.WARNING  # on a boundary: always warning
    elif metric is Metric.SUCCESS_RATE:
        assert level is (Level.HEALTHY if value > warn else Level.CRITICAL if value < crit else Level.WARNING)
    else:
        assert level is (Level.HEALTHY if value < warn else Level.CRITICAL if value > crit else Level.WARNING)


@deterministic()
@given(st.sampled_from(SEED_ROWS), st.sampled_from(["warn", "crit"]))
def test_exact_boundaries_are_warning_and_one_step_past_is_not(row, which) -> None:
    metric, _, warn, crit, _, _ = row
    bound = warn if which == "warn" else crit
    assert SEED.classify(metric, bound).level is Level.WARNING
    worse = -1 if metric is Metric.SUCCESS_RATE else 1
    step = bound * 1e-6
    past = SEED.classify(metric, bound + worse * step).level
    before = SEED.classify(metric, bound - worse * step).level
    assert past is (Level.CRITICAL if which == "crit" else Level.WARNING)
    assert before is (Level.WARNING if which == "crit" else Level.HEALTHY)


def test_overrides_apply_in_config_units() -> None:
    table = SEED.with_overrides({"p95_ms": (400, 600), "error_rate_pct": [0.5, 2.0], "success_rate_pct": {"warning": 99.5, "critical": 98}})
    assert table.classify(Metric.P95_MS, 450).level is Level.WARNING
    assert table.classify(Metric.P95_MS, 600).level is Level.WARNING
    assert table.classify(Metric.P95_MS, 601).level is Level.CRITICAL
    assert table.classify(Metric.ERROR_RATE, 0.004).level is Level.HEALTHY
    assert table.classify(Metric.ERROR_RATE, 0.02).level is Level.WARNING
    assert table.classify(Metric.SUCCESS_RATE, 0.98).level is Level.WARNING
    assert table.classify(Metric.SUCCESS_RATE, 0.9799).level is Level.CRITICAL
    assert table.classify(Metric.P50_MS, 100.01).level is Level.CRITICAL  # untouched
    assert SEED.classify(Metric.P95_MS, 450).level is Level.HEALTHY  # the seed is immutable


def test_seed_equals_itself_written_as_overrides() -> None:
    same = SEED.with_overrides(
        {"p50_ms": (50, 100), "p95_ms": (500, 750), "p99_ms": (1000, 1500),
         "error_rate_pct": (0.1, 1.0), "success_rate_pct": (99.9, 99.0)}
    )
    for metric, *_ in SEED_ROWS:
        for value in (0.001, 0.01, 0.99, 0.999, 50, 100, 500, 750, 1000, 1500):
            assert same.classify(metric, value).level is SEED.classify(metric, value).level
    assert set(CONFIG_KEYS) == {"p50_ms", "p95_ms", "p99_ms", "error_rate_pct", "success_rate_pct"}


@pytest.mark.parametrize(
    ("overrides", "key"),
    [
        ({"p95_ms": (800, 700)}, "p95_ms"),
        ({"success_rate_pct": (99.0, 99.9)}, "success_rate_pct"),
        ({"error_rate_pct": (0.1, 101)}, "error_rate_pct"),
        ({"p99_ms": (1, 2, 3)}, "p99_ms"),
        ({"p50_ms": ("50", 100)}, "p50_ms"),
        ({"p50_ms": (True, 100)}, "p50_ms"),
        ({"p50_ms": (math.nan, 100)}, "p50_ms"),
        ({"p50_ms": (-1, 100)}, "p50_ms"),
        ({"p50_ms": {"warn": 1, "critical": 2}}, "p50_ms"),
        ({"latency": (1, 2)}, "latency"),
    ],
)
def test_bad_overrides_name_the_key(overrides, key) -> None:
    with pytest.raises(ValueError, match=key):
        SEED.with_overrides(overrides)


def test_worst_and_classify_all() -> None:
    got = SEED.classify_all({"p50_ms": 10, Metric.P95_MS: 800})
    assert [c.metric for c in got] == list(Metric)
    assert worst(got) is Level.CRITICAL
    assert worst(SEED.classify_all({"p50_ms": 10})) is Level.UNKNOWN
    assert worst(()) is Level.HEALTHY


def test_strictly_below_treats_the_bound_as_not_below() -> None:
    assert strictly_below(499.99, 500)
    assert not strictly_below(500, 500)
    assert not strictly_below(0.01 + 1e-18, 0.01)
