"""Following the server: the last trusted heartbeat, the deployment as last seen, rates, errors and THE stage clock.

The server is the source of truth for the percent and the pause flag. This module
only records what was observed; the controller decides what it means.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from canary_tui.core.clock import Clock
from canary_tui.core.plans import RampPlan
from canary_tui.core.rates import Rates, RateWindow, compute_rates
from canary_tui.core.samples import Deployment, Heartbeat
from canary_tui.core.stage_clock import bake_status, entered_at, server_skew_s
from canary_tui.mission.errors import MissionError

__all__ = ["DeploymentChange", "ServerView", "entered_at", "server_skew_s"]


@dataclass(frozen=True, slots=True)
class DeploymentChange:
    """What changed between two observed deployments, and whether it was our own action landing."""

    old: Deployment
    new: Deployment
    ours: bool

    @property
    def percent_changed(self) -> bool:
        """The canary's traffic share moved."""
        return self.new.canary_percent != self.old.canary_percent

    @property
    def pause_changed(self) -> bool:
        """The hold was set or cleared."""
        return self.new.paused != self.old.paused

    def describe(self) -> str:
        """'canary 10% → 0%, paused' for the event log."""
        parts = []
        if self.percent_changed:
            parts.append(f"canary {self.old.canary_percent}% → {self.new.canary_percent}%")
        if self.pause_changed:
            parts.append("paused" if self.new.paused else "resumed")
        return ", ".join(parts)


class ServerView:
    """What the controller knows of one server: trusted data, what it shows now, how fresh, and the stage clock."""

    def __init__(self, clock: Clock, *, stale_after_s: float, min_rate_interval_s: float) -> None:
        self.clock = clock
        self.stale_after_s = stale_after_s
        self.min_rate_interval_s = min_rate_interval_s
        self.last: Heartbeat | None = None  # last trusted heartbeat (its metrics are judged)
        self.seen: Deployment | None = None  # last deployment seen in any parsed heartbeat, trusted or not
        self.rates: Rates | None = None
        self.window = RateWindow()  # the gates judge a window of polls, not one poll
        self._window_starts: deque[tuple[float, Heartbeat]] = deque()  # (end, start heartbeat) of each interval in `window`
        self.rate_base: Heartbeat | None = None  # the last heartbeat rates were judged from
        self.error: MissionError | None = None
        self.consecutive_errors = 0
        self.signature_bad = False
        self.unsigned_streak = 0
        self.entered_at_s: float | None = None  # when the current stage began, on our clock (skew-corrected)
        self.came_down_to_zero = False
        self.own_target: tuple[int | None, bool | None] | None = None  # an action of ours on its way

    # ---------------------------------------------------------------- taking in

    def follow(self, dep: Deployment, skew_s: float) -> DeploymentChange | None:
        """Take a deployment from any parsed heartbeat; returns the change from the previous one (None if none)."""
        old, self.seen = self.seen, dep
        now_s = self.clock.now()
        if old is None:
            self.entered_at_s = entered_at(dep.updated_at, now_s, skew_s)
            return None
        if dep.canary_percent == old.canary_percent and dep.paused == old.paused:
            return None
        own = self.own_target
        ours = own is not None and own[0] in (None, dep.canary_percent) and own[1] in (None, dep.paused)
        if ours:
            self.own_target = None
        if dep.canary_percent != old.canary_percent:
            self.entered_at_s = now_s if ours else entered_at(dep.updated_at, now_s, skew_s)
            self.window.clear()
            self._window_starts.clear()
            self.came_down_to_zero = dep.canary_percent == 0
        return DeploymentChange(old, dep, ours)

    def take_trusted(self, heartbeat: Heartbeat) -> tuple[bool, Heartbeat | None]:
        """Record a trusted heartbeat; (judged, base): rates advance only over min_rate_interval_s from `base`."""
        self.last = heartbeat
        self.error = None
        self.consecutive_errors = 0
        self.signature_bad = False
        self.unsigned_streak = 0
        base = self.rate_base
        judged = base is None or heartbeat.fetched_at_s - base.fetched_at_s >= self.min_rate_interval_s
        if judged:
            if base is not None:
                self.rates = compute_rates(base, heartbeat)
                self.window.window_s = heartbeat.metrics.window_s
                self.window.add(self.rates, heartbeat.fetched_at_s)
                self._window_starts.append((heartbeat.fetched_at_s, base))
                while self._window_starts and self._window_starts[0][0] <= heartbeat.fetched_at_s - self.window.window_s:
                    self._window_starts.popleft()  # as the window drops its intervals
            self.rate_base = heartbeat
        return judged, base

    def take_error(self, exc: MissionError) -> bool:
        """Record a failed fetch; True when it is the first of a run of failures."""
        first = self.error is None
        self.error = exc
        self.consecutive_errors += 1
        return first

    # ---------------------------------------------------------------- reading

    def percent(self) -> int | None:
        """The canary percent the server last showed (any parsed heartbeat), or None."""
        return self.seen.canary_percent if self.seen is not None else None

    def paused(self) -> bool:
        """Whether the ramp was on hold when last seen (unknown counts as running)."""
        return bool(self.seen and self.seen.paused)

    def data_age_s(self) -> float | None:
        """Seconds since the last trusted heartbeat arrived, on the injected clock."""
        return None if self.last is None else max(0.0, self.clock.now() - self.last.fetched_at_s)

    def window_start(self) -> Heartbeat | None:
        """The heartbeat the rate window starts from (its histograms are the baseline of the window's latency)."""
        return self._window_starts[0][1] if self._window_starts else None

    def is_stale(self) -> bool:
        """No data, a failing fetch, or data older than stale_after_s (however long a request hangs)."""
        age = self.data_age_s()
        return self.last is None or self.error is not None or (age is not None and age > self.stale_after_s)

    def bake(self, plan: RampPlan) -> tuple[float | None, float | None]:
        """(elapsed, required) bake seconds of the current stage on THE stage clock, or (None, None) off-plan."""
        percent = self.percent()
        if percent is None or self.entered_at_s is None:
            return None, None
        index = plan.index_of(percent)
        if index is None:
            return None, None
        return bake_status(plan, percent, self.entered_at_s, self.clock.now()).elapsed_s, plan.stages[index].bake_s
