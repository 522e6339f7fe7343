"""What the controller tells its observers: immutable snapshots, events and action results.

The dashboard and the CLI read only these; neither reaches into controller state.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime

from canary_tui.core.plans import RampPlan
from canary_tui.core.rates import Rates
from canary_tui.core.samples import Deployment, Heartbeat, LatencyBuckets
from canary_tui.core.thresholds import ThresholdTable
from canary_tui.core.verdicts import Decision, GateResult, TriggerState


class ConnectionState(enum.StrEnum):
    """How fresh and trustworthy the data is; anything but LIVE shows the last good data with its age."""

    CONNECTING = "connecting"
    LIVE = "live"
    STALE = "stale"
    UNREACHABLE = "unreachable"  # no answer at all (refused, DNS, TLS, timeouts)
    UNTRUSTED = "untrusted"  # answers whose signature fails
    BAD_ANSWER = "bad answer"  # answers that break the contract (not JSON, wrong shape, HTTP errors)

    @property
    def degraded(self) -> bool:
        """The last good data is shown, but it is not fresh or not trusted now."""
        return self not in (ConnectionState.CONNECTING, ConnectionState.LIVE)


class RampState(enum.StrEnum):
    """Where the ramp stands in its plan."""

    UNKNOWN = "unknown"  # no heartbeat yet
    IDLE = "idle"  # 0%, nothing ramping
    BAKING = "baking"
    PAUSED = "paused"
    ELIGIBLE = "eligible"  # bake done, gates green: may promote
    GATE_FAILING = "gate-failing"
    ROLLING_BACK = "rolling-back"
    ROLLED_BACK = "rolled-back"
    COMPLETE = "complete"  # 100%


class Trigger(enum.StrEnum):
    """Who asked for an action."""

    KEY = "key"
    CLI = "cli"
    AUTO = "auto"


class EventLevel(enum.StrEnum):
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


@dataclass(frozen=True, slots=True)
class Event:
    """One line of the event log: an action, an automatic trigger, a conflict or an error."""

    at: datetime
    actor: str
    kind: str  # e.g. "advance", "rollback", "conflict", "external-change", "auto-rollback", "poll-error"
    message: str
    level: EventLevel = EventLevel.INFO


def kind_to_show(kind: str, message: str) -> str:
    """The kind to print before an event's message: none when the message already starts with it ("notify …", "stopped …")."""
    return "" if message.startswith(kind) else kind


@dataclass(frozen=True, slots=True)
class ActionResult:
    """Outcome of one action: done, refused (conflict, validation) or failed, with a message."""

    action: str
    ok: bool
    message: str
    from_percent: int | None = None
    to_percent: int | None = None
    conflict: bool = False
    pipeline_refusal: str | None = None  # refused by the promotion pipeline only: why (an override may go past it)
    note: str = ""  # what the action was for, as audited ("auto-rollback: seed: error rate > 5% …", "emergency rollback (R)")


@dataclass(frozen=True, slots=True)
class StageView:
    """The current stage on the plan: index (0-based, None off-plan), bake clock and next ETA."""

    index: int | None
    count: int
    percent: int
    bake_s: float | None
    bake_elapsed_s: float | None
    bake_remaining_s: float | None
    next_percent: int | None
    next_eta: datetime | None


@dataclass(frozen=True, slots=True)
class WindowLatency:
    """Latency histograms over the same polls as `Snapshot.window` (increases, not totals); None where unknown.

    With the window's request counts they give how many requests were slower than a
    threshold, which is what latency levels are judged on (core/levels.quantile_level).
    """

    service: LatencyBuckets | None = None
    canary: LatencyBuckets | None = None
    stable: LatencyBuckets | None = None


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Everything the screen shows at one instant. Immutable; a new one per observation."""

    environment: str
    plan: RampPlan
    connection: ConnectionState
    connection_error: str | None
    heartbeat: Heartbeat | None  # last good heartbeat
    data_age_s: float | None
    rates: Rates | None
    ramp: RampState
    stage: StageView | None
    gates: tuple[GateResult, ...]
    auto_rollback: TriggerState
    decision: Decision | None
    action_in_flight: str | None
    read_only: bool = False
    now: datetime | None = None
    extra: dict[str, object] = field(default_factory=dict)
    thresholds: ThresholdTable = field(default_factory=ThresholdTable.seed)  # the table in force (config overrides applied)
    deployment: Deployment | None = None  # as last seen in any parsed heartbeat (trusted or not): what the server shows now
    blocked_reason: str | None = None  # why this dashboard cannot change the deployment (read-only, no token)
    window: Rates | None = None  # counts over the recent window of polls (what levels and gates judge)
    stale_after_s: float = 5.0  # data older than this is STALE
    window_latency: WindowLatency | None = None  # latency histograms over the same polls as `window`
