"""Value types that gates, rules and the judgment produce: what passed, what holds, and why."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from canary_tui.core.trips import Trip


class GateStatus(enum.StrEnum):
    """A gate passes, fails, or holds because its data is missing, stale or too thin."""

    PASS = "pass"
    FAIL = "fail"
    HOLD = "hold"

    @property
    def glyph(self) -> str:
        """Status is never colour alone: every state has a glyph."""
        return {"pass": "✔", "fail": "✖", "hold": "◌"}[self.value]


class GateKind(enum.StrEnum):
    """What a gate checks: code tells gates apart by kind, never by their display names."""

    P95 = "p95"  # the seed's "P95 < 500 ms" (the table's P95 healthy bound)
    ERRORS = "errors"  # the seed's "errors < 1%" (the table's error-rate critical bound)
    BAKE = "bake"
    ALL_STABLE = "all-stable"  # the 100% stage: no metric critical
    CANARY_ERRORS = "canary-errors"  # the canary's error rate on its Wilson interval
    SLOW = "slow"  # the canary's slow fraction (P95 < T as a count gate)
    ERRORS_VS_STABLE = "errors-vs-stable"
    LATENCY_VS_STABLE = "latency-vs-stable"
    HEARTBEAT = "heartbeat"  # pre-flight: reachable and its signature verified
    STABLE_HEALTH = "stable-health"  # pre-flight: stable healthy on the table in force
    NOT_PAUSED = "not-paused"  # pre-flight
    CHECKPOINT = "checkpoint"  # pre-flight: a rollback checkpoint for this canary version
    OTHER = "other"

    @property
    def preflight(self) -> bool:
        """True for the gates of the step out of 0% (the seed's release checklist)."""
        return self in (GateKind.HEARTBEAT, GateKind.STABLE_HEALTH, GateKind.NOT_PAUSED, GateKind.CHECKPOINT)

    @property
    def versus_stable(self) -> bool:
        """True for the canary-against-stable comparisons (meaningless at 100%: no stable left)."""
        return self in (GateKind.ERRORS_VS_STABLE, GateKind.LATENCY_VS_STABLE)


class Unit(enum.StrEnum):
    """The unit of a gate's value and threshold (formatted at the edge)."""

    MS = "ms"
    PERCENT = "%"
    FRACTION = "fraction"
    RATIO = "×"
    SECONDS = "s"
    HOURS = "h"
    CRITICAL_COUNT = "critical"
    NONE = ""


@dataclass(frozen=True, slots=True)
class GateResult:
    """One gate of the current stage: its value against its threshold, with the reason.

    `interval` is an optional (low, high) confidence interval on `value`;
    `evidence` is an optional position in [0, 1] between the gate's two boundaries.
    `kind` says what the gate checks; `name` and `reason` are only for people.
    """

    name: str
    status: GateStatus
    value: float | None
    threshold: float | None
    unit: Unit | str
    reason: str
    interval: tuple[float, float] | None = None
    evidence: float | None = None
    low_data: bool = False
    kind: GateKind = GateKind.OTHER


class DecisionKind(enum.StrEnum):
    """The judgment's verdict on the current stage (judgment.md, Decisions)."""

    PROMOTE_ELIGIBLE = "promote-eligible"
    HOLD = "hold"
    INCONCLUSIVE = "inconclusive"
    ROLLBACK = "rollback"


@dataclass(frozen=True, slots=True)
class Decision:
    """A verdict with its reason and the evidence behind it (shown on screen and in --json)."""

    kind: DecisionKind
    reason: str
    evidence: dict[str, float | int | str | None] = field(default_factory=dict)
    fallback: bool = False  # True when decided on the seed's fixed thresholds only
    trips: tuple[Trip, ...] = ()  # a ROLLBACK's conditions as structured fields (`reason` is their words)
    failing: tuple[GateResult, ...] = ()  # the gates that fail on the judgment's own terms: why it HOLDs (not a point estimate's say)

    @property
    def stage_failures(self) -> list[str]:
        """Why the stage fails on this decision: its rollback's reason, else each failing gate (empty: it does not fail)."""
        if self.kind is DecisionKind.ROLLBACK:
            return [self.reason]
        return [f"{g.name}: {g.reason}" for g in self.failing]


@dataclass(frozen=True, slots=True)
class TriggerState:
    """Auto-rollback state for display: armed/disarmed, and a debounce counting up to `needed`."""

    enabled: bool
    armed: bool
    count: int
    needed: int
    reason: str = ""

    @property
    def label(self) -> str:
        """Short words for the gate pane: 'armed', 'disarmed', 'counting 2/3', 'held: …'."""
        if not self.enabled:
            return "disarmed"
        if not self.armed:
            return f"held: {self.reason}" if self.reason else "held"
        if self.count:
            return f"counting {self.count}/{self.needed}"
        return "armed"
