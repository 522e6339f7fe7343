"""Snapshot → plain widget views: the only place the UI reads controller value types."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from canary_tui.controller.model import ConnectionState, Event, Snapshot, kind_to_show
from canary_tui.core.advance_rule import override_reasons
from canary_tui.core.levels import rate_level
from canary_tui.core.seed import SEED_TRIP_ERROR_RATE, SEED_TRIP_P95_MS
from canary_tui.core.thresholds import Action, Level, Metric, ThresholdTable
from canary_tui.core.verdicts import DecisionKind, GateKind, GateResult, GateStatus, Unit
from canary_tui.ui.deployment_presenter import clock_text, eta_text, frozen_snapshot, header_view, seen_state  # noqa: F401 - the app reads them here
from canary_tui.ui.latency_presenter import CHART_SERIES_CHOICES, canary_idle, chart_series_names, chart_view, latency_view, level_badge  # noqa: F401 - the app reads the latency pane's views here too
from canary_tui.ui.widgets.fmt import duration_text, ms_text
from canary_tui.ui.widgets.view_models import (
    AdvanceView,
    Badge,
    ErrorRateView,
    EventLine,
    GateLine,
    GatesView,
    HeartbeatView,
    SeenState,
)

_UNKNOWN = Badge("unknown", "?", "unknown")

_DECISION_LEVEL = {
    DecisionKind.PROMOTE_ELIGIBLE: "healthy",
    DecisionKind.HOLD: "warning",
    DecisionKind.INCONCLUSIVE: "unknown",
    DecisionKind.ROLLBACK: "critical",
}


def heartbeat_view(snapshot: Snapshot) -> HeartbeatView:
    """The heartbeat pane from a snapshot."""
    hb = snapshot.heartbeat
    if hb is None:
        status = _UNKNOWN
        signature = _UNKNOWN
    else:
        status = {"ok": Badge("healthy", "✔", "ok"), "degraded": Badge("warning", "⚠", "degraded"), "down": Badge("critical", "✖", "down")}.get(
            str(hb.status), _UNKNOWN
        )
        if not hb.verified:
            signature = Badge("critical", "✖", "unverified")
        elif hb.signature_valid is False:
            signature = Badge("critical", "✖", "bad signature")
        elif hb.signature_valid is None:  # no secret here: only the server's word; the signature itself goes unchecked
            signature = Badge("unknown", "◌", "unchecked (no secret)")
        else:
            signature = Badge("healthy", "✔", "verified")
    rates = snapshot.rates
    return HeartbeatView(
        status=status,
        response_ms=hb.response_ms if hb else None,
        signature=signature,
        requests_per_s=rates.requests_per_s if rates else None,
        errors_per_s=rates.errors_per_s if rates else None,
        errors=rates.errors if rates else None,
        data_age_s=snapshot.data_age_s,
        connection=str(snapshot.connection),
        connection_error=snapshot.connection_error,
        metrics_source=hb.metrics.source if hb else "heartbeat",
    )


def _error_level(table: ThresholdTable, errors: int, requests: int) -> tuple[Badge, str, str]:
    """(level badge, advised action, interval text) of an error count on its Wilson interval, against the table in force."""
    threshold = table.threshold(Metric.ERROR_RATE)
    call = rate_level(errors, requests, threshold)
    badge = level_badge(call)
    action = {Level.WARNING: Action.WATCH, Level.CRITICAL: threshold.action}.get(call.level, Action.WAIT if call.low_data else Action.NONE)
    return badge, str(action) if call.level is not Level.HEALTHY else "", interval_text(call.interval, Unit.FRACTION)


def error_rate_view(snapshot: Snapshot, history: Iterable[float] = ()) -> ErrorRateView:
    """The error-rate pane over the controller's window: the canary's level when the server splits traffic, else all traffic's."""
    window = snapshot.window
    if window is None:
        return ErrorRateView(None, None, None, _UNKNOWN, "", tuple(history), snapshot.connection.degraded, snapshot.data_age_s)
    idle = canary_idle(snapshot) or (window.canary_requests == 0 and window.stable_requests is not None)
    judge_canary = not idle and bool(window.canary_requests) and window.canary_errors is not None
    if judge_canary:
        badge, action, interval = _error_level(snapshot.thresholds, int(window.canary_errors or 0), int(window.canary_requests or 0))
    else:
        badge, action, interval = _error_level(snapshot.thresholds, window.errors, window.requests)
    return ErrorRateView(
        error_rate=window.error_rate,
        canary_error_rate=window.canary_error_rate,
        stable_error_rate=window.stable_error_rate,
        level=badge,
        action=action,
        history=tuple(history),
        stale=snapshot.connection.degraded,
        data_age_s=snapshot.data_age_s,
        window_s=window.interval_s,
        judged="canary" if judge_canary else "all",
        interval_text=interval,
        canary_idle=idle,
    )


