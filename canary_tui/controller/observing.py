"""The observation side: take in heartbeats, failed fetches and probes; follow, record, judge, and act on intents.

Every heartbeat is followed (percent, pause, who changed it), recorded for the chart,
judged on THE stage clock, and its gates evaluated; a trip starts a rollback and an
eligible stage may start an automatic advance — both through the controller's façade.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Protocol

from canary_tui.controller.actions import ActionRunner
from canary_tui.controller.audit import CheckpointBook
from canary_tui.controller.follow import ServerView, server_skew_s
from canary_tui.controller.judging import Judge
from canary_tui.controller.model import ActionResult, Event, EventLevel, RampState, Snapshot, Trigger
from canary_tui.core.clock import Clock
from canary_tui.core.history import History
from canary_tui.core.plans import RampPlan
from canary_tui.core.preflight import PreflightFacts, preflight_gates
from canary_tui.core.releases import metrics_at_trigger
from canary_tui.core.resume import StoredStage
from canary_tui.core.rules import Observation
from canary_tui.core.samples import Heartbeat, VariantMetrics
from canary_tui.core.stats import Z_95, wilson_interval
from canary_tui.core.thresholds import Metric, ThresholdTable
from canary_tui.core.trips import count_text
from canary_tui.core.verdicts import GateResult, GateStatus, Unit
from canary_tui.mission.errors import MissionError, SignatureError


class ObserverHost(Protocol):
    """What the observation side needs from the controller it works for."""

    auto_rollback: bool
    auto_advance: bool
    advance_on_seed_gates: bool

    @property
    def snapshot(self) -> Snapshot: ...
    @property
    def blocked_reason(self) -> str | None: ...

    def emit(self, kind: str, message: str, level: EventLevel = EventLevel.INFO) -> Event: ...
    def publish(self) -> Snapshot: ...
    def ramp_state(self) -> RampState: ...
    async def advance(self, trigger: Trigger, note: str | None = None, override: bool = False, *,
                      from_percent: int | None = None, to_percent: int | None = None, authorized_by: str | None = None) -> ActionResult: ...


class Observer:
    """Observations in, snapshots out: the controller's poll, read-back and probe paths all come through here."""

    def __init__(self, host: ObserverHost, *, view: ServerView, judge: Judge, runner: ActionRunner, history: History,
                 clock: Clock, plan: RampPlan, thresholds: ThresholdTable, checkpoints: CheckpointBook) -> None:
        self.host = host
        self.view = view
        self.judge = judge
        self.runner = runner
        self.history = history
        self.clock = clock
        self.plan = plan
        self.thresholds = thresholds
        self.checkpoints = checkpoints
        self._auto_retry_at_s: float | None = None  # after a refused auto-advance: when to ask again
        self.probe: tuple[int, GateResult] | None = None  # (stage percent, gate) of the last P95 probe
        self.stored_stage: StoredStage | None = None  # the history store's last stage, offered to the first heartbeat

    @property
    def probe_gate(self) -> GateResult | None:
        """The last P95 probe's gate (it speaks for the stage it measured)."""
        return self.probe[1] if self.probe is not None else None

    # ------------------------------------------------------------------ taking in

    def observe(self, heartbeat: Heartbeat) -> Snapshot:
        """Take in one heartbeat: follow the server's percent, record history, judge, maybe act.

        Rates (and so the rules) advance only over intervals of at least min_rate_interval_s
        from the last judged heartbeat: a read-back a few ms after a poll is followed for
        its percent but folded into the next interval instead of judged on its own.
        """
        if not heartbeat.signature_ok:
            return self._observe_unsigned(heartbeat)
        previous = self.view.last
        if previous is not None and heartbeat.fetched_at_s < previous.fetched_at_s:
            return self.host.snapshot  # an older read-back overtaken by a newer poll
        self.follow(heartbeat)
        failed = self.view.consecutive_errors if self.view.error is not None else 0
        judged, base = self.view.take_trusted(heartbeat)
        if failed:  # the failure was said once, when the run began: say when it ended, so the log tells the whole outage
            self.host.emit("poll", f"heartbeat trusted again after {count_text(failed, 'failed poll')}")
        if self.stored_stage is not None:
            self._resume(heartbeat)
        self._record_history(heartbeat)
        if judged:
            self._judge(self._observation(heartbeat=heartbeat, base=base))
        self.evaluate_gates()  # after the rules, so their gates reflect this heartbeat
        self._maybe_auto_advance()
        return self.host.publish()

    def _resume(self, heartbeat: Heartbeat) -> None:
        """The first trusted heartbeat: when it continues the stored stage, the judgment continues from its counts."""
        stage, self.stored_stage = self.stored_stage, None
        d, entered_s = heartbeat.deployment, self.view.entered_at_s
        if stage is not None and stage.continues(d.canary_version, d.canary_percent, entered_s):
            self.judge.resume(stage, entered_s)
            totals = stage.totals
            self.host.emit("store", f"judgment resumed from the stored stage: {count_text(len(stage.windows), 'window')}, "
                                    f"{totals.canary_requests} canary requests")

    def observe_error(self, exc: MissionError) -> Snapshot:
        """A failed fetch: STALE (last good data kept, with its age) or UNREACHABLE; rules HOLD."""
        if self.view.take_error(exc):
            self.host.emit("poll-error", f"heartbeat failed: {exc}", EventLevel.WARNING)
        self.evaluate_gates()
        self._judge(self._observation(error=f"{exc.kind}: {exc}"))
        return self.host.publish()

    def observe_bad_signature(self, why: str, heartbeat: Heartbeat | None = None) -> Snapshot:
        """A signature failure confirmed by the re-fetch: the data is not trusted, and it trips at once."""
        if heartbeat is not None:
            self.follow(heartbeat)  # its percent and pause flag are followed, its metrics never used
        self.view.signature_bad = True
        self.view.take_error(SignatureError(f"signature invalid: {why}"))
        self.host.emit("signature", f"signature invalid (confirmed): {why}", EventLevel.ERROR)
        self._judge(self._observation(signature_bad=True, error="signature invalid"))
        return self.host.publish()

    def observe_probe(self, latencies_ms: Sequence[float], percent: int) -> GateResult:
        """Take a P95 probe of the stage at `percent` (every request's latency, failures at their timeout) as a gate.

        "P95 < bound" is "fewer than 5% slower than bound": FAIL when the Wilson lower bound of the slow
        fraction is above 5%, PASS when its upper bound is below, else HOLD (low data). The gate joins the
        stage's gates, and a failing one holds the decision, until the percent moves.
        """
        bound_ms = self.thresholds.threshold(Metric.P95_MS).warning_from
        n = len(latencies_ms)
        slow = sum(1 for ms in latencies_ms if ms > bound_ms)
        name = f"probe P95 < {bound_ms:g} ms"
        tail = 1.0 - 0.95
        if n == 0:
            gate = GateResult(name, GateStatus.HOLD, None, bound_ms, Unit.MS, "no probe request answered", low_data=True)
        else:
            low, high = wilson_interval(slow, n, Z_95)
            status = GateStatus.FAIL if low > tail else GateStatus.PASS if high < tail else GateStatus.HOLD
            reason = f"{slow}/{n} probe requests slower than {bound_ms:g} ms (95% CI {low:.1%}..{high:.1%} vs 5%)"
            gate = GateResult(name, status, slow / n, tail, Unit.FRACTION, reason, (low, high), low_data=status is GateStatus.HOLD)
        self.probe = (percent, gate)
        self.evaluate_gates()
        self.host.publish()
        return gate

    def _observe_unsigned(self, heartbeat: Heartbeat) -> Snapshot:
        """A heartbeat handed in directly with a bad signature: the second in a row confirms it."""
        self.view.unsigned_streak += 1
        if self.view.unsigned_streak >= 2:
            return self.observe_bad_signature(unsigned_why(heartbeat), heartbeat)
        self.follow(heartbeat)
        return self.observe_error(SignatureError(f"signature invalid (unconfirmed): {unsigned_why(heartbeat)}"))

    def _observation(self, *, heartbeat: Heartbeat | None = None, base: Heartbeat | None = None, error: str | None = None, signature_bad: bool = False) -> Observation:
        """One observation for the rules, on THE stage clock."""
        fresh = heartbeat is not None
        return Observation(
            heartbeat=heartbeat,
            rates=self.view.rates if fresh and base is not None else None,
            stale=not fresh,
            now_s=self.clock.now(),
            stage_percent=heartbeat.deployment.canary_percent if heartbeat is not None else self.view.percent(),
            signature_confirmed_bad=signature_bad,
            error=error,
            previous=base,
            stage_entered_s=self.view.entered_at_s,
            thresholds=self.thresholds,
        )

    # ------------------------------------------------------------------ following and recording

    def follow(self, heartbeat: Heartbeat) -> None:
        """Follow percent/pause changes of any parsed heartbeat, naming who made them when it was not us."""
        change = self.view.follow(heartbeat.deployment, server_skew_s(heartbeat))
        if change is None:
            return
        if change.percent_changed:
            self.judge.new_stage()
            self.probe = None  # a probe speaks for the stage it measured
            by = change.new.updated_by or "someone"
            self.history.add_mark(self.clock.now(), f"{change.old.canary_percent}%→{change.new.canary_percent}% {by}")
            if change.new.canary_percent == 0:
                self.judge.reset()
        if change.ours:
            return
        if self.runner.landed_late(change.new.canary_percent, change.new.updated_by):
            percent = change.new.canary_percent
            self.host.emit("rollback", f"a superseded change to {percent}% landed late: rolling back again", EventLevel.ERROR)
            self.start_rollback_now(Trigger.AUTO, f"superseded change to {percent}% landed after the rollback")
            return
        who = change.new.updated_by or "someone else"
        self.host.emit("external-change", f"{who} changed the ramp: {change.describe()}", EventLevel.WARNING)

    def _record_history(self, heartbeat: Heartbeat) -> None:
        """Append one row of the chart series (no canary figures where the canary served no requests)."""
        m = heartbeat.metrics
        values: dict[str, float | None] = {"p50_ms": m.p50_ms, "p95_ms": m.p95_ms, "p99_ms": m.p99_ms}
        canary_idle = heartbeat.deployment.canary_percent == 0
        variants: tuple[tuple[str, VariantMetrics | None], ...] = (("canary", None if canary_idle else m.canary), ("stable", m.stable))
        for variant, vm in variants:
            values[f"{variant}_p50_ms"] = vm.p50_ms if vm is not None else None
            values[f"{variant}_p95_ms"] = vm.p95_ms if vm is not None else None
            values[f"{variant}_p99_ms"] = vm.p99_ms if vm is not None else None
        rates = self.view.rates
        values["error_rate"] = rates.error_rate if rates else None
        values["canary_error_rate"] = rates.canary_error_rate if rates and not canary_idle else None
        values["stable_error_rate"] = rates.stable_error_rate if rates else None
        values["requests_per_s"] = rates.requests_per_s if rates else None
        values["canary_percent"] = float(heartbeat.deployment.canary_percent)
        fields = set(self.history.fields)
        self.history.append(heartbeat.fetched_at_s, {k: v for k, v in values.items() if k in fields})

    # ------------------------------------------------------------------ judging and its intents

    def evaluate_gates(self) -> None:
        """The stage's gates; at 0% the pre-flight gates of the first step instead."""
        self.judge.evaluate_gates(self.view, self.plan)
        seen = self.view.seen
        if seen is not None and seen.canary_percent == 0 and self.view.last is not None:
            self.judge.gates = preflight_gates(self._preflight_facts(), self.thresholds)
        elif self.probe is not None and seen is not None and self.probe[0] == seen.canary_percent:
            self.judge.gates += (self.probe[1],)

    def _preflight_facts(self) -> PreflightFacts:
        """What the pre-flight gates judge."""
        view, seen = self.view, self.view.seen
        signature_ok = None if view.last is None and not view.signature_bad else not view.signature_bad
        checkpoint = self.checkpoints.get(seen.canary_version) if seen is not None else None
        checked = view.last is None or view.last.signature_valid is not None
        return PreflightFacts(seen, not view.is_stale(), signature_ok, view.window.rates(), checkpoint, signature_checked=checked)

    def _judge(self, obs: Observation) -> None:
        """Run the rules; a trip (with auto-rollback on, percent above 0) starts a rollback."""
        intent = self.judge.observe(obs)
        if intent is None:
            return
        host = self.host
        if not host.auto_rollback or host.blocked_reason:
            if intent.new:
                why = host.blocked_reason or "auto-rollback off"
                host.emit("auto-rollback", f"rollback trigger held ({why}): {intent.reason}", EventLevel.ERROR)
            return
        if obs.stage_percent == 0 or self.runner.rollback_running():
            return
        host.emit("auto-rollback", f"auto-rollback triggered: {intent.reason}", EventLevel.ERROR)
        at_trigger = metrics_at_trigger(self.judge.verdicts, self.view.last, self.view.window.rates(), self.judge.gates)
        self.start_rollback_now(Trigger.AUTO, f"auto-rollback: {intent.reason}"[:500], at_trigger)

    def start_rollback_now(self, trigger: Trigger, note: str, at_trigger: dict[str, object] | None = None) -> None:
        """Start a rollback from a synchronous path (needs the running event loop)."""
        try:
            self.runner.ensure_rollback(trigger, note, at_trigger)
        except RuntimeError:
            self.host.emit("rollback", "rollback needed but no event loop is running", EventLevel.ERROR)

    def _maybe_auto_advance(self) -> None:
        """With auto-advance on: advance once the bake is met and the stage passed throughout."""
        host, runner = self.host, self.runner
        if not host.auto_advance or host.blocked_reason or runner.in_flight is not None or self.view.is_stale():
            return
        task = runner.auto_task
        if task is not None:
            if not task.done():
                return
            runner.auto_task = None
            refused = not task.cancelled() and task.exception() is None and not task.result().ok
            if refused:  # e.g. the promotion pipeline: say it once, ask again later rather than on every poll
                self._auto_retry_at_s = self.clock.now() + AUTO_ADVANCE_RETRY_S
        if self._auto_retry_at_s is not None and self.clock.now() < self._auto_retry_at_s:
            return
        self._auto_retry_at_s = None
        seen = self.view.seen
        nxt = self.plan.next_stage(seen.canary_percent) if seen is not None else None
        if seen is None or seen.canary_percent == 0 or nxt is None or seen.paused:
            return
        elapsed_s, bake_s = self.view.bake(self.plan)
        baked = bake_s is not None and elapsed_s is not None and elapsed_s >= bake_s
        why = self.judge.advance_reason(baked=baked, eligible_state=host.ramp_state() is RampState.ELIGIBLE, on_seed_gates=host.advance_on_seed_gates)
        if why is None:
            return
        host.emit("auto-advance", f"auto-advance {seen.canary_percent}% → {nxt.percent}%: {why}")  # each step its own line
        # `why` is the judgment that authorized it on this observation (the evidence decision may say eligible while
        # its gates still hold): it stands in for the gate check and is audited as such, never as an override
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            host.emit("auto", "automatic action needed but no event loop is running", EventLevel.ERROR)
            return
        runner.auto_task = loop.create_task(host.advance(Trigger.AUTO, note=f"auto-advance: {why}"[:500], authorized_by=why))


#: after a refused automatic advance, how long before it is tried again
AUTO_ADVANCE_RETRY_S = 60.0


def unsigned_why(heartbeat: Heartbeat) -> str:
    """Why a heartbeat is not trusted, in words."""
    return "server reports verified=false" if not heartbeat.verified else "X-Signature does not match the body"
