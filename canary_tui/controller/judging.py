"""Judging: run the rules on each observation, evaluate the stage's gates, and say what should happen.

The judge returns intents (roll back, advance) with their reasons; it never acts.
The controller carries them out, so the dashboard, the CLI and the automatic
triggers share one path.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace

from canary_tui.controller.follow import ServerView
from canary_tui.core.gates import evaluate_stage_gates
from canary_tui.core.plans import RampPlan
from canary_tui.core.resume import StoredStage
from canary_tui.core.rules import Observation, ResumableRule, Rule, RuleVerdict
from canary_tui.core.thresholds import ThresholdTable
from canary_tui.core.verdicts import Decision, DecisionKind, GateResult, GateStatus

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RollbackIntent:
    """A rule tripped: roll back, for this reason. `new` is False while the same trip persists."""

    reason: str
    new: bool


class Judge:
    """The rules and gates of one target, and what they ask for."""

    def __init__(self, rules: Sequence[Rule], thresholds: ThresholdTable) -> None:
        self.rules: tuple[Rule, ...] = tuple(rules)
        self.thresholds = thresholds
        self.gates: tuple[GateResult, ...] = ()
        self.seed_gates: tuple[GateResult, ...] = ()
        self.verdicts: tuple[RuleVerdict, ...] = ()
        self.trip_reason: str | None = None
        self.stage_clean = True  # no gate failed and no rule counted in this stage

    def observe(self, obs: Observation) -> RollbackIntent | None:
        """Run every rule on one observation; a trip is returned as an intent (a broken rule holds, never raises)."""
        verdicts = []
        for rule in self.rules:
            try:
                verdict = rule.observe(obs)
            except Exception as exc:  # a broken rule must never stop the controller
                log.exception("rule %s failed", rule.name)
                verdict = RuleVerdict(rule.name, False, f"rule error: {exc}", hold=True)
            verdicts.append(verdict)
            if verdict.seed is not None:  # the seed triggers ran once: the rules after this one read their state
                obs = replace(obs, seed=verdict.seed)
        self.verdicts = tuple(verdicts)
        if any(v.count for v in verdicts):
            self.stage_clean = False
        tripped = [v for v in verdicts if v.trip]
        if not tripped:
            self.trip_reason = None
            return None
        said: list[str] = []  # two rules tripping on the same evidence: it is said once, by the first
        pieces: list[str] = []
        for v in tripped:
            unsaid = [part for part in v.reason.split("; ") if part not in said]
            said += unsaid
            if unsaid:
                pieces.append(f"{v.rule}: {'; '.join(unsaid)}")
        reason = "; ".join(pieces)
        new = self.trip_reason is None
        self.trip_reason = reason
        return RollbackIntent(reason, new)

    def evaluate_gates(self, view: ServerView, plan: RampPlan) -> None:
        """The current stage's gates on the latest trusted data (HOLD when stale or missing)."""
        if view.last is None:
            self.gates = ()
            return
        percent = view.seen.canary_percent if view.seen is not None else view.last.deployment.canary_percent
        elapsed_s, bake_s = view.bake(plan)
        stale = view.is_stale()
        self.seed_gates = tuple(
            evaluate_stage_gates(percent, view.last, view.window.rates(), self.thresholds, stale, bake_elapsed_s=elapsed_s, bake_s=bake_s)
        )
        self.gates = self.seed_gates
        if not stale:  # evidence rules offer gates with intervals and evidence bars, in their verdicts
            self.gates += tuple(g for verdict in self.verdicts for g in verdict.gates)
        if any(g.status is GateStatus.FAIL for g in self.gates):
            self.stage_clean = False

    def decision(self) -> Decision | None:
        """The full Decision a rule offers (the evidence judgment), if any."""
        return next((v.decision for v in self.verdicts if v.decision is not None), None)

    def advance_reason(self, *, baked: bool, eligible_state: bool, on_seed_gates: bool) -> str | None:
        """Why an automatic advance may go now, or None when it may not (bake and 'passed throughout' are the caller's)."""
        if not baked or self.trip_reason:
            return None
        decision = self.decision()
        if on_seed_gates:
            seed_green = bool(self.seed_gates) and all(g.status is GateStatus.PASS for g in self.seed_gates)
            evidence_failing = any(g.status is GateStatus.FAIL for g in self.gates)
            if not (seed_green and self.stage_clean) or evidence_failing or (decision is not None and decision.kind is DecisionKind.ROLLBACK):
                return None
            # only the demo advances this way (its 45 s stages cannot gather a 24 h bake's evidence): say so
            return "bake met, the seed's gates passed throughout (the demo's rule: the evidence gates may still say HOLD)"
        if decision is not None:
            return f"judgment: {decision.reason}" if decision.kind is DecisionKind.PROMOTE_ELIGIBLE else None
        return "bake met, gates passed throughout" if eligible_state and self.stage_clean else None

    def resume(self, stage: StoredStage, stage_entered_s: float | None) -> None:
        """A restart in the middle of a stage: every rule that can continues from the stored counts."""
        for rule in self.rules:
            if isinstance(rule, ResumableRule):
                rule.resume(stage, stage_entered_s)

    def new_stage(self) -> None:
        """The percent moved: the stage starts clean."""
        self.stage_clean = True

    def reset(self) -> None:
        """Forget every rule's debounce and evidence, and any trip (the ramp starts over)."""
        for rule in self.rules:
            rule.reset()
        self.trip_reason = None
        self.verdicts = ()