_DURATION_UNITS: dict[str, float] = {Unit.SECONDS: 1.0, Unit.HOURS: 3600.0}


def _short_duration(seconds: float) -> str:
    """A duration without trailing zero parts: '24h', '45s', '6h18m'."""
    text = duration_text(seconds)
    for tail in ("h00m", "m00s"):
        if text.endswith(tail):
            return text[: -len(tail) + 1]
    return text


def _trim(number: float, digits: int = 2) -> str:
    """A decimal with `digits` places, and zero as a bare '0': 0.0 → '0', 0.1 → '0.10', 0.213 → '0.21'."""
    text = f"{number:.{digits}f}"
    return "0" if float(text) == 0 else text


def figure_text(value: float | None, unit: Unit | str) -> str:
    """A gate figure with its unit: ms, fractions as percents, seconds and hours as durations, ratios as ×."""
    if value is None:
        return "—"
    if unit == Unit.MS:
        return ms_text(value)
    if unit == Unit.FRACTION:
        return f"{value * 100:.2f}%"
    if unit == Unit.PERCENT:
        return f"{value:.2f}%"
    if unit in _DURATION_UNITS:
        return _short_duration(value * _DURATION_UNITS[unit])
    if unit == Unit.RATIO:
        return f"{value:.2f}×"
    return f"{value:g} {unit}".strip()


def interval_text(interval: tuple[float, float] | None, unit: Unit | str) -> str:
    """A confidence interval in the value's unit, compact: '[262–311]' for ms, '[0–0.11%]' for rates."""
    if interval is None:
        return ""
    low, high = interval
    if unit == Unit.MS:
        return "[" + "–".join(f"{v:.0f}" if v >= 10 else f"{v:.1f}" for v in (low, high)) + "]"
    if unit == Unit.FRACTION:
        low, high = low * 100, high * 100
        unit = Unit.PERCENT
    if unit == Unit.PERCENT:
        return f"[{_trim(low)}–{_trim(high)}%]"
    if unit in _DURATION_UNITS:
        scale = _DURATION_UNITS[unit]
        return f"[{_short_duration(low * scale)}–{_short_duration(high * scale)}]"
    return f"[{low:.3g}–{high:.3g}]"


_FILLER = frozenset({"<", ">", "≤", "≥", "/", "=", "vs", "of", "done", "·", "-", "—", "⇔"})


def _tokens(text: str) -> set[str]:
    """Words of a text, lower-case, without surrounding punctuation."""
    return {t.strip(",;:()[]").lower() for t in text.split()} - {""}


def reason_adds(reason: str, *shown: str) -> bool:
    """True when `reason` says more than the texts already on screen ('P95 90 ms < 500 ms' beside them does not)."""
    if not reason.strip():
        return False
    seen: set[str] = set()
    for text in shown:
        seen |= _tokens(text)
    return bool(_tokens(reason) - seen - _FILLER)


#: ratios outside this range say "far apart" more honestly as a bound than as a figure ("845.59×")
RATIO_SHOWN = (0.1, 10.0)


