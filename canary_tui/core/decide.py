"""One Decision from the evidence (judgment.md, "Decisions"): ROLLBACK, HOLD, INCONCLUSIVE or
PROMOTE-ELIGIBLE, with the reason formatted here from the structured trips and gates.
"""

from __future__ import annotations

from canary_tui.core.evidence import Evidence, EvidenceDict
from canary_tui.core.evidence_gates import evidence_gates
from canary_tui.core.stats import SprtState
from canary_tui.core.trips import Trip, TripKind, describe_trip, describe_trips
from canary_tui.core.verdicts import Decision, DecisionKind, GateKind, GateResult, GateStatus

FALLBACK_NOTE = "no per-variant metrics: decided on the seed's fixed thresholds"
NO_BUCKETS_NOTE = "; latency on the P95 threshold of the server's P95 (no latency buckets)"


def judge(
    ev: Evidence,
    *,
    signature_ok: bool | None = True,
    stale: bool = False,
    bake_elapsed_s: float | None = None,
    bake_s: float | None = None,
    pending: str | None = None,
) -> Decision:
    """PROMOTE-ELIGIBLE, HOLD, INCONCLUSIVE or ROLLBACK, with the reason and the evidence (judgment.md)."""
    evidence = ev.summary()
    if signature_ok is False:
        trip = Trip(TripKind.SIGNATURE)
        return Decision(DecisionKind.ROLLBACK, describe_trip(trip), evidence, trips=(trip,))
    hb = ev.last_heartbeat
    if hb is None:
        return Decision(DecisionKind.HOLD, "no data yet", evidence)
    if stale:
        return Decision(DecisionKind.HOLD, "data is stale: holding (missing data never passes nor rolls back)",
                        evidence)
    if hb.deployment.canary_percent == 0:
        return Decision(DecisionKind.INCONCLUSIVE, "no canary traffic (0%): nothing to judge", evidence)
    gates = evidence_gates(ev, bake_elapsed_s=bake_elapsed_s, bake_s=bake_s)
    if not ev.per_variant:
        return _judge_fallback(ev, gates, evidence, pending)
    trips = ev.rollback_trips()
    fallback = not ev.has_buckets
    note = NO_BUCKETS_NOTE if fallback else ""
    if trips:
        return Decision(DecisionKind.ROLLBACK, describe_trips(trips) + note, evidence, fallback, tuple(trips))
    return _promote_or_wait(ev, gates, evidence, pending, fallback, note)


def _bake(gates: tuple[GateResult, ...]) -> GateResult:
    """The bake gate (every gate set has one)."""
    return next(g for g in gates if g.kind is GateKind.BAKE)


def _promote_or_wait(
    ev: Evidence, gates: tuple[GateResult, ...], evidence: EvidenceDict, pending: str | None, fallback: bool, note: str
) -> Decision:
    """Everything short of a rollback: HOLD on known blockers, INCONCLUSIVE on thin evidence, else eligible."""
    cfg = ev.config
    if pending:
        return Decision(DecisionKind.HOLD, f"action pending: {pending}{note}", evidence, fallback)
    failing = [g for g in gates if g.status is GateStatus.FAIL]
    if failing:
        return Decision(DecisionKind.HOLD, "gate failing: " + "; ".join(f"{g.name} ({g.reason})" for g in failing)
                        + note, evidence, fallback, failing=tuple(failing))
    n = ev.stage.canary_requests
    if n < cfg.min_stage_requests:
        return Decision(DecisionKind.INCONCLUSIVE, f"not enough canary requests yet ({n}/{cfg.min_stage_requests})"
                        + note, evidence, fallback)
    comparable = ev.percent is not None and ev.percent < 100
    if comparable and ev.error_sprt.status is not SprtState.ACCEPT:
        return Decision(DecisionKind.INCONCLUSIVE, f"canary vs stable not yet shown within {cfg.sprt_k:g}× "
                        f"(SPRT {ev.error_sprt.log_lr:.2f}, accept at ≤ {ev.error_sprt.lower:.2f})" + note,
                        evidence, fallback)
    holding = [g for g in gates if g.status is GateStatus.HOLD and g.kind is not GateKind.BAKE
               and (comparable or not g.kind.versus_stable)]  # at 100% there is no stable to compare
    if holding:
        return Decision(DecisionKind.INCONCLUSIVE, "gates not yet green on their bounds: "
                        + ", ".join(g.name for g in holding) + note, evidence, fallback)
    bake = _bake(gates)
    if bake.status is not GateStatus.PASS:
        return Decision(DecisionKind.HOLD, f"baking: {bake.reason}{note}", evidence, fallback)
    return Decision(DecisionKind.PROMOTE_ELIGIBLE, "bake met, enough samples, no regression, gates green on bounds"
                    + note, evidence, fallback)


def _judge_fallback(ev: Evidence, gates: tuple[GateResult, ...], evidence: EvidenceDict, pending: str | None) -> Decision:
    """No per-variant metrics: the seed's triggers and the thresholds in force on what there is, said so."""
    trips = ev.seed_state.trips
    if trips:
        return Decision(DecisionKind.ROLLBACK, f"{describe_trips(trips)} ({FALLBACK_NOTE})", evidence, True, trips)
    if pending:
        return Decision(DecisionKind.HOLD, f"action pending: {pending} ({FALLBACK_NOTE})", evidence, True)
    failing = [g for g in gates if g.status is GateStatus.FAIL]
    if failing:
        return Decision(DecisionKind.HOLD, f"gate failing: {', '.join(g.name for g in failing)} ({FALLBACK_NOTE})", evidence, True,
                        failing=tuple(failing))
    holding = [g.name for g in gates if g.status is GateStatus.HOLD and g.kind is not GateKind.BAKE]
    if holding:
        return Decision(DecisionKind.INCONCLUSIVE, f"no data for: {', '.join(holding)} ({FALLBACK_NOTE})", evidence,
                        True)
    bake = _bake(gates)
    if bake.status is not GateStatus.PASS:
        return Decision(DecisionKind.HOLD, f"baking: {bake.reason} ({FALLBACK_NOTE})", evidence, True)
    return Decision(DecisionKind.PROMOTE_ELIGIBLE, f"bake met, gates green ({FALLBACK_NOTE})", evidence, True)
