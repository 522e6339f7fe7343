"""Pure derivations of what the snapshot shows: ramp state, connection, stage view, trigger state, decision."""

from __future__ import annotations

from collections.abc import Sequence

from canary_tui.controller.model import ConnectionState, RampState, StageView, WindowLatency
from canary_tui.core.clock import to_datetime
from canary_tui.core.plans import RampPlan
from canary_tui.core.rules import RuleVerdict
from canary_tui.core.samples import Deployment, Heartbeat, LatencyBuckets, VariantMetrics
from canary_tui.core.stage_clock import bake_status
from canary_tui.core.verdicts import Decision, DecisionKind, GateResult, GateStatus, TriggerState

UNREACHABLE_AFTER_ERRORS = 3


def stage_view(plan: RampPlan, percent: int | None, entered_at_s: float | None, now_s: float, *, paused: bool = False) -> StageView | None:
    """Where the ramp is on the plan: stage index, bake clock and the next stage's ETA (none while paused)."""
    if percent is None:
        return None
    index = plan.index_of(percent)
    nxt = plan.next_stage(percent)
    next_percent = nxt.percent if nxt else None
    if index is None or entered_at_s is None:
        return StageView(index, len(plan.stages), percent, None, None, None, next_percent, None)
    status = bake_status(plan, percent, entered_at_s, now_s)
    next_eta = None if paused else next((to_datetime(eta_s) for eta_percent, eta_s in status.etas if eta_percent == next_percent), None)
    return StageView(index, len(plan.stages), percent, plan.stages[index].bake_s, status.elapsed_s, status.remaining_s, next_percent, next_eta)


def ramp_state(
    seen: Deployment | None,
    *,
    rolling_back: bool,
    came_down_to_zero: bool,
    gates: Sequence[GateResult],
    tripped: bool,
    baked: bool,
    stale: bool,
) -> RampState:
    """The ramp's state on the plan, from the server's percent and pause flag plus the judgement."""
    if rolling_back:
        return RampState.ROLLING_BACK
    if seen is None:
        return RampState.UNKNOWN
    if seen.canary_percent == 0:
        return RampState.ROLLED_BACK if came_down_to_zero else RampState.IDLE
    if seen.canary_percent >= 100:
        return RampState.COMPLETE
    if seen.paused:
        return RampState.PAUSED
    if tripped or any(g.status is GateStatus.FAIL for g in gates):
        return RampState.GATE_FAILING
    if baked and not stale and gates and all(g.status is GateStatus.PASS for g in gates):
        return RampState.ELIGIBLE
    return RampState.BAKING


#: error kinds that mean nothing usable arrived (as opposed to an answer we cannot use)
NO_ANSWER_KINDS = frozenset({"unreachable", "timeout", "tls"})


def connection_state(*, have_data: bool, error_kind: str | None, consecutive_errors: int, stale: bool) -> ConnectionState:
    """LIVE with fresh data; STALE on the first failures or old data; then what is wrong, once it persists.

    A server that answers with a bad signature is UNTRUSTED, one whose answers break the contract is
    BAD_ANSWER (both are reachable); UNREACHABLE is for no answer at all.
    """
    if error_kind is None:
        if not have_data:
            return ConnectionState.CONNECTING
        return ConnectionState.STALE if stale else ConnectionState.LIVE
    if error_kind == "signature":
        return ConnectionState.UNTRUSTED
    if error_kind.startswith("prometheus") and have_data:
        return ConnectionState.STALE  # the deployment answers; only its metrics source does not
    persistent = not have_data or consecutive_errors >= UNREACHABLE_AFTER_ERRORS
    if not persistent:
        return ConnectionState.STALE
    return ConnectionState.UNREACHABLE if error_kind in NO_ANSWER_KINDS else ConnectionState.BAD_ANSWER


def trigger_state(enabled: bool, verdicts: Sequence[RuleVerdict], trip_reason: str | None, signature_bad: bool) -> TriggerState:
    """Auto-rollback for display: armed unless a rule holds; the rule nearest to tripping gives the count."""
    holds = [v for v in verdicts if v.hold]
    counting = max(verdicts, key=lambda v: v.count / max(v.needed, 1), default=None)
    count = counting.count if counting else 0
    needed = counting.needed if counting else 1
    if trip_reason:
        reason = trip_reason
    elif holds:
        reason = holds[0].reason.removeprefix("hold: ")
    else:
        reason = counting.reason if counting and counting.count else ""
    return TriggerState(enabled=enabled, armed=not holds or signature_bad, count=count, needed=needed, reason=reason)


def decision(
    verdicts: Sequence[RuleVerdict], *, trip_reason: str | None, stale_reason: str | None, gates: Sequence[GateResult], ramp: RampState
) -> Decision:
    """A rule's own Decision when one is offered (the judgment), else one from the seed's gates and triggers.

    A trip by any rule wins over an offered Decision that is not a rollback (it keeps that evidence).
    """
    for verdict in verdicts:
        if verdict.decision is not None:
            offered = verdict.decision
            if trip_reason and offered.kind is not DecisionKind.ROLLBACK:
                return Decision(DecisionKind.ROLLBACK, trip_reason, offered.evidence, fallback=True)
            return offered
    if trip_reason:
        return Decision(DecisionKind.ROLLBACK, trip_reason, fallback=True)
    if stale_reason:
        return Decision(DecisionKind.HOLD, f"data missing or stale ({stale_reason})", fallback=True)
    failing = [g for g in gates if g.status is GateStatus.FAIL]
    if failing:  # no evidence rule offers a judgment: the seed's gates are the judgment
        return Decision(DecisionKind.HOLD, "gate failing: " + ", ".join(g.name for g in failing), fallback=True, failing=tuple(failing))
    if ramp is RampState.ELIGIBLE:
        return Decision(DecisionKind.PROMOTE_ELIGIBLE, "bake time met and gates green", fallback=True)
    return Decision(DecisionKind.INCONCLUSIVE, "paused" if ramp is RampState.PAUSED else "gathering data", fallback=True)


def bucket_increase(first: LatencyBuckets | None, last: LatencyBuckets | None) -> LatencyBuckets | None:
    """Requests per bucket between two polls of cumulative histograms; None when unknown or a counter went down."""
    if first is None or last is None or first.le_ms != last.le_ms:
        return None
    counts = tuple(b - a for a, b in zip(first.counts, last.counts, strict=True))
    return None if any(c < 0 for c in counts) else LatencyBuckets(last.le_ms, counts)


def window_latency(first: Heartbeat | None, last: Heartbeat | None) -> WindowLatency | None:
    """Latency histograms over the window from `first` (where it starts) to `last` (the newest judged poll)."""
    if first is None or last is None or first is last:
        return None
    start, end = first.metrics, last.metrics
    if end.requests < start.requests:
        return None  # a restart inside the window: the increases are unknown
    return WindowLatency(
        service=bucket_increase(start.latency_buckets, end.latency_buckets),
        canary=bucket_increase(_buckets(start.canary), _buckets(end.canary)),
        stable=bucket_increase(_buckets(start.stable), _buckets(end.stable)),
    )


def _buckets(variant: VariantMetrics | None) -> LatencyBuckets | None:
    """A variant's latency buckets, None when the heartbeat has no such variant."""
    return variant.latency_buckets if variant is not None else None