def ratio_text(gate: GateResult) -> str:
    """A canary-vs-stable ratio a person can read: '—' on low data (few events), '>10×' for a huge one, '1.4×' else."""
    value = gate.value
    if value is None or gate.low_data:
        return "—"
    low, high = RATIO_SHOWN
    if value == 0:
        return "canary none"
    if value < low:
        return f"<{low:g}×"
    if value > high:
        return f">{high:g}×"
    return f"{value:.1f}×"


def _only_figures(text: str) -> bool:
    """True when `text` holds nothing but numbers, units and filler words ('bake 0.0 h of 0.0125 h')."""
    for token in _tokens(text):
        if token in _FILLER or token in ("h", "s", "m", "ms", "bake"):
            continue
        try:
            float(token.rstrip("hms"))
        except ValueError:
            return False
    return True


def gate_line(gate: GateResult) -> GateLine:
    """One gate as text: figures, interval, evidence position, and the reason only where it adds something."""
    value = ratio_text(gate) if gate.unit == Unit.RATIO else figure_text(gate.value, gate.unit)
    threshold = "" if gate.threshold is None else figure_text(gate.threshold, gate.unit)
    figure = value
    if gate.unit in _DURATION_UNITS and threshold and threshold not in gate.name:
        figure = f"{value} / {threshold}"  # the bake: progress towards its time
    interval = interval_text(gate.interval, gate.unit)
    informative = reason_adds(gate.reason, gate.name, figure, threshold, interval, "low data")
    if gate.unit in _DURATION_UNITS and gate.value is not None and _only_figures(gate.reason):
        informative = False  # "0.0 h of 0.0125 h" restates the figure ("0s / 45s") in worse units
    detail = f"{gate.status.value}: {gate.reason}" if informative and gate.status != GateStatus.PASS else ""
    return GateLine(
        name=gate.name,
        status=str(gate.status),
        glyph=gate.status.glyph,
        value_text=value,
        threshold_text=threshold,
        reason=gate.reason + (" (low data)" if gate.low_data and "low data" not in gate.reason else ""),
        interval_text=interval,
        evidence=gate.evidence,
        low_data=gate.low_data,
        figure_text=figure,
        detail=detail,
        reason_adds=informative,
    )


def gates_view(snapshot: Snapshot) -> GatesView:
    """The gates pane from a snapshot; stale data holds every gate."""
    stage = snapshot.stage
    title = "Gates"
    if stage is not None and stage.index is not None:
        title = f"Gates (stage {stage.index + 1}, {stage.percent}%)"
    held = None
    if snapshot.connection.degraded:
        held = f"data {snapshot.connection.value}: gates hold"
    gates = tuple(gate_line(g) for g in snapshot.gates)
    if held:
        # the pane's first line says why everything holds: no per-gate "stale" reason
        gates = tuple(replace(g, status=GateStatus.HOLD.value, glyph=GateStatus.HOLD.glyph, reason="stale data", detail="") for g in gates)
    trigger = snapshot.auto_rollback
    label = trigger.label
    seen = seen_state(snapshot)
    if seen is not None and seen.percent == 0 and trigger.count and trigger.enabled and trigger.armed:
        label = "armed"  # nothing left to roll back: a count from before the rollback says nothing now
        trigger = replace(trigger, count=0)
    level = "unknown" if not trigger.enabled else ("warning" if trigger.count or not trigger.armed else "healthy")
    decision = snapshot.decision
    return GatesView(
        title=title,
        gates=gates,
        auto_rollback=label,
        auto_rollback_level=level,
        decision=_decision_text(snapshot, seen),
        decision_level=_DECISION_LEVEL.get(decision.kind, "unknown") if decision else "unknown",
        held_reason=held,
    )


def _decision_text(snapshot: Snapshot, seen: SeenState | None) -> str | None:
    """The decision in words; at 100% there is nothing left to promote: the ramp is complete."""
    decision = snapshot.decision
    if decision is None:
        return None
    if seen is not None and seen.percent is not None and seen.percent >= 100 and decision.kind is DecisionKind.PROMOTE_ELIGIBLE:
        return "complete: the canary serves 100%"
    return f"{decision.kind.value}: {decision.reason}"


