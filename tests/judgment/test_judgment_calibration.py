"""Calibration of the evidence rules over simulated 24 h ramps (judgment.md, "Sequential evidence").

Each run: 100 req/s, a look every minute (6000 requests per window), canary share 10% for
12 h then 50% for 12 h, errors drawn per variant. The mixture e-value and the Wilson trips
are computed with numpy over all runs at once (vectorised copies of core.stats' formulas),
and cross-checked window by window against core.judgment.Evidence on a few runs.
Nothing is shrunk: 2000 runs × 1440 looks for each scenario.
"""

from __future__ import annotations

import math

import numpy as np

from canary_tui.core.judgment import Evidence, JudgmentConfig, WindowCounts
from canary_tui.core.stats import MIXTURE_KS, Z_99

RUNS = 2000
LOOKS = 24 * 60
REQUESTS_PER_WINDOW = 6000
BASE_ERROR_RATE = 0.005
ALPHA = 0.01


def _simulate(seed: int, canary_error_rate: float, runs: int = RUNS) -> dict[str, np.ndarray]:
    """Per-run, per-minute counts for one scenario."""
    rng = np.random.default_rng(seed)
    share = np.where(np.arange(LOOKS) < LOOKS // 2, 0.10, 0.50)
    n_c = rng.binomial(REQUESTS_PER_WINDOW, np.broadcast_to(share, (runs, LOOKS)))
    n_b = REQUESTS_PER_WINDOW - n_c
    x_c = rng.binomial(n_c, canary_error_rate)
    x_b = rng.binomial(n_b, BASE_ERROR_RATE)
    return {"n_c": n_c, "n_b": n_b, "x_c": x_c, "x_b": x_b}


def _log_mixture(c: dict[str, np.ndarray]) -> np.ndarray:
    """ln M after each window, all runs at once (log space; same formula as MixtureEValue)."""
    w = c["n_c"] / (c["n_c"] + c["n_b"])
    logs = []
    for k in MIXTURE_KS:
        denominator = k * w + 1.0 - w
        step = c["x_c"] * np.log(k / denominator) + c["x_b"] * np.log(1.0 / denominator)
        logs.append(np.cumsum(step, axis=1))
    stacked = np.stack(logs)
    top = stacked.max(axis=0)
    return top + np.log(np.exp(stacked - top).sum(axis=0)) - math.log(len(MIXTURE_KS))


def _wilson_trip(c: dict[str, np.ndarray], needed: int = 3, rate: float = 0.05) -> np.ndarray:
    """True where the Wilson 99% lower bound of the canary error rate > rate for `needed` windows in a row."""
    n, x, z2 = c["n_c"].astype(float), c["x_c"].astype(float), Z_99 * Z_99
    center = (x + z2 / 2) / (n + z2)
    half = Z_99 / (n + z2) * np.sqrt(x * (n - x) / n + z2 / 4)
    breach = (center - half > rate) & (n >= 100)
    run = np.zeros(breach.shape[0], dtype=int)
    tripped = np.zeros_like(breach)
    for t in range(breach.shape[1]):
        run = np.where(breach[:, t], run + 1, 0)
        tripped[:, t] = run >= needed
    return tripped


def _first_rollback(c: dict[str, np.ndarray]) -> np.ndarray:
    """Minute (1-based) of the first rollback per run, 0 when none."""
    rolled = (_log_mixture(c) >= -math.log(ALPHA)) | _wilson_trip(c)
    first = rolled.argmax(axis=1) + 1
    return np.where(rolled.any(axis=1), first, 0)


def _evidence_first_rollback(c: dict[str, np.ndarray], run: int) -> tuple[int, list[float]]:
    """The same run through core.judgment.Evidence: first rollback minute and ln M per window."""
    ev = Evidence(JudgmentConfig(alpha=ALPHA))
    ev.percent, ev.window_started_s = 10, 0.0
    log_es, first = [], 0
    for t in range(LOOKS):
        counts = WindowCounts(int(c["n_c"][run, t]), int(c["x_c"][run, t]), int(c["n_b"][run, t]), int(c["x_b"][run, t]))
        ev.add_counts(counts, 60.0 * (t + 1))
        log_es.append(ev.error_mixture.log_e)
        if not first and ev.rollback_trips():
            first = t + 1
    return first, log_es


def test_vectorised_copy_matches_core_evidence() -> None:
    """The numpy copy and core.judgment agree window by window, and on when they roll back."""
    healthy, regressed = _simulate(11, BASE_ERROR_RATE, 3), _simulate(12, 2 * BASE_ERROR_RATE, 3)
    for c in (healthy, regressed):
        log_m, first = _log_mixture(c), _first_rollback(c)
        for run in range(3):
            core_first, core_log = _evidence_first_rollback(c, run)
            np.testing.assert_allclose(core_log, log_m[run], rtol=1e-9, atol=1e-9)
            assert core_first == first[run]


def _sprt_regression_first(c: dict[str, np.ndarray], k: float = 1.5, beta: float = 0.05) -> np.ndarray:
    """Wald's SPRT at k (stopped at its first boundary): True where it ends on 'regression'."""
    w = c["n_c"] / (c["n_c"] + c["n_b"])
    d = k * w + 1.0 - w
    llr = np.cumsum(c["x_c"] * np.log(k / d) + c["x_b"] * np.log(1.0 / d), axis=1)
    upper, lower = math.log((1 - beta) / ALPHA), math.log(beta / (1 - ALPHA))
    up = np.where((llr >= upper).any(axis=1), (llr >= upper).argmax(axis=1), LOOKS)
    down = np.where((llr <= lower).any(axis=1), (llr <= lower).argmax(axis=1), LOOKS)
    return up < down


def test_false_rollbacks_at_most_5_percent() -> None:
    """Healthy canary (0.5% errors both sides): rolled back in at most 5% of 24 h ramps."""
    c = _simulate(20261126, BASE_ERROR_RATE)
    first = _first_rollback(c)
    rate = float((first > 0).mean())
    sprt_rate = float(_sprt_regression_first(c).mean())
    print(f"\nfalse rollbacks: {rate:.2%} of {RUNS} healthy 24 h ramps (looks every minute); "
          f"Wald SPRT k=1.5 alone would end on 'regression' in {sprt_rate:.2%}")
    assert rate <= 0.05
    assert rate <= ALPHA * 1.6  # Ville: at most α, up to Monte-Carlo noise
    assert sprt_rate <= 0.05


def test_naive_fixed_horizon_test_fails_calibration() -> None:
    """Control: re-testing a fixed-horizon z-test every minute rolls back far too often."""
    c = _simulate(7, BASE_ERROR_RATE)
    xc, nc = np.cumsum(c["x_c"], axis=1), np.cumsum(c["n_c"], axis=1)
    xb, nb = np.cumsum(c["x_b"], axis=1), np.cumsum(c["n_b"], axis=1)
    pooled = (xc + xb) / (nc + nb)
    se = np.sqrt(pooled * (1 - pooled) * (1 / nc + 1 / nb))
    z = np.divide(xc / nc - xb / nb, se, out=np.zeros_like(se), where=se > 0)
    rate = float((np.abs(z) > 1.96).any(axis=1).mean())
    print(f"\nnaive z-test every minute: {rate:.1%} false rollbacks")
    assert rate > 0.2


def test_two_fold_regression_caught_fast() -> None:
    """Canary at 1% errors against 0.5%: caught in ≥ 99% of runs, median ≤ 10 minutes."""
    first = _first_rollback(_simulate(314159, 2 * BASE_ERROR_RATE))
    caught = first > 0
    rate, median = float(caught.mean()), float(np.median(first[caught]))
    p90 = float(np.percentile(first[caught], 90))
    print(f"\n2x regression: caught {rate:.2%} of {RUNS} runs, median {median:.0f} min, P90 {p90:.0f} min")
    assert rate >= 0.99
    assert median <= 10


def test_high_absolute_error_rate_trips_wilson() -> None:
    """Both sides at 12% errors (no relative regression): the absolute Wilson trip still fires in 3 windows."""
    rng = np.random.default_rng(5)
    ev = Evidence(JudgmentConfig())
    ev.percent, ev.window_started_s = 10, 0.0
    for t in range(3):
        n_c = 600
        counts = WindowCounts(n_c, int(rng.binomial(n_c, 0.12)), 5400, int(rng.binomial(5400, 0.12)))
        ev.add_counts(counts, 60.0 * (t + 1))
        assert bool(ev.rollback_trips()) == (t == 2)
