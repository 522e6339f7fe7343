"""Building the immutable `Snapshot` the screen and the CLI read, from the view, the judge and the runner.

One job: turn the controller's parts into one consistent picture (ramp state, stage,
gates, decision, connection), so every reader gets the same truth at the same moment.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from canary_tui.controller import derive
from canary_tui.controller.actions import ActionRunner
from canary_tui.controller.follow import ServerView
from canary_tui.controller.judging import Judge
from canary_tui.controller.model import RampState, Snapshot
from canary_tui.core.clock import Clock, to_datetime
from canary_tui.core.plans import RampPlan
from canary_tui.core.thresholds import ThresholdTable
from canary_tui.core.verdicts import Decision, DecisionKind, GateResult, GateStatus


@dataclass(frozen=True, slots=True)
class Switches:
    """The controller's settings a snapshot shows (they may change between snapshots)."""

    auto_rollback: bool
    auto_advance: bool
    read_only: bool
    blocked_reason: str | None
    actuator: str


class SnapshotBuilder:
    """Snapshots of one target; remembers whether the last one showed STALE (so a tick knows when to re-judge)."""

    def __init__(self, *, environment: str, plan: RampPlan, view: ServerView, judge: Judge, runner: ActionRunner,
                 clock: Clock, thresholds: ThresholdTable) -> None:
        self.environment = environment
        self.plan = plan
        self.view = view
        self.judge = judge
        self.runner = runner
        self.clock = clock
        self.thresholds = thresholds
        self.stale_shown = True

    def ramp_state(self) -> RampState:
        """The ramp's state now (see derive.ramp_state)."""
        view = self.view
        elapsed_s, bake_s = view.bake(self.plan)
        return derive.ramp_state(
            view.seen,
            rolling_back=self.runner.in_flight == "rollback",
            came_down_to_zero=view.came_down_to_zero,
            gates=self.judge.gates,
            tripped=bool(self.judge.trip_reason),
            baked=bake_s is not None and elapsed_s is not None and elapsed_s >= bake_s,
            stale=view.is_stale(),
        )

    def build(self, switches: Switches, probe_gate: GateResult | None) -> Snapshot:
        """A new immutable snapshot of everything the screen shows."""
        view, judge = self.view, self.judge
        ramp = self.ramp_state()
        stale = view.is_stale()
        self.stale_shown = stale
        error = view.error
        stale_reason = None
        if stale:
            stale_reason = f"{error.kind}: {error}" if error is not None else "no fresh data"
        now_s = self.clock.now()
        decision = None
        if view.seen is not None or error is not None:
            decision = _with_failing_gates(
                derive.decision(judge.verdicts, trip_reason=judge.trip_reason, stale_reason=stale_reason, gates=judge.gates, ramp=ramp),
                [g for g in judge.gates if probe_gate is not None and g is probe_gate],
            )
        return Snapshot(
            environment=self.environment,
            plan=self.plan,
            connection=derive.connection_state(
                have_data=view.last is not None, error_kind=error.kind if error is not None else None,
                consecutive_errors=view.consecutive_errors, stale=stale,
            ),
            connection_error=(f"{error.kind}: {error}" if error is not None else None),
            heartbeat=view.last,
            data_age_s=view.data_age_s(),
            rates=view.rates,
            ramp=ramp,
            stage=derive.stage_view(self.plan, view.percent(), view.entered_at_s, now_s, paused=view.paused()),
            gates=judge.gates,
            # armed only where it can fire: read-only mode or no token holds the auto-rollback back (controller/observing.py)
            auto_rollback=derive.trigger_state(switches.auto_rollback and switches.blocked_reason is None, judge.verdicts,
                                               judge.trip_reason, view.signature_bad),
            decision=decision,
            action_in_flight=self.runner.in_flight,
            read_only=switches.read_only,
            now=to_datetime(now_s),
            extra={
                "verdicts": judge.verdicts,
                "last_result": self.runner.last_result,
                "actuator": switches.actuator,
                "auto_advance": switches.auto_advance,
            },
            thresholds=self.thresholds,
            deployment=view.seen,
            blocked_reason=switches.blocked_reason,
            window=view.window.rates(),
            stale_after_s=view.stale_after_s,
            window_latency=derive.window_latency(view.window_start(), view.rate_base),
        )


def _with_failing_gates(decision: Decision, gates: Sequence[GateResult]) -> Decision:
    """A gate (the probe's) failing on evidence holds the decision and joins its failing gates; a rollback stays one."""
    failing = tuple(g for g in gates if g.status is GateStatus.FAIL)
    if not failing or decision.kind is DecisionKind.ROLLBACK:
        return decision
    said = "; ".join(f"{g.name} ({g.reason})" if g.reason else g.name for g in failing)
    if decision.failing:  # already held by failing gates: one more
        return replace(decision, reason=f"{decision.reason}; {said}", failing=decision.failing + failing)
    return Decision(DecisionKind.HOLD, f"gate failing: {said}", decision.evidence, decision.fallback, failing=failing)
