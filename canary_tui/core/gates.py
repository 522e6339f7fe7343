"""The seed's stage validation on the thresholds in force (the triggers live in core/seed_triggers.py).

Stages below 100%: "P95 < 500 ms", "errors < 1%" and the bake. The 100% stage:
"all metrics stable" (no metric of the table critical). The P95 and error
bounds come from the threshold table (P95 healthy bound, error-rate critical
bound), so config overrides move the gates with the table. Missing or stale
data HOLDs a gate with the reason; it never passes and never fails one.
"""

from __future__ import annotations

from canary_tui.core.rates import Rates
from canary_tui.core.samples import Heartbeat
from canary_tui.core.stage_clock import format_duration
from canary_tui.core.thresholds import Level, Metric, ThresholdTable, strictly_below
from canary_tui.core.verdicts import GateKind, GateResult, GateStatus, Unit

#: requests a window needs before the error gate judges it
MIN_GATE_REQUESTS = 100

BAKE_GATE = "bake"
STABLE_GATE = "all metrics stable"


def evaluate_stage_gates(
    stage_percent: int,
    heartbeat: Heartbeat | None,
    rates: Rates | None,
    table: ThresholdTable,
    stale: bool,
    bake_elapsed_s: float | None = None,
    bake_s: float | None = None,
) -> tuple[GateResult, ...]:
    """The gates of the stage at `stage_percent`, each PASS, FAIL or HOLD with a readable reason.

    0%: no gates (nothing is exposed yet). 1..99%: P95, errors and bake (the
    bake gate HOLDs when its clock is unknown). 100%: all metrics stable, plus
    the bake when `bake_s` is given. Canary figures are used when the heartbeat
    carries a canary split, whole-service figures otherwise.
    """
    if stage_percent <= 0:
        return ()
    if stage_percent >= 100:
        gates = [stable_gate(heartbeat, rates, table, stale)]
        if bake_s is not None:
            gates.append(bake_gate(bake_elapsed_s, bake_s))
        return tuple(gates)
    return (
        p95_gate(heartbeat, table, stale),
        error_gate(rates, table, stale),
        bake_gate(bake_elapsed_s, bake_s),
    )


def judged_p95_ms(heartbeat: Heartbeat) -> float | None:
    """The P95 the gates judge: the canary's when the heartbeat has a split, else the service's."""
    canary = heartbeat.metrics.canary
    return canary.p95_ms if canary is not None else heartbeat.metrics.p95_ms  # a split without a P95 is no data


def judged_error_rate(rates: Rates) -> float | None:
    """The error fraction the gates judge: the canary's over the interval when split, else the service's."""
    return rates.canary_error_rate if rates.has_split else rates.error_rate


def p95_gate(heartbeat: Heartbeat | None, table: ThresholdTable, stale: bool) -> GateResult:
    """P95 below the table's healthy bound (seed: 500 ms)."""
    bound_ms = table.threshold(Metric.P95_MS).warning_from
    name = f"P95 < {_num(bound_ms)} ms"
    if stale:
        return GateResult(name, GateStatus.HOLD, None, bound_ms, Unit.MS, "stale", kind=GateKind.P95)
    p95_ms = judged_p95_ms(heartbeat) if heartbeat is not None else None
    if p95_ms is None:
        return GateResult(name, GateStatus.HOLD, None, bound_ms, Unit.MS, "no data", kind=GateKind.P95)
    ok = strictly_below(p95_ms, bound_ms)
    sign = "<" if ok else "≥"
    reason = f"P95 {_num(p95_ms, bound_ms)} ms {sign} {_num(bound_ms)} ms"
    return GateResult(name, GateStatus.PASS if ok else GateStatus.FAIL, p95_ms, bound_ms, Unit.MS, reason, kind=GateKind.P95)


def judged_requests(rates: Rates) -> int:
    """The request count behind judged_error_rate: the canary's when split, else the service's."""
    return (rates.canary_requests or 0) if rates.has_split else rates.requests


def error_gate(rates: Rates | None, table: ThresholdTable, stale: bool) -> GateResult:
    """Error rate over the judged window below the table's critical bound (seed: 1%).

    Fewer than MIN_GATE_REQUESTS requests HOLD as low data: one error in ten requests
    is not a 10% error rate worth failing a stage on.
    """
    bound = table.threshold(Metric.ERROR_RATE).critical_beyond
    name = f"errors < {_pct(bound)}"
    if stale:
        return GateResult(name, GateStatus.HOLD, None, bound, Unit.FRACTION, "stale", kind=GateKind.ERRORS)
    rate = judged_error_rate(rates) if rates is not None else None
    if rate is None or rates is None:
        return GateResult(name, GateStatus.HOLD, None, bound, Unit.FRACTION, "no data", kind=GateKind.ERRORS)
    n = judged_requests(rates)
    if n < MIN_GATE_REQUESTS:
        reason = f"low data: {n} requests < {MIN_GATE_REQUESTS}"
        return GateResult(name, GateStatus.HOLD, rate, bound, Unit.FRACTION, reason, low_data=True, kind=GateKind.ERRORS)
    ok = strictly_below(rate, bound)
    sign = "<" if ok else "≥"
    reason = f"errors {_pct(rate, 2, bound)} {sign} {_pct(bound)}"
    return GateResult(name, GateStatus.PASS if ok else GateStatus.FAIL, rate, bound, Unit.FRACTION, reason, kind=GateKind.ERRORS)


