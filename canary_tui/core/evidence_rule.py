"""The evidence judgment as the controller runs it (a core/rules.py `Rule`), and as one-shot checks use it.

The rule's bake clock is THE stage clock the controller hands in with each observation
(skew-corrected), so the header, the bake gate and the decision agree.
"""

from __future__ import annotations

import math

from canary_tui.core.decide import judge
from canary_tui.core.evidence import Evidence, JudgmentConfig
from canary_tui.core.evidence_gates import evidence_gates
from canary_tui.core.plans import RampPlan
from canary_tui.core.rates import compute_rates
from canary_tui.core.resume import StoredStage, resume_evidence
from canary_tui.core.rules import Observation, RuleVerdict
from canary_tui.core.samples import Heartbeat
from canary_tui.core.stage_clock import entered_at, server_skew_s
from canary_tui.core.thresholds import ThresholdTable
from canary_tui.core.verdicts import Decision, DecisionKind, GateKind, GateResult


def plan_bake(plan: RampPlan | None, percent: int | None, entered_s: float | None, now_s: float
              ) -> tuple[float | None, float | None]:
    """(elapsed, required) bake seconds of the stage at `percent` entered at `entered_s`, from the plan."""
    if plan is None or percent is None or entered_s is None:
        return None, None
    index = plan.index_of(percent)
    if index is None:
        return None, None
    return max(0.0, now_s - entered_s), plan.stages[index].bake_s


class EvidenceRule:
    """Auto-rollback on evidence (core/rules.py `Rule`): trips when `judge` says ROLLBACK.

    Its decision reads the seed triggers' state handed in with the observation (run once, by the
    seed rule before it); alone, without a seed rule, it feeds its own.

    Reads the stage's start from the observation (the controller's stage clock) against
    `plan`'s bake times, and the stage gates from the thresholds in force, so its verdict
    carries the full Decision for the controller's snapshot.
    """

    name = "evidence"

    def __init__(self, plan: RampPlan | None = None, config: JudgmentConfig | None = None) -> None:
        self.plan = plan
        self.evidence = Evidence(config or JudgmentConfig())
        self.decision: Decision | None = None
        self.gates: tuple[GateResult, ...] = ()  # evidence-only gates for the gate pane (none in fallback)
        self._thresholds: ThresholdTable | None = None

    def _use_thresholds(self, table: ThresholdTable | None) -> None:
        """Read the stage gates from the thresholds in force (once per table)."""
        if table is None or table == self._thresholds:
            return
        self._thresholds = table
        self.evidence.config = self.evidence.config.with_thresholds(table)

    def observe(self, obs: Observation) -> RuleVerdict:
        """Feed one observation; trip on ROLLBACK, HOLD on missing or stale data."""
        self._use_thresholds(obs.thresholds)
        ev = self.evidence
        needed = ev.config.debounce_windows
        fresh = obs.heartbeat is not None and not obs.stale
        if fresh:
            assert obs.heartbeat is not None
            ev.observe(obs.heartbeat, obs.previous, obs.rates, obs.now_s, obs.stage_entered_s, obs.seed)
        elapsed, bake = plan_bake(self.plan, ev.percent, ev.stage_started_s, obs.now_s)
        decision = judge(ev, signature_ok=not obs.signature_confirmed_bad, stale=not fresh,
                         bake_elapsed_s=elapsed, bake_s=bake)
        self.decision = decision
        self.gates = ()
        if ev.per_variant and fresh:
            all_gates = evidence_gates(ev, bake_elapsed_s=elapsed, bake_s=bake)
            self.gates = tuple(g for g in all_gates if g.kind not in (GateKind.BAKE, GateKind.P95))  # seed gates show those
        trip = decision.kind is DecisionKind.ROLLBACK
        count = needed if trip else max(ev.error_trip.count, ev.slow_trip.count)
        hold = not fresh and not obs.signature_confirmed_bad
        reason = decision.reason if (trip or hold) else ""
        if hold and not reason.startswith("hold"):
            reason = f"hold: {decision.reason}"
        return RuleVerdict(self.name, trip, reason, min(count, needed), needed, hold=hold, decision=decision,
                           evidence=dict(decision.evidence), trips=decision.trips, gates=self.gates)

    def resume(self, stage: StoredStage, stage_entered_s: float | None) -> None:
        """Continue from the stored counts of the stage going on (a restart), before its first live observation."""
        resume_evidence(self.evidence, stage, stage_entered_s)

    def reset(self) -> None:
        """Forget all evidence (the ramp starts over)."""
        self.evidence.reset()
        self.decision = None
        self.gates = ()


def decision_between(
    first: Heartbeat, second: Heartbeat, plan: RampPlan | None = None, thresholds: ThresholdTable | None = None
) -> Decision:
    """The judgment on the interval between two heartbeats (one window), for one-shot checks.

    The stage clock is the server's updated_at corrected for the server's skew, as the controller's.
    """
    config = JudgmentConfig(window_s=0.0)
    if thresholds is not None:
        config = config.with_thresholds(thresholds)
    evidence = Evidence(config)
    entered_s = entered_at(second.deployment.updated_at, second.fetched_at_s, server_skew_s(second))
    evidence.observe(first, None, None, first.fetched_at_s, entered_s)
    evidence.observe(second, first, compute_rates(first, second), second.fetched_at_s, entered_s)
    elapsed_s, bake_s = plan_bake(plan, second.deployment.canary_percent, entered_s, second.fetched_at_s)
    return judge(evidence, signature_ok=first.signature_ok and second.signature_ok,
                 bake_elapsed_s=elapsed_s, bake_s=bake_s)


def decision_to_json(decision: Decision | None) -> dict[str, object] | None:
    """The `decision` object of --json output: kind, reason, fallback and the evidence numbers."""
    if decision is None:
        return None
    return {
        "kind": decision.kind.value,
        "reason": decision.reason,
        "fallback": decision.fallback,
        "evidence": {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in decision.evidence.items()},
    }
