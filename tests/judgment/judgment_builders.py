"""A seeded fake Mission Control for judgment tests: cumulative per-variant counters and buckets."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timezone

import numpy as np

from canary_tui.core.rates import compute_rates
from canary_tui.core.rules import Observation
from canary_tui.core.samples import Deployment, Heartbeat, HeartbeatStatus, LatencyBuckets, Metrics, VariantMetrics

LE_MS = (50.0, 100.0, 250.0, 500.0, 750.0, 1000.0, 1500.0, 2500.0, 5000.0)
START_S = 1_795_003_200.0


def _bin_probabilities(median_ms: float, sigma: float) -> list[float]:
    """Probability of each le bin (plus the overflow) for a log-normal latency."""
    cdf = [0.5 * (1 + math.erf((math.log(le) - math.log(median_ms)) / (sigma * math.sqrt(2)))) for le in LE_MS]
    edges = [0.0, *cdf, 1.0]
    return [max(0.0, b - a) for a, b in zip(edges, edges[1:])]


@dataclass
class Variant:
    """Cumulative counters of one variant."""

    requests: int = 0
    errors: int = 0
    bins: list[int] = field(default_factory=lambda: [0] * (len(LE_MS) + 1))

    def metrics(self, with_buckets: bool) -> VariantMetrics:
        cumulative = list(np.cumsum(self.bins[:-1]).astype(int))
        buckets = LatencyBuckets(LE_MS, tuple(int(c) for c in cumulative)) if with_buckets else None
        return VariantMetrics(self.requests, self.errors, p95_ms=250.0, latency_buckets=buckets)


@dataclass
class FakeServer:
    """Traffic at `requests_per_s`, split by `percent`; each variant with its own error rate and latency."""

    seed: int = 0
    percent: int = 10
    requests_per_s: float = 100.0
    stable_error_rate: float = 0.005
    canary_error_rate: float = 0.005
    stable_median_ms: float = 120.0
    canary_median_ms: float = 120.0
    per_variant: bool = True
    buckets: bool = True
    canary_version: str = "v0.5.0"
    aggregate_p95_ms: float = 287.0
    now_s: float = START_S
    updated_at_s: float = START_S
    canary: Variant = field(default_factory=Variant)
    stable: Variant = field(default_factory=Variant)

    def __post_init__(self) -> None:
        self.rng = np.random.default_rng(self.seed)

    def set_percent(self, percent: int) -> None:
        self.percent, self.updated_at_s = percent, self.now_s

    def step(self, dt_s: float) -> Heartbeat:
        """Advance time by dt_s and return the heartbeat at the end."""
        self.now_s += dt_s
        n = int(self.rng.poisson(self.requests_per_s * dt_s))
        n_c = int(self.rng.binomial(n, self.percent / 100))
        for variant, count, rate, median in (
            (self.canary, n_c, self.canary_error_rate, self.canary_median_ms),
            (self.stable, n - n_c, self.stable_error_rate, self.stable_median_ms),
        ):
            variant.requests += count
            variant.errors += int(self.rng.binomial(count, rate))
            for i, c in enumerate(self.rng.multinomial(count, _bin_probabilities(median, 0.5))):
                variant.bins[i] += int(c)
        return self.heartbeat()

    def heartbeat(self) -> Heartbeat:
        total_r = self.canary.requests + self.stable.requests
        total_e = self.canary.errors + self.stable.errors
        metrics = Metrics(
            requests=total_r, errors=total_e, window_s=60, p50_ms=120.0, p95_ms=self.aggregate_p95_ms, p99_ms=400.0,
            canary=self.canary.metrics(self.buckets) if self.per_variant else None,
            stable=self.stable.metrics(self.buckets) if self.per_variant else None,
        )
        deployment = Deployment(
            "dep-1", "staging", "v0.4.1", self.canary_version, self.percent,
            updated_at=datetime.fromtimestamp(self.updated_at_s, tz=timezone.utc),
        )
        return Heartbeat(
            timestamp=datetime.fromtimestamp(self.now_s, tz=timezone.utc), status=HeartbeatStatus.OK,
            deployment=deployment, metrics=metrics, verified=True, fetched_at_s=self.now_s,
        )


def observation(current: Heartbeat, previous: Heartbeat | None, *, stale: bool = False) -> Observation:
    """What the controller hands a rule for one new heartbeat."""
    rates = compute_rates(previous, current) if previous is not None else None
    return Observation(heartbeat=current, rates=rates, stale=stale, now_s=current.fetched_at_s,
                       stage_percent=current.deployment.canary_percent, previous=previous)
