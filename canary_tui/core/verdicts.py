"""Value types that gates, rules and the judgment produce: what passed, what holds, and why."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class GateStatus(enum.StrEnum):
    """A gate passes, fails, or holds because its data is missing, stale or too thin."""

    PASS = "pass"
    FAIL = "fail"
    HOLD = "hold"

    @property
    def glyph(self) -> str:
        """Status is never colour alone: every state has a glyph."""
        return {"pass": "✔", "fail": "✖", "hold": "◌"}[self.value]


@dataclass(frozen=True, slots=True)
class GateResult:
    """One gate of the current stage: its value against its threshold, with the reason.

    `interval` is an optional (low, high) confidence interval on `value`;
    `evidence` is an optional position in [0, 1] between the gate's two boundaries.
    """

    name: str
    status: GateStatus
    value: float | None
    threshold: float | None
    unit: str
    reason: str
    interval: tuple[float, float] | None = None
    evidence: float | None = None
    low_data: bool = False


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
