"""Builders of core value types for tests/core (heartbeats with counters, per-variant splits)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from canary_tui.core.samples import Deployment, Heartbeat, HeartbeatStatus, Metrics, VariantMetrics

EPOCH = datetime(2026, 11, 26, 12, 0, 0, tzinfo=UTC)


def heartbeat(
    requests: int = 1000,
    errors: int = 5,
    *,
    at_s: float = 0.0,
    percent: int = 10,
    p50_ms: float | None = 25.0,
    p95_ms: float | None = 287.0,
    p99_ms: float | None = 400.0,
    canary: VariantMetrics | None = None,
    stable: VariantMetrics | None = None,
    verified: bool = True,
    signature_valid: bool | None = None,
) -> Heartbeat:
    """A heartbeat fetched at `at_s` (also its server timestamp) with the given counters."""
    return Heartbeat(
        timestamp=EPOCH + timedelta(seconds=at_s),
        status=HeartbeatStatus.OK,
        deployment=Deployment("dep-1", "staging", "v0.4.1", "v0.5.0", percent),
        metrics=Metrics(requests, errors, 60.0, p50_ms, p95_ms, p99_ms, canary, stable),
        verified=verified,
        signature_valid=signature_valid,
        fetched_at_s=at_s,
    )


def variant(requests: int, errors: int, p95_ms: float | None = 300.0, **kw: float | None) -> VariantMetrics:
    """Per-variant counters and percentiles."""
    return VariantMetrics(requests, errors, kw.get("p50_ms", 30.0), p95_ms, kw.get("p99_ms", 420.0))


def deterministic(max_examples: int = 100):
    """Hypothesis settings for this suite: a fixed seed, no example database, no deadline."""
    from hypothesis import settings

    return settings(derandomize=True, database=None, deadline=None, max_examples=max_examples)
