"""The simulator's in-process state: deployment, history, checkpoints, traffic counters and window."""

from __future__ import annotations

import hashlib
import math
import random
import threading
from collections import Counter
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from canary_tui.simulator.options import LATENCY_LE_MS, SimulatorOptions
from canary_tui.simulator.scenarios import Anchors, make_scenario
from canary_tui.simulator.traffic import (
    VARIANTS,
    SecondTraffic,
    Tally,
    VariantProfile,
    bulk_tallies,
    generate_second,
    nearest_rank,
)

BULK_BLOCK_S = 60  # seconds long past the window are tallied in blocks of at most this many


def iso_utc(epoch_s: float) -> str:
    """Epoch seconds as ISO 8601 UTC with a Z, to the second."""
    return datetime.fromtimestamp(math.floor(epoch_s), tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True, slots=True)
class Change:
    """One accepted change of the canary percent or pause flag, with who made it and why."""

    at: str
    at_s: float
    actor: str | None
    note: str | None
    percent: int
    previous_percent: int
    paused: bool
    previous_paused: bool


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A rollback checkpoint: its id, when, the note, and the percent it captured."""

    checkpoint_id: str
    created_at: str
    note: str | None
    actor: str | None
    canary_percent: int


@dataclass(frozen=True, slots=True)
class Conflict:
    """A compare-and-set that lost: the server's current percent and who set it."""

    canary_percent: int
    updated_by: str | None


@dataclass(frozen=True, slots=True)
class WindowSample:
    """One simulated request inside the percentile window (for tests and oracles)."""

    arrival_s: float
    latency_ms: float
    error: bool
    canary: bool


