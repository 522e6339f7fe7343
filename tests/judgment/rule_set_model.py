"""A vectorised copy of the whole auto-rollback rule set as the controller runs it, poll by poll.

Per poll (1 Hz): the seed's error CUSUM on the canary's counts (core/seed_triggers.py).
Per closed 60 s window: the mixture e-value canary against stable, and the Wilson 99% lower
bound of the canary error rate, debounced over 3 windows (core/evidence.py). All runs at once
with numpy; `replay` feeds the same counts through the real rules (SeedRollbackRule and
EvidenceRule behind controller/judging.Judge) so the copy can be checked against them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np

from canary_tui.controller.judging import Judge
from canary_tui.core.evidence import JudgmentConfig
from canary_tui.core.evidence_rule import EvidenceRule
from canary_tui.core.plans import STANDARD
from canary_tui.core.rates import compute_rates
from canary_tui.core.rules import Observation, SeedRollbackRule
from canary_tui.core.samples import Deployment, Heartbeat, HeartbeatStatus, Metrics, VariantMetrics
from canary_tui.core.seed_triggers import CUSUM_H
from canary_tui.core.stats import MIXTURE_KS, Z_99
from canary_tui.core.thresholds import ThresholdTable

CFG = JudgmentConfig()
WINDOW_POLLS = int(CFG.window_s)  # one poll per second
START_S = 1_795_003_200.0
A_ERR, B_OK = math.log(2.0), math.log(0.90 / 0.95)


@dataclass(frozen=True)
class Scenario:
    """One simulated canary stage: true error rates and requests per 1 s poll (20 canary, 180 stable: 10%)."""

    canary_error_rate: float
    stable_error_rate: float
    canary_per_poll: int = 20
    stable_per_poll: int = 180


def draw(s: Scenario, runs: int, polls: int, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    """(n_c, x_c, n_b, x_b), each (polls, runs)."""
    n_c = np.full((polls, runs), s.canary_per_poll, dtype=np.int64)
    n_b = np.full((polls, runs), s.stable_per_poll, dtype=np.int64)
    x_c = rng.binomial(s.canary_per_poll, s.canary_error_rate, size=(polls, runs))
    x_b = rng.binomial(s.stable_per_poll, s.stable_error_rate, size=(polls, runs))
    return n_c, x_c, n_b, x_b


class RuleSetModel:
    """The rule set's state for many runs at once, fed chunk by chunk (chunks a whole number of windows)."""

    def __init__(self, runs: int) -> None:
        self.runs, self.polls = runs, 0
        self.first = np.zeros(runs, dtype=np.int64)  # poll (1-based) of the first rollback, 0 when none
        self.cusum = np.zeros(runs)
        self.log_products = np.zeros((len(MIXTURE_KS), runs))
        self.wilson_run = np.zeros(runs, dtype=np.int64)

    def feed(self, n_c: np.ndarray, x_c: np.ndarray, n_b: np.ndarray, x_b: np.ndarray) -> None:
        """One chunk of polls, (polls, runs) each."""
        polls = n_c.shape[0]
        assert polls % WINDOW_POLLS == 0
        first, t0 = self.first, self.polls
        steps = x_c * A_ERR + (n_c - x_c) * B_OK  # the seed's CUSUM, poll by poll
        s = self.cusum
        for t in range(polls):
            s = np.maximum(0.0, s + steps[t])
            hit = (s >= CUSUM_H) & (first == 0)
            first[hit] = t0 + t + 1
        self.cusum = s
        shape = (polls // WINDOW_POLLS, WINDOW_POLLS, self.runs)  # the evidence rule, per closed 60 s window
        wn_c, wx_c = n_c.reshape(shape).sum(1), x_c.reshape(shape).sum(1)
        wn_b, wx_b = n_b.reshape(shape).sum(1), x_b.reshape(shape).sum(1)
        n, x, z2 = wn_c.astype(float), wx_c.astype(float), Z_99 * Z_99
        low = (x + z2 / 2) / (n + z2) - Z_99 / (n + z2) * np.sqrt(x * (n - x) / np.maximum(n, 1.0) + z2 / 4)
        enough = wn_c >= CFG.min_window_requests
        w = wn_c / np.maximum(1, wn_c + wn_b)
        for i in range(shape[0]):
            for j, k in enumerate(MIXTURE_KS):
                d = k * w[i] + 1.0 - w[i]
                self.log_products[j] += wx_c[i] * np.log(k / d) + wx_b[i] * np.log(1.0 / d)
            top = self.log_products.max(axis=0)
            log_m = top + np.log(np.exp(self.log_products - top).sum(axis=0)) - math.log(len(MIXTURE_KS))
            breach = enough[i] & (low[i] > CFG.trip_rate)
            self.wilson_run = np.where(enough[i], np.where(breach, self.wilson_run + 1, 0), self.wilson_run)
            hit = ((log_m >= -math.log(CFG.alpha)) | (self.wilson_run >= CFG.debounce_windows)) & (first == 0)
            first[hit] = t0 + (i + 1) * WINDOW_POLLS
        self.polls += polls


def simulate(s: Scenario, runs: int, polls: int, seed: int, chunk: int = 3600) -> np.ndarray:
    """First rollback poll per run (0: none) over `polls` 1 Hz looks, all runs at once."""
    rng, model = np.random.default_rng(seed), RuleSetModel(runs)
    for start in range(0, polls, chunk):
        model.feed(*draw(s, runs, min(chunk, polls - start), rng))
    return model.first


def _heartbeat(at_s: float, c: tuple[int, int], b: tuple[int, int]) -> Heartbeat:
    """A heartbeat with cumulative per-variant counters (no latency buckets; P95 a healthy 250 ms)."""
    dep = Deployment("dep-1", "staging", "v1", "v2", 10, updated_at=datetime.fromtimestamp(START_S, tz=UTC))
    metrics = Metrics(c[0] + b[0], c[1] + b[1], 60.0, 100.0, 250.0, 400.0,
                      canary=VariantMetrics(c[0], c[1], p95_ms=250.0), stable=VariantMetrics(b[0], b[1], p95_ms=250.0))
    return Heartbeat(datetime.fromtimestamp(at_s, tz=UTC), HeartbeatStatus.OK, dep, metrics, True,
                     fetched_at_s=at_s)


def replay(n_c: np.ndarray, x_c: np.ndarray, n_b: np.ndarray, x_b: np.ndarray, run: int, polls: int) -> int:
    """The same counts through the real rules behind the controller's Judge: first rollback poll, 0 if none."""
    judge = Judge((SeedRollbackRule(), EvidenceRule(plan=STANDARD)), ThresholdTable.seed())
    c, b = [0, 0], [0, 0]
    prev = _heartbeat(START_S, (0, 0), (0, 0))
    judge.observe(Observation(prev, None, False, START_S, 10, stage_entered_s=START_S))
    for t in range(polls):
        c = [c[0] + int(n_c[t, run]), c[1] + int(x_c[t, run])]
        b = [b[0] + int(n_b[t, run]), b[1] + int(x_b[t, run])]
        now = START_S + t + 1
        cur = _heartbeat(now, (c[0], c[1]), (b[0], b[1]))
        obs = Observation(cur, compute_rates(prev, cur), False, now, 10, previous=prev, stage_entered_s=START_S)
        if judge.observe(obs) is not None:
            return t + 1
        prev = cur
    return 0


def clopper_pearson(k: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Two-sided exact binomial interval for k successes in n trials (by bisection on the binomial tail)."""
    from scipy.stats import beta

    a = 1.0 - confidence
    low = 0.0 if k == 0 else float(beta.ppf(a / 2, k, n - k + 1))
    high = 1.0 if k == n else float(beta.ppf(1 - a / 2, k + 1, n - k))
    return low, high
