"""Pre-flight gates: what must hold before the first stage (0% → the plan's first percent).

At 0% there is no canary traffic, so the canary's gates can never pass; the
step out of 0% is judged on the seed's release checklist instead: the heartbeat
answers and its signature verifies, stable is healthy on the table in force, the
ramp is not paused, and a rollback checkpoint exists for this canary version.
Only a FAILING pre-flight gate needs an override; HOLD means "not known yet".
"""

from __future__ import annotations

from dataclasses import dataclass

from canary_tui.core.levels import LevelCall, rate_level
from canary_tui.core.rates import Rates
from canary_tui.core.samples import Deployment
from canary_tui.core.thresholds import Level, Metric, ThresholdTable
from canary_tui.core.verdicts import GateKind, GateResult, GateStatus, Unit

HEARTBEAT_GATE = "heartbeat"
STABLE_HEALTH_GATE = "stable health"
NOT_PAUSED_GATE = "not paused"
CHECKPOINT_GATE = "checkpoint"


@dataclass(frozen=True, slots=True)
class PreflightFacts:
    """What the controller knows before a ramp starts."""

    deployment: Deployment | None
    live: bool  # fresh data, no failing fetch
    signature_ok: bool | None  # None: no heartbeat yet
    window: Rates | None  # stable's counts over the recent window
    checkpoint_id: str | None  # a checkpoint created for deployment.canary_version, if known
    signature_checked: bool = True  # False: no secret here, so only the server's word stands for the signature


def stable_error_level(window: Rates | None, table: ThresholdTable) -> LevelCall | None:
    """Stable's error rate level over the window (all traffic is stable at 0%), on its interval."""
    if window is None:
        return None
    requests = window.stable_requests if window.stable_requests is not None else window.requests
    errors = window.stable_errors if window.stable_errors is not None else window.errors
    return rate_level(int(errors or 0), int(requests or 0), table.threshold(Metric.ERROR_RATE))


def preflight_gates(facts: PreflightFacts, table: ThresholdTable) -> tuple[GateResult, ...]:
    """The four pre-flight gates, each PASS, FAIL or HOLD with its reason."""
    return (_heartbeat(facts), _stable(facts, table), _not_paused(facts), _checkpoint(facts))


def _heartbeat(facts: PreflightFacts) -> GateResult:
    if facts.signature_ok is False:
        return GateResult(HEARTBEAT_GATE, GateStatus.FAIL, None, None, Unit.NONE, "signature check failed", kind=GateKind.HEARTBEAT)
    if facts.signature_ok is None or not facts.live:
        return GateResult(HEARTBEAT_GATE, GateStatus.HOLD, None, None, Unit.NONE, "no fresh heartbeat", kind=GateKind.HEARTBEAT)
    why = "reachable; signature verified" if facts.signature_checked else "reachable; signature unchecked (no secret)"
    return GateResult(HEARTBEAT_GATE, GateStatus.PASS, None, None, Unit.NONE, why, kind=GateKind.HEARTBEAT)


def _stable(facts: PreflightFacts, table: ThresholdTable) -> GateResult:
    call = stable_error_level(facts.window, table) if facts.live else None
    if call is None or call.point is None:
        return GateResult(STABLE_HEALTH_GATE, GateStatus.HOLD, None, None, Unit.PERCENT, "no stable traffic measured yet", low_data=True, kind=GateKind.STABLE_HEALTH)
    value = 100.0 * call.point
    interval = (100.0 * call.interval[0], 100.0 * call.interval[1]) if call.interval else None
    limit = 100.0 * table.threshold(Metric.ERROR_RATE).critical_beyond
    if call.level is Level.CRITICAL:
        status, why = GateStatus.FAIL, "stable errors critical on the table"
    elif call.level is Level.HEALTHY:
        status, why = GateStatus.PASS, "stable errors healthy on the table"
    elif call.low_data:
        status, why = GateStatus.HOLD, f"low data ({call.requests} stable requests)"
    else:
        status, why = GateStatus.HOLD, "stable errors in the warning band"
    return GateResult(STABLE_HEALTH_GATE, status, value, limit, Unit.PERCENT, why, interval=interval, low_data=call.low_data, kind=GateKind.STABLE_HEALTH)


def _not_paused(facts: PreflightFacts) -> GateResult:
    if facts.deployment is None:
        return GateResult(NOT_PAUSED_GATE, GateStatus.HOLD, None, None, Unit.NONE, "state unknown", kind=GateKind.NOT_PAUSED)
    if facts.deployment.paused:
        return GateResult(NOT_PAUSED_GATE, GateStatus.FAIL, None, None, Unit.NONE, "the ramp is paused: resume first", kind=GateKind.NOT_PAUSED)
    return GateResult(NOT_PAUSED_GATE, GateStatus.PASS, None, None, Unit.NONE, "the ramp is not on hold", kind=GateKind.NOT_PAUSED)


def _checkpoint(facts: PreflightFacts) -> GateResult:
    version = facts.deployment.canary_version if facts.deployment is not None else "?"
    if facts.checkpoint_id:
        return GateResult(CHECKPOINT_GATE, GateStatus.PASS, None, None, Unit.NONE, f"{facts.checkpoint_id} for {version}", kind=GateKind.CHECKPOINT)
    return GateResult(CHECKPOINT_GATE, GateStatus.FAIL, None, None, Unit.NONE, f"no rollback checkpoint for {version}", kind=GateKind.CHECKPOINT)