class SimulatorModel:
    """Thread-safe state of one simulated Mission Control (what `SimulatorServer.state` returns)."""

    def __init__(self, options: SimulatorOptions) -> None:
        self.options = options
        self._clock = options.clock_fn()
        self._lock = threading.RLock()
        self.scenario = make_scenario(options.scenario, options.seed)
        if not 0 <= options.initial_percent <= 100:
            raise ValueError("initial_percent must be within 0..100")
        if options.speed <= 0 or options.window_s <= 0:
            raise ValueError("speed and window_s must be positive")
        if options.outage_mode not in ("refuse", "drop"):
            raise ValueError('outage_mode must be "refuse" or "drop"')
        self.start_s = self._clock()
        self.deployment_id = options.deployment_id or "dep-" + hashlib.sha256(str(options.seed).encode()).hexdigest()[:4]
        self.canary_percent = options.initial_percent
        self.paused = False
        self.updated_at_s: float | None = None
        self.updated_by: str | None = None
        self.history: list[Change] = []
        self.checkpoints: list[Checkpoint] = []
        self.counters: Counter[str] = Counter()
        self._schedule: list[tuple[int, int]] = [(0, options.initial_percent)]  # (effective second, percent)
        self._high_water_s = 0.0
        self._next = 0  # first simulated second not yet in the cumulative tallies
        self._cumulative = {name: Tally() for name in VARIANTS}
        self._reset_base: dict[str, Tally] | None = None
        self._recent: dict[int, SecondTraffic] = {}
        self._health_rng = random.Random(f"canary-sim/{options.seed}/health")

    # -- time -------------------------------------------------------------------------------

    def now_s(self) -> float:
        """The injected clock's reading (epoch seconds)."""
        return self._clock()

    def phase_s(self, period_s: float) -> float:
        """Clock seconds since start, modulo `period_s` (where a health stall cycle stands)."""
        return (self._clock() - self.start_s) % period_s

    def count(self, name: str) -> None:
        """Bump one of the named counters."""
        with self._lock:
            self.counters[name] += 1

    def sim_elapsed_s(self, now_s: float | None = None) -> float:
        """Simulated seconds since start: clock seconds × speed (never negative)."""
        now_s = self._clock() if now_s is None else now_s
        return max(0.0, (now_s - self.start_s) * self.options.speed)

    def _elapsed_seen(self, now_s: float) -> float:
        """Simulated elapsed time that never goes back, even if the wall clock does (counters stay monotonic)."""
        self._high_water_s = max(self._high_water_s, self.sim_elapsed_s(now_s))
        return self._high_water_s

    def anchors(self) -> Anchors:
        """When the operator's ramp went live and reached 50% (simulated seconds)."""
        live = next((s for s, p in self._schedule if p > 0), None)
        half = next((s for s, p in self._schedule if p >= 50), None)
        return Anchors(live, half)

    def percent_at(self, second: int) -> int:
        """The canary percent that shaped the traffic of simulated second `second`."""
        percent = self._schedule[0][1]
        for effective, value in self._schedule:
            if effective > second:
                break
            percent = value
        return percent

    # -- mutations ---------------------------------------------------------------------------

    def set_canary(self, percent: int | None, expected_percent: int | None, paused: bool | None,
                   note: str | None, actor: str | None) -> dict[str, Any] | Conflict:
        """Apply a validated canary request: compare-and-set, idempotent when the target already holds."""
        with self._lock:
            now_s = self._clock()
            elapsed = self._elapsed_seen(now_s)
            self._advance(elapsed)
            self.counters["canary_posts"] += 1
            target_percent = self.canary_percent if percent is None else percent
            target_paused = self.paused if paused is None else paused
            already = target_percent == self.canary_percent and target_paused == self.paused
            if not already and expected_percent is not None and expected_percent != self.canary_percent:
                self.counters["conflicts"] += 1
                return Conflict(self.canary_percent, self.updated_by)
            previous = self.canary_percent
            if not already:
                self.history.append(Change(iso_utc(now_s), now_s, actor, note, target_percent, previous,
                                           target_paused, self.paused))
                if target_percent != self.canary_percent:
                    effective = math.floor(elapsed) + 1
                    self._schedule = [(s, p) for s, p in self._schedule if s < effective] + [(effective, target_percent)]
                self.canary_percent, self.paused = target_percent, target_paused
                self.updated_at_s, self.updated_by = now_s, actor
            return {
                "canary_percent": self.canary_percent,
                "previous_percent": previous,
                "paused": self.paused,
                "updated_at": iso_utc(self.updated_at_s if self.updated_at_s is not None else now_s),
            }

    def create_checkpoint(self, note: str | None, actor: str | None = None) -> Checkpoint:
        """Record a rollback checkpoint with the next sequential id."""
        with self._lock:
            checkpoint = Checkpoint(f"ckpt-{len(self.checkpoints) + 1:04d}", iso_utc(self._clock()), note, actor,
                                    self.canary_percent)
            self.checkpoints.append(checkpoint)
            self.counters["checkpoints"] += 1
            return checkpoint

    # -- traffic -----------------------------------------------------------------------------

    def _profiles(self, second: int, anchors: Anchors) -> tuple[VariantProfile, VariantProfile]:
        return self.scenario.profiles(second, anchors)

    def _second(self, index: int, anchors: Anchors) -> SecondTraffic:
        """The per-request traffic of one second, generated once and cached while recent."""
        cached = self._recent.get(index)
        if cached is None:
            stable, canary = self._profiles(index, anchors)
            cached = generate_second(self.options.seed, index, self.options.requests_per_s,
                                     self.percent_at(index) / 100.0, stable, canary)
            self._recent[index] = cached
        return cached

    def _add(self, tallies: dict[str, Tally]) -> None:
        for name in VARIANTS:
            self._cumulative[name].add(tallies[name])

    def _mark_reset(self, reset_s: int | None) -> None:
        if reset_s is not None and self._next == reset_s and self._reset_base is None:
            self._reset_base = {name: t.copy() for name, t in self._cumulative.items()}
            self.counters["restarts"] += 1

    def _advance(self, elapsed_s: float) -> None:
        """Account every completed simulated second before `elapsed_s`; generate the current one."""
        current = math.floor(elapsed_s)
        window_s = self.options.window_s
        anchors = self.anchors()
        reset_s = self.scenario.reset_second(anchors)
        bulk_before = current - window_s - 2
        while self._next < current:
            self._mark_reset(reset_s)
            start = self._next
            if start < bulk_before:
                stop = min(bulk_before, start + BULK_BLOCK_S)
                stop = min([stop] + [s for s, _ in self._schedule if start < s < stop])
                if reset_s is not None and start < reset_s < stop:
                    stop = reset_s
                stable, canary = self._profiles((start + stop) // 2, anchors)
                self._add(bulk_tallies(self.options.seed, start, stop, self.options.requests_per_s,
                                       self.percent_at(start) / 100.0, stable, canary))
                self._next = stop
            else:
                self._add(self._second(start, anchors).tallies())
                self._next = start + 1
        self._mark_reset(reset_s)
        self._second(current, anchors)
        for index in [i for i in self._recent if i < current - window_s - 2]:
            del self._recent[index]

    def _counters_at(self, elapsed_s: float) -> dict[str, Tally]:
        """Per-variant counters at `elapsed_s`: completed seconds plus the current second's prefix."""
        current = math.floor(elapsed_s)
        partial = self._recent[current].tallies(elapsed_s - current)
        out = {}
        for name in VARIANTS:
            tally = self._cumulative[name].copy()
            tally.add(partial[name])
            if self._reset_base is not None:
                tally = tally.minus(self._reset_base[name])
            out[name] = tally
        return out

    def tallies(self, now_s: float | None = None) -> dict[str, Tally]:
        """Per-variant counters at the clock reading: what the heartbeat and /metrics both report."""
        with self._lock:
            elapsed = self._elapsed_seen(self._clock() if now_s is None else now_s)
            self._advance(elapsed)
            self.counters["scrapes"] += 1
            return self._counters_at(elapsed)

    def window_samples(self, now_s: float | None = None) -> list[WindowSample]:
        """Every simulated request with arrival in [elapsed − window_s, elapsed) since the last restart."""
        with self._lock:
            elapsed = self._elapsed_seen(self._clock() if now_s is None else now_s)
            self._advance(elapsed)
            return self._window(elapsed)

    def _window_bounds(self, elapsed: float) -> tuple[float, float]:
        """[lo, hi) in simulated seconds: the last window_s seconds, never before a restart."""
        lo = elapsed - self.options.window_s
        reset_s = self.scenario.reset_second(self.anchors())
        if reset_s is not None and self._reset_base is not None:
            lo = max(lo, float(reset_s))
        return lo, elapsed

    def _window(self, elapsed: float) -> list[WindowSample]:
        lo, hi = self._window_bounds(elapsed)
        samples = []
        for index in range(max(0, math.floor(lo)), math.floor(hi) + 1):
            second = self._recent.get(index)
            if second is None:
                continue
            for i in second.requests_between(lo - index, hi - index):
                samples.append(WindowSample(index + second.arrivals[i], second.latencies_ms[i], second.errors[i],
                                            second.canary[i]))
        return samples

    def _window_latencies(self, elapsed: float) -> tuple[list[float], list[float]]:
        """(stable, canary) latencies in the window, the fast path the heartbeat uses."""
        lo, hi = self._window_bounds(elapsed)
        stable: list[float] = []
        canary: list[float] = []
        for index in range(max(0, math.floor(lo)), math.floor(hi) + 1):
            second = self._recent.get(index)
            if second is None:
                continue
            s_part, c_part = second.latencies_by_variant(lo - index, hi - index)
            stable += s_part
            canary += c_part
        return stable, canary

    # -- answers -----------------------------------------------------------------------------

    def heartbeat(self, now_s: float | None = None) -> tuple[dict[str, Any], bool]:
        """The heartbeat payload at the clock reading, and whether it must be signed wrongly."""
        with self._lock:
            now_s = self._clock() if now_s is None else now_s
            elapsed = self._elapsed_seen(now_s)
            self._advance(elapsed)
            self.counters["heartbeats"] += 1
            second, anchors = math.floor(elapsed), self.anchors()
            counters = self._counters_at(elapsed)
            stable_ms, canary_ms = self._window_latencies(elapsed)
            window_ms = {"stable": sorted(stable_ms), "canary": sorted(canary_ms)}
            bad = self.scenario.bad_signature(second, anchors)
            total = Tally()
            for tally in counters.values():
                total.add(tally)
            metrics: dict[str, Any] = {"requests": total.requests, "errors": total.errors,
                                       "window_s": self.options.window_s}
            metrics.update(_percentiles(sorted(stable_ms + canary_ms)))
            metrics["latency_buckets"] = _buckets(total)
            for name in VARIANTS:
                tally = counters[name]
                variant: dict[str, Any] = {"requests": tally.requests, "errors": tally.errors}
                variant.update(_percentiles(window_ms[name]))
                variant["latency_buckets"] = _buckets(tally)
                metrics[name] = variant
            payload = {
                "heartbeat": {
                    "timestamp": iso_utc(now_s),
                    "status": self.scenario.status(second, anchors),
                    "deployment": self._deployment(),
                    "metrics": metrics,
                },
                "verified": not bad,
            }
            return payload, bad

    def _deployment(self) -> dict[str, Any]:
        return {
            "id": self.deployment_id,
            "environment": self.options.environment,
            "stable_version": self.options.stable_version,
            "canary_version": self.options.canary_version,
            "canary_percent": self.canary_percent,
            "paused": self.paused,
            "updated_at": None if self.updated_at_s is None else iso_utc(self.updated_at_s),
            "updated_by": self.updated_by,
        }

    def outage_active(self, now_s: float | None = None) -> bool:
        """Whether the scenario is dropping /api/* connections right now."""
        with self._lock:
            second = math.floor(self.sim_elapsed_s(now_s))
            return self.scenario.outage(second, self.anchors())

    def draw_health(self) -> tuple[bool, float]:
        """(served by the canary?, latency ms) for one /api/health request, from the current split."""
        with self._lock:
            second = math.floor(self.sim_elapsed_s())
            stable, canary = self._profiles(second, self.anchors())
            on_canary = self._health_rng.random() < self.canary_percent / 100.0
            profile = canary if on_canary else stable
            self.counters["health"] += 1
            return on_canary, profile.draw_latency_ms(self._health_rng)

    def snapshot(self) -> dict[str, Any]:
        """A JSON-able view of the state for GET /_control/state."""
        with self._lock:
            return {
                "scenario": self.scenario.name,
                "seed": self.options.seed,
                "speed": self.options.speed,
                "sim_elapsed_s": self.sim_elapsed_s(),
                "deployment": self._deployment(),
                "history": [asdict(c) for c in self.history],
                "checkpoints": [asdict(c) for c in self.checkpoints],
                "counters": dict(self.counters),
            }


def _percentiles(ordered: list[float]) -> dict[str, float | None]:
    """p50/p95/p99 as nearest-rank order statistics of the sorted window latencies (None when empty)."""
    return {"p50": nearest_rank(ordered, 0.50), "p95": nearest_rank(ordered, 0.95), "p99": nearest_rank(ordered, 0.99)}


def _buckets(tally: Tally) -> dict[str, list[int]]:
    """The contract's cumulative latency histogram."""
    return {"le": list(LATENCY_LE_MS), "counts": list(tally.buckets)}
