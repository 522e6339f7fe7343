"""One word for how a target stands, from its controller's snapshot alone: the fleet ranks and badges targets by it.

The fleet adds no judgment of its own: the word is read off what the controller already decided (its
decision, connection state, hold flag, percent) and the levels the table in force gives its window.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from canary_tui.controller.health import heartbeat_level
from canary_tui.controller.model import ActionResult, ConnectionState, RampState, Snapshot
from canary_tui.core.levels import rate_level
from canary_tui.core.thresholds import Level, Metric
from canary_tui.core.verdicts import DecisionKind


class TargetVerdict(enum.StrEnum):
    """How one target stands, worst first in `severity`."""

    CRITICAL = "critical"
    UNREACHABLE = "unreachable"
    STALE = "stale"
    WARNING = "warning"
    HOLD = "hold"
    PAUSED = "paused"
    ROLLED_BACK = "rolled back"
    IDLE = "idle"
    HEALTHY = "healthy"

    @property
    def severity(self) -> int:
        """Ordering for 'worst first': critical 8 … healthy 0."""
        return _SEVERITY[self]

    @property
    def glyph(self) -> str:
        """A symbol so the verdict reads without colour."""
        return _GLYPH[self]

    @property
    def level(self) -> Level:
        """The level whose colour it wears."""
        return _LEVEL[self]


_ORDER = (TargetVerdict.HEALTHY, TargetVerdict.IDLE, TargetVerdict.ROLLED_BACK, TargetVerdict.PAUSED, TargetVerdict.HOLD,
          TargetVerdict.WARNING, TargetVerdict.STALE, TargetVerdict.UNREACHABLE, TargetVerdict.CRITICAL)
_SEVERITY = {verdict: rank for rank, verdict in enumerate(_ORDER)}
_GLYPH = {
    TargetVerdict.CRITICAL: "✖", TargetVerdict.UNREACHABLE: "⊘", TargetVerdict.STALE: "◷", TargetVerdict.WARNING: "⚠",
    TargetVerdict.HOLD: "◌", TargetVerdict.PAUSED: "⏸", TargetVerdict.ROLLED_BACK: "↺", TargetVerdict.IDLE: "○",
    TargetVerdict.HEALTHY: "✔",
}
_LEVEL = {
    TargetVerdict.CRITICAL: Level.CRITICAL, TargetVerdict.UNREACHABLE: Level.CRITICAL, TargetVerdict.STALE: Level.WARNING,
    TargetVerdict.WARNING: Level.WARNING, TargetVerdict.HOLD: Level.UNKNOWN, TargetVerdict.PAUSED: Level.WARNING,
    TargetVerdict.ROLLED_BACK: Level.UNKNOWN, TargetVerdict.IDLE: Level.UNKNOWN, TargetVerdict.HEALTHY: Level.HEALTHY,
}


@dataclass(frozen=True, slots=True)
class Standing:
    """A target's verdict with the reason in a few words."""

    verdict: TargetVerdict
    reason: str


def canary_percent(snapshot: Snapshot) -> int | None:
    """The canary share as the server shows it now (any parsed heartbeat), else as last trusted; None before any."""
    if snapshot.deployment is not None:
        return snapshot.deployment.canary_percent
    if snapshot.heartbeat is not None:
        return snapshot.heartbeat.deployment.canary_percent
    return None


def is_paused(snapshot: Snapshot) -> bool:
    """Whether the ramp is on hold as last seen."""
    deployment = snapshot.deployment or (snapshot.heartbeat.deployment if snapshot.heartbeat else None)
    return bool(deployment.paused) if deployment is not None else snapshot.ramp == RampState.PAUSED


def _window_level(snapshot: Snapshot) -> Level:
    """The canary's error level over the controller's window against the table in force (UNKNOWN without data)."""
    window = snapshot.window
    if window is None or not window.canary_requests or window.canary_errors is None:
        return Level.UNKNOWN
    threshold = snapshot.thresholds.threshold(Metric.ERROR_RATE)
    return rate_level(int(window.canary_errors), int(window.canary_requests), threshold).level


def standing(snapshot: Snapshot) -> Standing:
    """The verdict of one target: trouble first (critical, unreachable, stale), then what the ramp is doing."""
    connection = snapshot.connection
    decision = snapshot.decision
    if connection == ConnectionState.UNTRUSTED:
        return Standing(TargetVerdict.CRITICAL, "signature fails")
    percent = canary_percent(snapshot)
    if decision is not None and decision.kind == DecisionKind.ROLLBACK and (percent or 0) > 0:
        return Standing(TargetVerdict.CRITICAL, decision.reason)
    if snapshot.ramp == RampState.ROLLING_BACK:
        return Standing(TargetVerdict.CRITICAL, "rolling back")
    if connection == ConnectionState.UNREACHABLE:
        return Standing(TargetVerdict.UNREACHABLE, snapshot.connection_error or "no answer")
    if connection in (ConnectionState.STALE, ConnectionState.BAD_ANSWER):
        return Standing(TargetVerdict.STALE, snapshot.connection_error or "data stale")
    if connection == ConnectionState.CONNECTING or percent is None:
        return Standing(TargetVerdict.HOLD, "connecting")
    if percent == 0:
        last = snapshot.extra.get("last_result")
        rollback = last if isinstance(last, ActionResult) and last.action == "rollback" and last.ok else None
        if rollback is not None and rollback.note:
            return Standing(TargetVerdict.ROLLED_BACK, rollback.note)  # why it came down: "auto-rollback: seed: error rate > 5% …"
        if rollback is not None or snapshot.ramp == RampState.ROLLED_BACK:
            return Standing(TargetVerdict.ROLLED_BACK, "canary at 0%")
        return Standing(TargetVerdict.IDLE, "canary at 0%")  # at 0% since we started watching: no rollback to claim
    if is_paused(snapshot):
        return Standing(TargetVerdict.PAUSED, "ramp on hold")
    level = _window_level(snapshot)
    if level is Level.CRITICAL:
        return Standing(TargetVerdict.CRITICAL, "canary error rate critical")
    heartbeat = snapshot.heartbeat
    if heartbeat is not None and (said := heartbeat_level(heartbeat)) is not Level.HEALTHY:  # as `status` reads the word
        verdict = TargetVerdict.CRITICAL if said is Level.CRITICAL else TargetVerdict.WARNING
        return Standing(verdict, f"heartbeat {heartbeat.status.value}")
    if level is Level.WARNING:
        return Standing(TargetVerdict.WARNING, "canary error rate warning")
    if snapshot.ramp == RampState.GATE_FAILING:
        return Standing(TargetVerdict.HOLD, "a gate fails")
    if decision is not None and decision.kind == DecisionKind.INCONCLUSIVE:
        return Standing(TargetVerdict.HOLD, decision.reason)
    return Standing(TargetVerdict.HEALTHY, decision.reason if decision is not None else "")
