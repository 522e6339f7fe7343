"""Simulator settings: one dataclass shared by the server, the CLI command and the test fixtures."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

#: the upper edges (ms) of the cumulative latency histogram the heartbeat reports
LATENCY_LE_MS: tuple[int, ...] = (50, 100, 250, 500, 750, 1000, 1500, 2500, 5000)


@dataclass
class SimulatorOptions:
    """How the embedded Mission Control behaves.

    `clock` is a callable returning epoch seconds (or any object with `.now()`, e.g.
    `core.clock.ManualClock`); `speed` multiplies simulated time: one clock second is
    `speed` simulated seconds of traffic and scenario timeline. `token=None` means the
    mutation endpoints require no Authorization at all. `stall_every_s`/`stall_s` make
    /api/health stall (requests arriving during a stall wait until it ends).
    `outage_mode` is how the outage scenario fails: "refuse" stops listening (new
    connections are refused; requests on open keep-alive connections to /api/* are
    dropped), "drop" keeps listening and closes each /api/* connection without an answer.
    """

    scenario: str = "healthy"
    speed: float = 1.0
    seed: int = 0
    token: str | None = None
    secret: str | None = None
    faults: bool = False
    host: str = "127.0.0.1"
    port: int = 0
    clock: Callable[[], float] | Any | None = None
    environment: str = "staging"
    stable_version: str = "v0.4.1"
    canary_version: str = "v0.5.0"
    initial_percent: int = 0
    window_s: int = 60
    health_latency_scale: float = 1.0
    requests_per_s: float = 100.0
    stall_every_s: float = 0.0
    stall_s: float = 0.0
    deployment_id: str | None = None
    outage_mode: str = "refuse"

    def clock_fn(self) -> Callable[[], float]:
        """The clock as a plain callable returning epoch seconds."""
        clock = self.clock
        if clock is None:
            return time.time
        now = getattr(clock, "now", None)
        if callable(now):
            return now
        if callable(clock):
            return clock
        raise TypeError("clock must be a callable or an object with now()")
