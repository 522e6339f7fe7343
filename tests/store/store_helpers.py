"""Small builders shared by the store tests."""

from __future__ import annotations

from canary_tui.store import StoredBeat


def beat(server_s: int, *, target: str = "staging", percent: int = 10, p95_ms: float | None = 100.0, requests: int | None = None) -> StoredBeat:
    """One plausible stored heartbeat at `server_s` (observed half a second later)."""
    return StoredBeat(
        target=target, server_s=server_s, observed_s=server_s + 0.5, canary_version="v0.5.0", stable_version="v0.4.0",
        canary_percent=percent, paused=False, verified=True, requests=requests if requests is not None else 10 * server_s,
        errors=server_s // 100, canary_requests=server_s, canary_errors=0, stable_requests=9 * server_s, stable_errors=0,
        p50_ms=40.0, p95_ms=p95_ms, p99_ms=180.0, canary_p95_ms=p95_ms, stable_p95_ms=90.0, error_rate=0.01,
        canary_error_rate=0.0, stable_error_rate=0.011, requests_per_s=10.0, data_age_s=0.5,
    )
