"""Plain values the widgets render: built from a Snapshot by ui.presenter, never from the controller."""

from __future__ import annotations

from dataclasses import dataclass, field

#: level words the widgets know; each maps to a theme variable `status-<level>`
LEVELS = ("healthy", "warning", "critical", "unknown")


@dataclass(frozen=True, slots=True)
class Badge:
    """A status shown as glyph + word + colour, never colour alone."""

    level: str  # one of LEVELS
    glyph: str
    word: str


@dataclass(frozen=True, slots=True)
class HeaderView:
    """Top line: where the ramp stands and how fresh the data is."""

    environment: str
    stable_version: str
    canary_version: str
    stage_text: str  # "stage 1/3" or "off-plan"
    canary_percent: int | None
    ramp_word: str  # "baking", "paused", …
    paused: bool
    bake_text: str  # "bake 17m42s left" or ""
    eta_text: str  # "next 50% at 14:02" or ""
    data_age_s: float | None
    connection: str  # "live", "stale", "unreachable", "connecting"
    connection_error: str | None
    read_only: bool
    frozen: bool
    action_in_flight: str | None
    blocked_reason: str | None = None  # why the deployment cannot be changed from here (no token, read-only), or None
    stale_headline: bool = False  # the connection error describes data that is no longer fresh


@dataclass(frozen=True, slots=True)
class HeartbeatView:
    """Heartbeat figures: status, response time, signature, traffic."""

    status: Badge
    response_ms: float | None
    signature: Badge
    requests_per_s: float | None
    errors_per_s: float | None
    errors: int | None
    data_age_s: float | None
    connection: str
    connection_error: str | None
    metrics_source: str = "heartbeat"  # who counted the request figures (core.samples.METRICS_SOURCES)


@dataclass(frozen=True, slots=True)
class ErrorRateView:
    """Error rates over the controller's window, the level of the judged figure on its interval, and recent history."""

    error_rate: float | None  # fraction 0..1, all traffic over the window
    canary_error_rate: float | None
    stable_error_rate: float | None
    level: Badge  # of the judged figure: the canary's when the server splits traffic and the canary served some
    action: str  # what the threshold table says to do at this level
    history: tuple[float, ...]  # recent error rates (fractions), oldest first
    stale: bool
    data_age_s: float | None = None
    window_s: float = 0.0  # how many seconds the rates cover
    judged: str = "all"  # which figure the level is about: "canary" or "all"
    interval_text: str = ""  # the judged figure's interval, "[1.2–1.9%]"
    canary_idle: bool = False  # the split is known and the canary served no request in the window


@dataclass(frozen=True, slots=True)
class GateLine:
    """One gate: value against threshold, its status glyph and the reason."""

    name: str
    status: str  # "pass", "fail", "hold"
    glyph: str
    value_text: str
    threshold_text: str
    reason: str
    interval_text: str = ""  # "[262–311]" / "[0–0.11%]": the confidence interval on the value, or ""
    evidence: float | None = None  # 0 = at the accept boundary, 1 = at the reject (regression) boundary
    low_data: bool = False
    figure_text: str = ""  # what the pane shows after the name ("6h18m / 24h" for the bake); value_text when ""
    detail: str = ""  # the reason, only when it adds to the figures (fail/hold reasons); "" otherwise
    reason_adds: bool = True  # False when the reason only restates name, figures and interval


@dataclass(frozen=True, slots=True)
class GatesView:
    """The current stage's gates, the auto-rollback state and the judgment's decision."""

    title: str
    gates: tuple[GateLine, ...]
    auto_rollback: str
    auto_rollback_level: str  # a LEVELS word, for colour
    decision: str | None
    decision_level: str
    held_reason: str | None  # set when the whole pane holds (stale data)


@dataclass(frozen=True, slots=True)
class ChartSeries:
    """One line on the latency chart: a label, a theme colour variable and its values (None = gap)."""

    label: str
    colour_variable: str  # e.g. "chart-canary"
    times_s: tuple[float, ...]  # epoch seconds, one per column
    values_ms: tuple[float | None, ...]
    marker: str = "braille"


@dataclass(frozen=True, slots=True)
class ReferenceLine:
    """A horizontal line on the latency chart: where, in which theme colour, and what it means."""

    ms: float
    colour_variable: str  # e.g. "chart-line-warn"
    label: str  # "P95 warning", "rollback trigger"


