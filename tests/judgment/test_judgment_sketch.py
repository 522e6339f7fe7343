"""The latency sketch: within 1% of the exact order statistic on 10^6 samples; merging equals one sketch."""

from __future__ import annotations

import numpy as np
import pytest

from canary_tui.core.sketch import LatencySketch
from canary_tui.core.stats import quantile_rank_interval

N = 1_000_000
QUANTILES = (0.5, 0.9, 0.95, 0.99, 0.999)


def _lognormal(rng: np.random.Generator) -> np.ndarray:
    return rng.lognormal(np.log(120.0), 0.5, N)


def _bimodal(rng: np.random.Generator) -> np.ndarray:
    """90% fast (~20 ms) and 10% slow (~800 ms): the shape a cache miss or a stall gives."""
    fast = rng.lognormal(np.log(20.0), 0.3, N)
    slow = rng.lognormal(np.log(800.0), 0.4, N)
    return np.where(rng.random(N) < 0.9, fast, slow)


def _pareto(rng: np.random.Generator) -> np.ndarray:
    """Heavy tail: Pareto with shape 1.5, scale 10 ms."""
    return 10.0 * (1.0 + rng.pareto(1.5, N))


@pytest.mark.parametrize("make", [_lognormal, _bimodal, _pareto], ids=["lognormal", "bimodal", "pareto"])
def test_sketch_within_one_percent_of_exact_order_statistic(make) -> None:  # type: ignore[no-untyped-def]
    values = make(np.random.default_rng(2026))
    sketch = LatencySketch()
    sketch.add_many(values.tolist())
    assert sketch.count == N
    ordered = np.sort(values)
    worst = 0.0
    for q in QUANTILES:
        exact = ordered[int(q * (N - 1))]  # the order statistic ddsketch targets: rank q·(n−1)
        got = sketch.quantile_ms(q)
        assert got is not None
        error = abs(got - exact) / exact
        worst = max(worst, error)
        assert error <= 0.01, (q, got, exact)
    low, high = quantile_rank_interval(N)
    assert sketch.value_at_rank_ms(low) == pytest.approx(ordered[low - 1], rel=0.01)
    assert sketch.value_at_rank_ms(high) == pytest.approx(ordered[high - 1], rel=0.01)
    print(f"\n{make.__name__[1:]}: worst relative error {worst:.4%} over q in {QUANTILES}")


def test_merged_minute_sketches_equal_one_sketch() -> None:
    """60 per-minute sketches merged give exactly the quantiles of one sketch over everything."""
    rng = np.random.default_rng(60)
    minutes = [rng.lognormal(np.log(100.0 + 5 * i), 0.5, 2000) for i in range(60)]
    whole = LatencySketch()
    parts = []
    for values in minutes:
        whole.add_many(values.tolist())
        part = LatencySketch()
        part.add_many(values.tolist())
        parts.append(part)
    merged = LatencySketch.merged(parts)
    assert merged.count == whole.count == 120_000
    for q in (0.0, 0.25, 0.5, 0.9, 0.95, 0.99, 1.0):
        assert merged.quantile_ms(q) == whole.quantile_ms(q)
    assert merged.max_ms == whole.max_ms == max(float(v.max()) for v in minutes)


def test_averaged_percentiles_are_wrong_where_merging_is_right() -> None:
    """Averaging per-minute P95s misses a bad minute's tail; the merged sketch keeps it."""
    rng = np.random.default_rng(7)
    quiet = [rng.lognormal(np.log(50.0), 0.3, 1000) for _ in range(9)]
    stalled = [rng.lognormal(np.log(1500.0), 0.2, 1000)]
    sketches = []
    for values in quiet + stalled:
        s = LatencySketch()
        s.add_many(values.tolist())
        sketches.append(s)
    exact = float(np.sort(np.concatenate(quiet + stalled))[int(0.95 * 9999)])
    merged = LatencySketch.merged(sketches).quantile_ms(0.95)
    averaged = float(np.mean([s.quantile_ms(0.95) for s in sketches]))
    assert merged == pytest.approx(exact, rel=0.01)
    assert abs(averaged - exact) / exact > 0.5


def test_empty_sketch_and_negative_values() -> None:
    s = LatencySketch()
    assert s.quantile_ms(0.95) is None and s.value_at_rank_ms(1) is None and s.max_ms is None
    s.add(-3.0)
    s.add(10.0)
    assert s.count == 2 and s.quantile_ms(0.0) == 0
