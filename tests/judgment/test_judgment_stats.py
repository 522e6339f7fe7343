"""Wilson intervals, binomial quantiles, order-statistic ranks, SPRT, mixture e-value, debounce, hysteresis."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats as sps

from canary_tui.core.samples import LatencyBuckets
from canary_tui.core.stats import (
    Debounce,
    Hysteresis,
    MixtureEValue,
    Sprt,
    binom_ppf,
    log_likelihood_ratio,
    quantile_low_data,
    quantile_rank_interval,
    rate_low_data,
    slow_count_delta,
    slow_counts,
    wilson_interval,
)

LE = (50.0, 100.0, 250.0, 500.0, 750.0, 1000.0, 1500.0, 2500.0, 5000.0)


# ------------------------------------------------------------- Wilson


@pytest.mark.parametrize(
    ("x", "n", "low", "high"),
    [  # Newcombe (1998), Table I, method 3 (Wilson score, 95%)
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0, 0.1611),
        (1, 29, 0.0061, 0.1718),
    ],
)
def test_wilson_matches_published_reference(x: int, n: int, low: float, high: float) -> None:
    got = wilson_interval(x, n)
    assert got == pytest.approx((low, high), abs=6e-5)


@settings(max_examples=150, deadline=None, derandomize=True)
@given(st.integers(1, 5000).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))), st.sampled_from([1.96, 2.576]))
def test_wilson_matches_scipy(xn: tuple[int, int], z: float) -> None:
    x, n = xn
    confidence = 0.95 if z == 1.96 else 0.99
    ref = sps.binomtest(x, n).proportion_ci(confidence_level=confidence, method="wilson")
    low, high = wilson_interval(x, n, z)
    assert low == pytest.approx(ref.low, abs=2e-4) and high == pytest.approx(ref.high, abs=2e-4)
    assert 0.0 <= low <= x / n <= high <= 1.0


def test_wilson_without_data_is_uninformative() -> None:
    assert wilson_interval(0, 0) == (0.0, 1.0)


# ------------------------------------------------------------- binomial quantile and ranks


def test_rank_intervals_of_judgment_md() -> None:
    assert quantile_rank_interval(100, 0.95, 0.95) == (90, 100)
    assert quantile_rank_interval(1000, 0.95, 0.95) == (936, 964)


@pytest.mark.parametrize("n", [1, 2, 10, 59, 100, 101, 500, 1000, 4321, 100_000, 1_000_000])
@pytest.mark.parametrize("q", [0.5, 0.9, 0.95, 0.99])
def test_rank_interval_agrees_with_scipy_oracle(n: int, q: float) -> None:
    low = int(sps.binom.ppf(0.025, n, q))
    high = min(n, int(sps.binom.ppf(0.975, n, q)) + 1)
    assert quantile_rank_interval(n, q) == (max(1, low), high)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.integers(0, 20_000), st.floats(0.0, 1.0), st.one_of(st.sampled_from([0.0, 1.0]), st.floats(1e-12, 1 - 1e-12)))
def test_binom_ppf_agrees_with_scipy(n: int, q: float, p: float) -> None:
    """Equal to scipy's answer, except on an exact tie (CDF(k) == p, e.g. the median of an odd n at q = 1/2)."""
    ours, oracle = binom_ppf(p, n, q), int(sps.binom.ppf(p, n, q))
    if ours != oracle:
        assert abs(ours - oracle) == 1
        assert sps.binom.cdf(min(ours, oracle), n, q) == pytest.approx(p, rel=1e-9)


def test_rank_interval_coverage_monte_carlo() -> None:
    """x_(l) ≤ true P95 ≤ x_(u) in between 95% and 99% of 4000 fixed-seed samples (log-normal)."""
    rng = np.random.default_rng(95)
    true_p95 = math.exp(0.5 * sps.norm.ppf(0.95))
    for n in (100, 1000):
        low, high = quantile_rank_interval(n)
        samples = np.sort(rng.lognormal(0.0, 0.5, size=(4000, n)), axis=1)
        covered = (samples[:, low - 1] <= true_p95) & (true_p95 <= samples[:, high - 1])
        coverage = float(covered.mean())
        print(f"\nrank interval ({low}, {high}) for n={n}: coverage {coverage:.3f}")
        assert 0.95 <= coverage <= 0.99


def test_low_data_flags() -> None:
    assert quantile_low_data(58, (100.0, 101.0), 100.0)
    assert not quantile_low_data(59, (95.0, 105.0), 100.0)
    assert quantile_low_data(1000, (80.0, 121.0), 100.0)
    assert rate_low_data(58, (0.0, 0.01)) and not rate_low_data(100, (0.0, 0.05))
    assert rate_low_data(100, (0.1, 0.35))


# ------------------------------------------------------------- slow counts


def test_slow_counts_from_buckets() -> None:
    buckets = LatencyBuckets(LE, (10, 40, 80, 90, 95, 97, 99, 100, 100))
    assert slow_counts(buckets, 100) == {500.0: 10, 1000.0: 3}
    assert slow_counts(None, 100) == {500.0: None, 1000.0: None}
    assert slow_counts(buckets, 100, (600.0,)) == {600.0: None}


def test_slow_count_delta_between_polls_and_after_restart() -> None:
    before = LatencyBuckets(LE, (10, 40, 80, 90, 95, 97, 99, 100, 100))
    after = LatencyBuckets(LE, (20, 70, 150, 170, 180, 185, 190, 200, 200))
    assert slow_count_delta(before, 100, after, 200, 500.0) == 30 - 10
    assert slow_count_delta(before, 100, after, 200, 1000.0) == 15 - 3
    restarted = LatencyBuckets(LE, (1, 2, 3, 4, 5, 5, 5, 5, 5))
    assert slow_count_delta(after, 200, restarted, 5, 500.0) == 1
    assert slow_count_delta(None, 0, after, 200, 500.0) is None
    assert slow_count_delta(before, 100, None, 200, 500.0) is None