def bake_gate(elapsed_s: float | None, bake_s: float | None) -> GateResult:
    """The stage's bake: HOLD until `elapsed_s >= bake_s`, PASS after; HOLD when either is unknown."""
    if bake_s is None:
        return GateResult(BAKE_GATE, GateStatus.HOLD, elapsed_s, None, Unit.SECONDS, "no bake time (off-plan stage)", kind=GateKind.BAKE)
    if elapsed_s is None:
        return GateResult(BAKE_GATE, GateStatus.HOLD, None, bake_s, Unit.SECONDS, "bake clock not started", kind=GateKind.BAKE)
    done = elapsed_s >= bake_s
    reason = f"bake {format_duration(elapsed_s)} / {format_duration(bake_s)}"
    if done:
        reason += " done"
    return GateResult(BAKE_GATE, GateStatus.PASS if done else GateStatus.HOLD, elapsed_s, bake_s, Unit.SECONDS, reason, kind=GateKind.BAKE)


def stage_values(heartbeat: Heartbeat | None, rates: Rates | None) -> dict[Metric | str, float | None]:
    """Every table metric as the gates see it (canary figures when split), None when unknown."""
    values: dict[Metric | str, float | None] = dict.fromkeys(Metric)
    if heartbeat is not None:
        source = heartbeat.metrics.canary or heartbeat.metrics
        values[Metric.P50_MS] = source.p50_ms
        values[Metric.P95_MS] = source.p95_ms
        values[Metric.P99_MS] = source.p99_ms
    if rates is not None:
        error_rate = judged_error_rate(rates)
        values[Metric.ERROR_RATE] = error_rate
        values[Metric.SUCCESS_RATE] = None if error_rate is None else 1.0 - error_rate
    return values


def stable_gate(heartbeat: Heartbeat | None, rates: Rates | None, table: ThresholdTable, stale: bool) -> GateResult:
    """100% stage: FAIL when any metric is critical, HOLD when any is unknown or stale, else PASS."""
    if stale:
        return GateResult(STABLE_GATE, GateStatus.HOLD, None, 0, Unit.CRITICAL_COUNT, "stale", kind=GateKind.ALL_STABLE)
    judged = table.classify_all(stage_values(heartbeat, rates))
    critical = [c for c in judged if c.level is Level.CRITICAL]
    if critical:
        listed = ", ".join(_describe(c.metric, c.value) for c in critical)
        return GateResult(STABLE_GATE, GateStatus.FAIL, float(len(critical)), 0, Unit.CRITICAL_COUNT, f"critical: {listed}", kind=GateKind.ALL_STABLE)
    unknown = [c.metric.value for c in judged if c.level is Level.UNKNOWN]
    if unknown:
        return GateResult(STABLE_GATE, GateStatus.HOLD, None, 0, Unit.CRITICAL_COUNT, f"no data: {', '.join(unknown)}", kind=GateKind.ALL_STABLE)
    return GateResult(STABLE_GATE, GateStatus.PASS, 0.0, 0, Unit.CRITICAL_COUNT, f"all {len(judged)} metrics below critical", kind=GateKind.ALL_STABLE)


def _describe(metric: Metric, value: float | None) -> str:
    """'P95 812 ms' or 'errors 1.40%' for a reason string."""
    if value is None:
        return f"{metric.value} ?"
    if metric is Metric.ERROR_RATE:
        return f"errors {_pct(value, 2)}"
    if metric is Metric.SUCCESS_RATE:
        return f"success {_pct(value, 2)}"
    return f"{metric.value[:3].upper()} {_num(value)} ms"


def _num(value: float, bound: float | None = None) -> str:
    """Whole milliseconds ('287'), with more digits only when rounding would make a value read as its bound."""
    return _digits(value, 0, bound, "")


def _pct(fraction: float, decimals: int | None = None, bound: float | None = None) -> str:
    """A fraction as percent: '1%' for bounds, '0.50%' with decimals for measured values."""
    if decimals is None:
        return f"{fraction * 100.0:g}%"
    return _digits(fraction * 100.0, decimals, None if bound is None else bound * 100.0, "%")


def _digits(value: float, decimals: int, bound: float | None, suffix: str) -> str:
    """Format with `decimals`, adding digits (up to 6) until the text differs from the bound's value."""
    text = f"{value:.{decimals}f}"
    while bound is not None and value != bound and float(text) == bound and decimals < 6:
        decimals += 1
        text = f"{value:.{decimals}f}"
    return text + suffix
