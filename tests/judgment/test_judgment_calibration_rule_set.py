"""Calibration of the whole auto-rollback rule set as the controller runs it, at low traffic.

Seed triggers (error CUSUM) + evidence rule (mixture e-value, Wilson 99% bound over 3 windows),
20 canary and 180 stable requests per 1 Hz poll (a 10% stage). The runs go through a vectorised
copy (rule_set_model.py), checked poll for poll against the real rules behind the controller's
Judge. Seeded, so every figure below is reproducible; the printed intervals are exact
(Clopper–Pearson, 95%) binomial intervals on the run counts.

    .venv/bin/python -m pytest -q -s tests/judgment/test_judgment_calibration_rule_set.py -p no:randomly
"""

from __future__ import annotations

import numpy as np
import pytest
from rule_set_model import Scenario, clopper_pearson, draw, replay, simulate

DAY_POLLS = 24 * 3600
RUNS_DAY = 1000  # 24 h runs per no-regression scenario (1000 × 86 400 looks)
RUNS_FAST = 2000


def _report(name: str, first: np.ndarray) -> tuple[float, float | None]:
    """Print and return (share of runs rolled back, median seconds to the rollback)."""
    caught = first > 0
    k, n = int(caught.sum()), first.size
    low, high = clopper_pearson(k, n)
    median = float(np.median(first[caught])) if k else None
    p99 = float(np.percentile(first[caught], 99)) if k else None
    print(f"\n{name}: rolled back in {k}/{n} runs = {k / n:.2%} (95% CI {low:.2%}–{high:.2%}); "
          f"median {median} s, P99 {p99} s")
    return k / n, median


@pytest.mark.parametrize(
    ("scenario", "runs", "polls", "seed", "trips"),
    [(Scenario(0.10, 0.005), 3, 600, 1, True), (Scenario(0.01, 0.005), 3, 1800, 2, True),
     (Scenario(0.005, 0.005), 2, 1800, 3, False)],
)
def test_the_vectorised_copy_is_the_rule_set(scenario: Scenario, runs: int, polls: int, seed: int, trips: bool) -> None:
    """Same counts, same first rollback poll: numpy copy and real rules (SeedRollbackRule + EvidenceRule via Judge)."""
    from rule_set_model import RuleSetModel

    counts = draw(scenario, runs, polls, np.random.default_rng(seed))
    model = RuleSetModel(runs)
    model.feed(*counts)
    assert bool((model.first > 0).all()) is trips
    for run in range(runs):
        assert replay(*counts, run, polls) == model.first[run], run


def test_healthy_canary_false_rollbacks_at_most_1_percent() -> None:
    """Canary and stable at 0.5% errors, 24 h of 1 Hz looks: false auto-rollback ≤ 1% of runs."""
    rate, _ = _report("healthy 0.5% vs 0.5%, 24 h", simulate(Scenario(0.005, 0.005), RUNS_DAY, DAY_POLLS, 20261207))
    assert rate <= 0.01


def test_both_at_four_percent_rarely_roll_back() -> None:
    """Both variants at a true 4% (below the 5% trigger, canary no worse): auto-rollback ≤ 1% of runs."""
    rate, _ = _report("both 4%, 24 h", simulate(Scenario(0.04, 0.04), RUNS_DAY, DAY_POLLS, 20261208))
    assert rate <= 0.01


@pytest.mark.parametrize("stable", [0.005, 0.04])
def test_true_ten_percent_canary_rolls_back_within_seconds(stable: float) -> None:
    """A true 10% canary: rolled back in ≥ 99% of runs (within 10 min), median ≤ 30 s."""
    first = simulate(Scenario(0.10, stable), RUNS_FAST, 600, 20261209)
    rate, median = _report(f"10% canary vs {stable:.1%} stable", first)
    assert rate >= 0.99 and median is not None and median <= 30


def test_two_fold_regression_caught_within_minutes() -> None:
    """1% against 0.5% (2× relative): caught in ≥ 99% of runs (within 2 h), median ≤ 5 min."""
    first = simulate(Scenario(0.01, 0.005), RUNS_FAST, 2 * 3600, 20261210)
    rate, median = _report("2x regression 1% vs 0.5%", first)
    assert rate >= 0.99 and median is not None and median <= 300
