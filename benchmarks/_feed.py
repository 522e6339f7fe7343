"""Synthetic data for the controller: heartbeats on an accelerated clock, and chart history rows."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime
from typing import Any

from canary_tui.config import Config, EnvironmentConfig
from canary_tui.controller.factory import build_controller
from canary_tui.core.clock import ManualClock
from canary_tui.core.samples import Deployment, Heartbeat, HeartbeatStatus, LatencyBuckets, Metrics, VariantMetrics

LE_MS: tuple[float, ...] = (50, 100, 250, 500, 750, 1000, 1500, 2500, 5000)
#: share of requests within each LE_MS edge (healthy: log-normal, median 28 ms, p95 ~ 104 ms)
_WITHIN = (0.75, 0.95, 0.995, 0.9995, 1.0, 1.0, 1.0, 1.0, 1.0)


class SyntheticFeed:
    """Healthy heartbeats at `requests_per_s`, canary at `percent`, counters growing with the clock."""

    def __init__(self, clock: ManualClock, *, percent: int = 10, requests_per_s: float = 100.0, seed: int = 1) -> None:
        self.clock = clock
        self.rng = random.Random(seed)
        self.requests_per_s = requests_per_s
        self.share = percent / 100.0
        self.requests = [0, 0]  # canary, stable
        self.errors = [0, 0]
        self.deployment = Deployment(
            id="dep-bench", environment="staging", stable_version="v0.4.1", canary_version="v0.5.0",
            canary_percent=percent, updated_at=datetime.fromtimestamp(clock.now(), tz=UTC), updated_by="bench",
        )

    def next(self, step_s: float) -> Heartbeat:
        """Advance the clock by step_s and return the heartbeat fetched then."""
        self.clock.advance(step_s)
        rng = self.rng
        variants = []
        for i, share in enumerate((self.share, 1.0 - self.share)):
            n = int(round(self.requests_per_s * step_s * share))
            self.requests[i] += n
            if rng.random() < 0.0005 * n:
                self.errors[i] += 1
            total = self.requests[i]
            buckets = LatencyBuckets(LE_MS, tuple(int(total * w) for w in _WITHIN))
            wobble = rng.gauss(0.0, 1.0)
            variants.append(VariantMetrics(total, self.errors[i], 28.0 + wobble, 104.0 + 4 * wobble, 180.0 + 6 * wobble, buckets))
        canary, stable = variants
        requests, errors = sum(self.requests), sum(self.errors)
        now = self.clock.now()
        metrics = Metrics(requests, errors, 60.0, 28.0, 104.0, 180.0, canary, stable,
                          LatencyBuckets(LE_MS, tuple(int(requests * w) for w in _WITHIN)))
        return Heartbeat(timestamp=datetime.fromtimestamp(now, tz=UTC), status=HeartbeatStatus.OK,
                         deployment=self.deployment, metrics=metrics, verified=True, signature_valid=None,
                         fetched_at_s=now, response_ms=3.0)


def history_row(fields: tuple[str, ...], i: int, noise: float) -> dict[str, float]:
    """Chart values of sample i: a slow 6 h wave plus per-sample noise (`noise` >= 0, e.g. exponential).

    The noise keeps every bucket's maximum jagged at any zoom, as real latencies are, so
    no history length gets a smoother (cheaper to draw) line than another.
    """
    wave = 40.0 * math.sin(2 * math.pi * i / (6 * 3600))
    spike = 30.0 * noise
    row: dict[str, float] = {}
    for prefix, base in (("", 280.0), ("canary_", 290.0), ("stable_", 270.0)):
        row[f"{prefix}p50_ms"] = base * 0.4 + wave / 4 + spike / 4
        row[f"{prefix}p95_ms"] = base + wave + spike
        row[f"{prefix}p99_ms"] = base * 1.4 + wave + 1.5 * spike
        row[f"{prefix}error_rate"] = 0.0005 + 0.0002 * noise
    return {k: v for k, v in row.items() if k in fields}


def load_history(controller: Any, seconds: int, step_s: int, end_s: float, seed: int = 1) -> int:
    """Append `seconds` of samples every step_s ending at end_s to controller.history; returns the count."""
    fields = controller.history_fields
    rng = random.Random(seed)
    start_s = end_s - seconds
    count = 0
    for i in range(0, seconds, step_s):
        controller.history.append(start_s + i, history_row(fields, i, rng.expovariate(1.0)))
        count += 1
    return count


class OfflineClient:
    """Stands in for the Mission client where a benchmark feeds heartbeats by hand (no network, no token)."""

    has_token = False


def offline_controller(seconds: int, step_s: int) -> tuple[Any, ManualClock]:
    """A read-only controller with no network whose history holds `seconds` of samples, then one observed heartbeat."""
    clock = ManualClock()
    env = EnvironmentConfig(name="bench", url="http://127.0.0.1:9")
    controller = build_controller(env, Config(), clock=clock, client=OfflineClient(), audit=False, read_only=True)
    load_history(controller, seconds, step_s, clock.now())
    controller.observe(SyntheticFeed(clock).next(step_s))  # chart() draws once a heartbeat was observed
    return controller, clock
