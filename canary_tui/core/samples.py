"""Typed heartbeat samples: the immutable shape of one Mission Control heartbeat.

These are the values every layer passes around. `canary_tui.mission.parse`
builds them from the wire (and owns all validation); everything else only
reads them.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime


class HeartbeatStatus(enum.StrEnum):
    """The server's own status word (contract: ok, degraded, down)."""

    OK = "ok"
    DEGRADED = "degraded"
    DOWN = "down"


@dataclass(frozen=True, slots=True)
class LatencyBuckets:
    """Cumulative latency histogram: counts[i] requests finished within le_ms[i]."""

    le_ms: tuple[float, ...]
    counts: tuple[int, ...]

    def slower_than(self, threshold_ms: float, total_requests: int) -> int | None:
        """Requests slower than threshold_ms, or None when no bucket edge sits on it."""
        for edge_ms, count in zip(self.le_ms, self.counts, strict=True):
            if edge_ms == threshold_ms:
                return max(0, total_requests - count)
        return None

    def quantile_ms(self, quantile: float, total_requests: int) -> float | None:
        """The quantile interpolated linearly inside its bucket (as PromQL's histogram_quantile), None without requests.

        Requests beyond the last edge count as at that edge: the answer is never above the histogram's range.
        """
        if total_requests <= 0:
            return None
        rank = quantile * total_requests
        lower_ms, below = 0.0, 0
        for edge_ms, count in zip(self.le_ms, self.counts, strict=True):
            if count >= rank and count > below:
                return lower_ms + (edge_ms - lower_ms) * (rank - below) / (count - below)
            lower_ms, below = edge_ms, count
        return self.le_ms[-1] if self.le_ms else None


#: where a heartbeat's request figures came from: Mission Control's own summary, or a Prometheus server
METRICS_SOURCES = ("heartbeat", "prometheus")


@dataclass(frozen=True, slots=True)
class VariantMetrics:
    """One variant's figures (canary or stable): monotonic counters, window percentiles."""

    requests: int
    errors: int
    p50_ms: float | None = None
    p95_ms: float | None = None
    p99_ms: float | None = None
    latency_buckets: LatencyBuckets | None = None


@dataclass(frozen=True, slots=True)
class Metrics:
    """Whole-service counters and window percentiles, plus optional per-variant splits."""

    requests: int
    errors: int
    window_s: float
    p50_ms: float | None = None
    p95_ms: float | None = None
    p99_ms: float | None = None
    canary: VariantMetrics | None = None
    stable: VariantMetrics | None = None
    latency_buckets: LatencyBuckets | None = None
    source: str = "heartbeat"  # one of METRICS_SOURCES: who counted these figures


@dataclass(frozen=True, slots=True)
class Deployment:
    """Who serves what: versions, the canary's traffic share and the pause flag."""

    id: str
    environment: str
    stable_version: str
    canary_version: str
    canary_percent: int
    paused: bool = False
    updated_at: datetime | None = None
    updated_by: str | None = None


@dataclass(frozen=True, slots=True)
class Heartbeat:
    """One parsed heartbeat plus what the client observed while fetching it.

    `signature_valid` is None when no signing secret is configured (not checked).
    `fetched_at_s` is the injected clock's reading (epoch seconds) when the body arrived.
    """

    timestamp: datetime
    status: HeartbeatStatus
    deployment: Deployment
    metrics: Metrics
    verified: bool
    signature_valid: bool | None = None
    fetched_at_s: float = 0.0
    response_ms: float = 0.0

    @property
    def signature_ok(self) -> bool:
        """False when the server's own check or our HMAC check failed."""
        return self.verified and self.signature_valid is not False
