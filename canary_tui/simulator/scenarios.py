"""Scenario timelines: what each variant does, second by second, given when the operator ramped.

Times are simulated seconds (clock seconds × speed). The simulator never ramps by
itself: every timeline is anchored on the operator's moves. `live_s` is the first
simulated second the canary served traffic (percent > 0), `half_s` the first
second at 50% or more.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from canary_tui.simulator.traffic import VariantProfile

#: the healthy baseline of both variants, healthy on the seed table:
#: p50 28 ms, p95 ≈ 104 ms, p99 ≈ 180 ms, 0.05% errors
BASELINE = VariantProfile(error_rate=0.0005, median_ms=28.0, sigma=0.8)


@dataclass(frozen=True, slots=True)
class Anchors:
    """When the operator's ramp reached the points a timeline hangs on (simulated seconds)."""

    live_s: int | None = None
    half_s: int | None = None


def _since(anchor: int | None, second: int) -> float | None:
    """Seconds elapsed since an anchor, None before it or when it never happened."""
    if anchor is None or second < anchor:
        return None
    return float(second - anchor)


class Scenario:
    """The healthy default: the canary is exactly as good as stable, forever."""

    name = "healthy"
    description = "clean ramp: canary as good as stable"

    def __init__(self, seed: int) -> None:
        self.seed = seed

    def profiles(self, second: int, anchors: Anchors) -> tuple[VariantProfile, VariantProfile]:
        """(stable, canary) behaviour during simulated second `second`."""
        return BASELINE, BASELINE

    def status(self, second: int, anchors: Anchors) -> str:
        """The heartbeat's own status word."""
        return "ok"

    def outage(self, second: int, anchors: Anchors) -> bool:
        """Whether /api/* connections are dropped during this second."""
        return False

    def bad_signature(self, second: int, anchors: Anchors) -> bool:
        """Whether heartbeats are signed with the wrong key and say verified: false."""
        return False

    def reset_second(self, anchors: Anchors) -> int | None:
        """The second at which the server 'restarts' and its counters start again from 0."""
        return None


class LatencyRegression(Scenario):
    """Canary latency drifts up once the canary reaches 50%: its p95 passes 750 ms after ~34 s and 1000 ms after ~48 s (×12 at 60 s: ~1250 ms)."""

    name = "latency-regression"
    description = "canary P95 drifts past 750 ms once canary reaches 50%"
    drift_s = 60.0  # the canary's median climbs from 1× to (1 + max_extra)× over this long
    max_extra = 11.0

    def profiles(self, second: int, anchors: Anchors) -> tuple[VariantProfile, VariantProfile]:
        since = _since(anchors.half_s, second)
        if since is None:
            return BASELINE, BASELINE
        factor = 1.0 + self.max_extra * min(1.0, since / self.drift_s)
        return BASELINE, VariantProfile(BASELINE.error_rate, BASELINE.median_ms * factor, BASELINE.sigma)


class ErrorSpike(Scenario):
    """Canary errors jump from 0.05% to 8% after `after_s` seconds of canary traffic."""

    name = "error-spike"
    description = "canary errors jump to 8% after 120 s at the canary stage"
    after_s = 120.0
    spike_error_rate = 0.08

    def _spiking(self, second: int, anchors: Anchors) -> bool:
        since = _since(anchors.live_s, second)
        return since is not None and since >= self.after_s

    def profiles(self, second: int, anchors: Anchors) -> tuple[VariantProfile, VariantProfile]:
        if not self._spiking(second, anchors):
            return BASELINE, BASELINE
        return BASELINE, VariantProfile(self.spike_error_rate, BASELINE.median_ms, BASELINE.sigma)

    def status(self, second: int, anchors: Anchors) -> str:
        return "degraded" if self._spiking(second, anchors) else "ok"


class Flapping(Scenario):
    """A healthy canary whose error rate wanders around 1% (stable sits at 1%): must not flap."""

    name = "flapping"
    description = "canary error rate wanders 0.2%..1.8% around stable's 1%"
    mean_error_rate = 0.01

    def __init__(self, seed: int) -> None:
        super().__init__(seed)
        rng = random.Random(f"canary-sim/{seed}/flapping")
        self._phases = (rng.uniform(0, 2 * math.pi), rng.uniform(0, 2 * math.pi))

    def canary_error_rate(self, second: int) -> float:
        """The wandering canary error probability at `second` (mean 1%)."""
        wave = 0.5 * math.sin(2 * math.pi * second / 240 + self._phases[0])
        wave += 0.3 * math.sin(2 * math.pi * second / 97 + self._phases[1])
        return self.mean_error_rate * (1.0 + wave)

    def profiles(self, second: int, anchors: Anchors) -> tuple[VariantProfile, VariantProfile]:
        stable = VariantProfile(self.mean_error_rate, BASELINE.median_ms, BASELINE.sigma)
        canary = VariantProfile(self.canary_error_rate(second), BASELINE.median_ms, BASELINE.sigma)
        return stable, canary


class Outage(Scenario):
    """From `after_s` after the canary goes live, /api/* connections are dropped for `duration_s`."""

    name = "outage"
    description = "60 s after the canary goes live, /api/* drops connections for 30 s, then recovers"
    after_s = 60.0
    duration_s = 30.0

    def outage(self, second: int, anchors: Anchors) -> bool:
        since = _since(anchors.live_s, second)
        return since is not None and self.after_s <= since < self.after_s + self.duration_s


class BadSignature(Scenario):
    """From `after_s` after the canary goes live, heartbeats are wrongly signed and say verified: false."""

    name = "bad-signature"
    description = "60 s after the canary goes live: verified false and a wrong X-Signature"
    after_s = 60.0

    def bad_signature(self, second: int, anchors: Anchors) -> bool:
        since = _since(anchors.live_s, second)
        return since is not None and since >= self.after_s


class CounterReset(Scenario):
    """The server 'restarts' `after_s` after the canary goes live: every counter starts again at 0."""

    name = "counter-reset"
    description = "120 s after the canary goes live the server restarts: counters drop to 0"
    after_s = 120

    def reset_second(self, anchors: Anchors) -> int | None:
        return None if anchors.live_s is None else anchors.live_s + self.after_s


SCENARIOS: dict[str, type[Scenario]] = {
    cls.name: cls for cls in (Scenario, LatencyRegression, ErrorSpike, Flapping, Outage, BadSignature, CounterReset)
}


def make_scenario(name: str, seed: int) -> Scenario:
    """The scenario called `name`; ValueError naming the valid ones otherwise."""
    try:
        return SCENARIOS[name](seed)
    except KeyError:
        raise ValueError(f"unknown scenario {name!r}; choose one of: {', '.join(SCENARIOS)}") from None