def advance_view(snapshot: Snapshot) -> AdvanceView | None:
    """The advance dialog's content: the next step from the percent as last seen, with the gates that judge it.

    Whether it needs an override is the controller's own rule (core/advance_rule.py), read on what the screen shows.
    """
    seen = seen_state(snapshot)
    if seen is None or seen.percent is None:
        return None
    nxt = snapshot.plan.next_stage(seen.percent)
    if nxt is None:
        return None
    preflight = seen.percent == 0
    decision = snapshot.decision
    why = override_reasons(
        seen.percent, snapshot.gates, decision.kind if decision is not None else None,
        data_problem=None if snapshot.connection is ConnectionState.LIVE else snapshot.connection.value, paused=bool(seen.paused),
    )
    failing_checkpoint = any(g.kind is GateKind.CHECKPOINT and g.status is GateStatus.FAIL for g in snapshot.gates)
    missing = seen.canary_version if preflight and failing_checkpoint else None
    pane = gates_view(snapshot)
    return AdvanceView(
        from_percent=seen.percent,
        to_percent=nxt.percent,
        gates=pane.gates,
        decision=pane.decision,
        needs_override=bool(why),
        override_why="; ".join(why),
        preflight=preflight,
        missing_checkpoint_for=missing,
        seen=seen,
    )


_METRIC_WORDS = {Metric.P50_MS: "P50", Metric.P95_MS: "P95", Metric.P99_MS: "P99", Metric.ERROR_RATE: "error rate", Metric.SUCCESS_RATE: "success rate"}


def _bound_text(metric: Metric, value: float) -> str:
    """A threshold without its unit: '500', '0.1' (percent)."""
    if metric.value.endswith("_ms"):
        return f"{value:g}"
    return f"{value * 100:.3f}".rstrip("0").rstrip(".")


def threshold_rows(table: ThresholdTable) -> list[tuple[str, str]]:
    """(metric, bands) for the help screen, from the table in force: '✔ < 500 · ⚠ 500–750 · ✖ > 750 ms'."""
    rows = []
    for threshold in table.thresholds:
        metric = threshold.metric
        warn, crit = _bound_text(metric, threshold.warning_from), _bound_text(metric, threshold.critical_beyond)
        better, worse = (">", "<") if threshold.higher_is_better else ("<", ">")
        unit = f" {Unit.MS.value}" if metric.value.endswith("_ms") else Unit.PERCENT.value
        bands = (
            f"{Level.HEALTHY.glyph} {better} {warn} · {Level.WARNING.glyph} {warn}–{crit} · {Level.CRITICAL.glyph} {worse} {crit}{unit}"
        )
        rows.append((_METRIC_WORDS.get(metric, metric.value), bands))
    rows.append(("auto-rollback", f"canary errors > {SEED_TRIP_ERROR_RATE:.0%} or P95 > {SEED_TRIP_P95_MS:g} ms, on evidence"))
    return rows


def event_line(event: Event) -> EventLine:
    """One event as a log row; a message that repeats the actor or the kind is not repeated."""
    message = event.message
    if message.startswith(event.actor + " "):
        message = message[len(event.actor) + 1 :]
    return EventLine(time_text=clock_text(event.at), actor=event.actor, kind=kind_to_show(event.kind, message), message=message,
                     level=str(event.level))



def watching_text(subject: str, *, url: str | None = None, poll_interval_s: float | None = None, read_only: bool = False) -> str:
    """An event log's first line, so it is never blank: what is watched (and where), how often, whether read-only."""
    parts = [f"watching {subject}" + (f" at {url}" if url and url != subject else "")]  # a URL target is named by its host:port
    if poll_interval_s is not None:
        parts.append(f"polling every {poll_interval_s:g} s")
    if read_only:
        parts.append("read-only")
    return " · ".join(parts)