# ------------------------------------------------------------- SPRT and mixture


def test_log_likelihood_ratio_formula() -> None:
    w, k = 0.1, 2.0
    rho = k * w / (k * w + 1 - w)
    expected = 3 * math.log(rho / w) + 27 * math.log((1 - rho) / (1 - w))
    assert log_likelihood_ratio(3, 27, w, k) == pytest.approx(expected, rel=1e-12)
    assert log_likelihood_ratio(0, 0, w, k) == 0.0
    assert log_likelihood_ratio(5, 0, 1.0, k) == 0.0  # no stable traffic: no comparison


def test_sprt_boundaries_and_decisions() -> None:
    sprt = Sprt(k=1.5, alpha=0.01, beta=0.05)
    assert sprt.upper == pytest.approx(math.log(0.95 / 0.01))
    assert sprt.lower == pytest.approx(math.log(0.05 / 0.99))
    assert sprt.status == "continue" and 0.0 < sprt.position < 1.0
    for _ in range(200):  # canary errors exactly at its share: drifts to accept
        sprt.update(3, 27, 600, 5400)
    assert sprt.status == "accept" and sprt.position == 0.0
    bad = Sprt()
    for _ in range(30):  # canary 3x worse
        bad.update(9, 27, 600, 5400)
    assert bad.status == "regression" and bad.position == 1.0


def test_mixture_is_log_space_and_never_overflows() -> None:
    m = MixtureEValue(alpha=0.01)
    assert m.log_e == pytest.approx(0.0) and m.e_value == pytest.approx(1.0) and not m.rejected
    for _ in range(1000):
        m.update(5000, 0, 5000, 5000)  # every error on the canary, huge counts
    assert math.isfinite(m.log_e) and m.log_e > 1000
    assert m.e_value == math.inf and m.rejected and m.position == 1.0
    m.reset()
    assert m.log_e == pytest.approx(0.0)


def test_mixture_matches_direct_formula_across_split_change() -> None:
    windows = [(3, 27, 600, 5400), (4, 26, 600, 5400), (15, 15, 3000, 3000), (20, 12, 3000, 3000)]
    m = MixtureEValue()
    for window in windows:
        m.update(*window)
    direct = 0.0
    for k in (1.25, 1.5, 2.0, 3.0, 5.0, 10.0):
        product = 1.0
        for x_c, x_b, n_c, n_b in windows:
            w = n_c / (n_c + n_b)
            rho = k * w / (k * w + 1 - w)
            product *= (rho / w) ** x_c * ((1 - rho) / (1 - w)) ** x_b
        direct += product / 6
    assert m.e_value == pytest.approx(direct, rel=1e-9)


def test_mixture_is_a_supermartingale_under_the_null() -> None:
    """E[M] ≤ 1 under 'same rate' (20000 runs of 20 windows; the sample mean of a heavy-tailed
    e-value sits below 1, while a wrong sign or share would blow it far above)."""
    rng = np.random.default_rng(3)
    x_total = rng.poisson(30, size=(20000, 20))
    w = np.where(np.arange(20) < 10, 0.1, 0.5)
    x_c = rng.binomial(x_total, w)
    x_b = x_total - x_c
    means = []
    for k in (1.25, 1.5, 2.0, 3.0, 5.0, 10.0):
        d = k * w + 1 - w
        means.append(np.exp((x_c * np.log(k / d) + x_b * np.log(1 / d)).sum(axis=1)))
    mean_m = float(np.mean(np.mean(means, axis=0)))
    assert mean_m <= 1.1


# ------------------------------------------------------------- debounce and hysteresis


def test_debounce_needs_consecutive_breaches_and_ignores_missing_data() -> None:
    d = Debounce(3)
    assert not d.update(True) and not d.update(True)
    assert not d.update(False)  # a clean window starts over
    assert not d.update(True) and not d.update(None) and not d.update(True)  # missing data changes nothing
    assert d.update(True) and d.tripped


def test_hysteresis_trips_debounced_and_clears_only_after_dwell_below_lower_threshold() -> None:
    h = Hysteresis(trip_above=0.05, clear_below=0.03, dwell_s=300, needed=3)
    t = 0.0
    for value in (0.06, 0.07):
        t += 60
        assert not h.update(value, t)
    t += 60
    assert h.update(0.06, t)
    for value in (0.04, 0.045, 0.04):  # below the trip line but above the clear line: stays tripped
        t += 60
        assert h.update(value, t)
    t += 60
    assert h.update(0.02, t)  # below the clear line, dwell starts
    t += 240
    assert h.update(0.02, t)  # 240 s < 300 s dwell
    t += 60
    assert not h.update(0.01, t)  # dwell met: cleared
    assert not h.update(None, t + 60)
    with pytest.raises(ValueError):
        Hysteresis(trip_above=0.03, clear_below=0.05, dwell_s=1)


def test_hysteresis_flapping_neither_flaps_nor_hides() -> None:
    h = Hysteresis(0.05, 0.03, 300, 3)
    states = [h.update(v, 60.0 * i) for i, v in enumerate([0.06, 0.01] * 20)]
    assert not any(states)  # alternating breach / clean never trips
    states = [h.update(0.06 if i < 3 else (0.02 if i % 2 else 0.06), 60.0 * (100 + i)) for i in range(30)]
    assert all(states[2:])  # once tripped, a flapping value never clears it