@dataclass(frozen=True, slots=True)
class ChartView:
    """What the latency chart plots, already downsampled to the widget's width."""

    start_s: float | None
    end_s: float | None
    series: tuple[ChartSeries, ...]
    stage_marks: tuple[tuple[float, str, str], ...]  # (epoch seconds, label or '' for a bare line, 'left'/'right' of it)
    lines: tuple[ReferenceLine, ...] = ()  # from the thresholds in force (never literals here)
    version: int = 0  # bumps when the data changed; equal versions skip the redraw


@dataclass(frozen=True, slots=True)
class LatencyFigure:
    """One percentile as a number with its level: '299' and ✔ healthy, or '—' and ? low data."""

    label: str  # "P50", "P95", "P99"
    text: str  # "299", "1.2k" or "—"
    level: str  # a LEVELS word
    glyph: str
    low_data: bool = False


@dataclass(frozen=True, slots=True)
class LatencyRow:
    """One variant's current P50/P95/P99, each with its level, and the worst of them as a word."""

    variant: str  # "canary", "stable" or "all"
    figures: tuple[LatencyFigure, ...]
    summary: Badge  # worst level of the figures ("low data" when it cannot tell)
    note: str = ""  # "no traffic" when the variant served no request in the window


@dataclass(frozen=True, slots=True)
class LatencyView:
    """The latency readout beside the chart: current percentiles per variant, levels judged over the window."""

    rows: tuple[LatencyRow, ...]
    window_s: float = 0.0
    stale: bool = False


@dataclass(frozen=True, slots=True)
class EventLine:
    """One row of the events log."""

    time_text: str
    actor: str
    kind: str
    message: str
    level: str  # "info", "warning", "error"


@dataclass(frozen=True, slots=True)
class SeenState:
    """What a confirm dialog was opened on: when any compared field changes, what it would send is stale."""

    percent: int | None
    paused: bool
    stable_version: str
    canary_version: str
    updated_by: str | None = field(default=None, compare=False)  # who changed it last (named, never compared)

    def change_from(self, before: SeenState) -> str:
        """What changed since `before`, in words: 'canary 10% → 0%', 'paused', 'canary version v1 → v2'."""
        parts = []
        if self.percent != before.percent:
            parts.append(f"canary {_pct(before.percent)} → {_pct(self.percent)}")
        if self.paused != before.paused:
            parts.append("paused" if self.paused else "resumed")
        if self.canary_version != before.canary_version:
            parts.append(f"canary version {before.canary_version} → {self.canary_version}")
        if self.stable_version != before.stable_version:
            parts.append(f"stable version {before.stable_version} → {self.stable_version}")
        return ", ".join(parts) or "unchanged"


def _pct(percent: int | None) -> str:
    return "?%" if percent is None else f"{percent}%"


@dataclass(frozen=True, slots=True)
class AdvanceView:
    """What the advance dialog shows and confirms: the step, its evidence, and whether typing is required."""

    from_percent: int
    to_percent: int
    gates: tuple[GateLine, ...]
    decision: str | None
    needs_override: bool
    override_why: str  # why an override is needed ("" when not)
    preflight: bool  # the step out of 0%: the gates are the pre-flight checklist
    missing_checkpoint_for: str | None  # the canary version that has no rollback checkpoint (pre-flight only)
    seen: SeenState


@dataclass(frozen=True, slots=True)
class FleetRow:
    """One target as the overview shows it; every field is plain text or a plain value."""

    name: str
    verdict: str  # the verdict word ("critical", "rolled back"): a TargetVerdict
    glyph: str  # its symbol, so it reads without colour
    level: str  # the level whose colour it wears: healthy, warning, critical, unknown
    severity: int  # worst first: the higher, the worse
    reason: str
    release: str  # "v0.4.1 → v0.5.0"
    percent: str  # "10%"
    stage: str  # "1/3"
    bake_bar: str  # "███▍    " (empty when not baking)
    eta: str  # "6h18m" to the next stage, "" when none
    canary_errors: str
    stable_errors: str
    p95: str
    age: str
    p95_trend: str
    error_trend: str
    note: str = ""  # an action on this target: "rolling back…", "✔ rolled back (confirmed)", "✖ …"
    above_zero: bool = False  # canary above 0% (or unknown): what rollback-all takes
