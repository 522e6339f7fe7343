"""A history store filled with N hours of one target at 1 Hz (what 72 h of watching leaves behind), for the store figures."""

from __future__ import annotations

import math
import random
from pathlib import Path

from canary_tui.store import HistoryStore, StoredBeat

#: rows per transaction while filling
CHUNK = 3600


def synthetic_beat(target: str, server_s: int, i: int, rng: random.Random, version: str, percent: int) -> StoredBeat:
    """One plausible heartbeat `i` seconds into the past: ~50 requests/s, 10% to the canary, percentiles wandering."""
    canary_requests, stable_requests = 5 * i, 45 * i
    wave = 20.0 * math.sin(i / 600.0)
    p95 = 180.0 + wave + rng.uniform(-15.0, 15.0)
    return StoredBeat(
        target=target, server_s=server_s, observed_s=server_s + 0.2, canary_version=version, stable_version="v0.4.1",
        canary_percent=percent, paused=False, verified=True, requests=50 * i, errors=i // 40,
        canary_requests=canary_requests, canary_errors=i // 200, stable_requests=stable_requests, stable_errors=i // 50,
        p50_ms=60.0 + wave / 4, p95_ms=p95, p99_ms=p95 * 1.6, canary_p50_ms=62.0, canary_p95_ms=p95 + 5.0, canary_p99_ms=p95 * 1.7,
        stable_p50_ms=59.0, stable_p95_ms=p95 - 2.0, stable_p99_ms=p95 * 1.5, error_rate=0.02, canary_error_rate=0.005,
        stable_error_rate=0.022, requests_per_s=50.0, data_age_s=0.2,
        slow_gate_ms=500.0, canary_slow_gate=i // 100, stable_slow_gate=i // 11, canary_slow_trip=i // 1000, stable_slow_trip=i // 110,
    )


def fill(path: Path, target: str, end_s: float, hours: float, *, version: str = "v0.5.0", percent: int = 10) -> int:
    """Write `hours` of 1 Hz rows of `target` ending at `end_s` (one stage: `version` at `percent`); returns rows written."""
    rng = random.Random(16)
    count = int(hours * 3600)
    first_s = int(end_s) - count
    store = HistoryStore.open(path)
    try:
        for start in range(0, count, CHUNK):
            store.record([synthetic_beat(target, first_s + i, i, rng, version, percent) for i in range(start, min(count, start + CHUNK))])
        store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        store.close()
    return count
