"""The ramp controller: the one façade the dashboard, the CLI and the automatic triggers use for a target.

It wires three parts with one job each: `ServerView` follows the server
(controller/follow.py), `Judge` runs the rules and gates and returns intents
(controller/judging.py), `ActionRunner` carries out changes by compare-and-set
and rolls back until a trusted read-back shows 0% (controller/actions.py).
Every change is observed, judged and published as one immutable `Snapshot`.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from canary_tui.controller import derive
from canary_tui.controller.actions import ROLLBACK_BACKOFF_S, ActionRunner, Auditor, Sleep
from canary_tui.controller.audit import AuditLog, read_audit
from canary_tui.controller.chart import EMPTY_CHART, HISTORY_FIELDS, ChartData, ChartSeries
from canary_tui.controller.events import EventJournal
from canary_tui.controller.follow import ServerView, server_skew_s
from canary_tui.controller.judging import Judge
from canary_tui.controller.model import ActionResult, Event, EventLevel, RampState, Snapshot, Trigger
from canary_tui.core.advance_rule import override_reasons
from canary_tui.core.clock import Clock, to_datetime
from canary_tui.core.history import History
from canary_tui.core.plans import RampPlan
from canary_tui.core.preflight import PreflightFacts, preflight_gates
from canary_tui.core.rules import Observation, Rule, SeedRollbackRule
from canary_tui.core.samples import Heartbeat
from canary_tui.core.stats import Z_95, wilson_interval
from canary_tui.core.thresholds import Metric, ThresholdTable
from canary_tui.core.verdicts import Decision, DecisionKind, GateResult, GateStatus
from canary_tui.mission.actuators import Actuator
from canary_tui.mission.errors import MissionError, SignatureError

SnapshotListener = Callable[[Snapshot], None]
EventListener = Callable[[Event], None]
#: the promotion pipeline hook: (canary version, from %, to %) -> why raising the canary is refused, or None
AdvanceGuard = Callable[[str | None, int, int], Awaitable[str | None]]

EVENTS_MAX = 500
#: chart history slot: 12 series × 72 h at 5 s is ~17 MB (at 1 s it would be ~85 MB)
HISTORY_RESOLUTION_S = 5.0


class RampController:
    """Drives one target's ramp: observe heartbeats, judge, act (compare-and-set), audit, notify."""

    def __init__(
        self,
        *,
        environment: str,
        plan: RampPlan,
        client: Any,
        actuator: Actuator,
        actor: str,
        clock: Clock,
        audit: AuditLog | None,
        thresholds: ThresholdTable,
        rules: Sequence[Rule] | None = None,
        auto_rollback: bool = True,
        auto_advance: bool = False,
        advance_on_seed_gates: bool = False,
        read_only: bool = False,
        stale_after_s: float = 5.0,
        min_rate_interval_s: float = 0.5,
        history_fields: tuple[str, ...] = HISTORY_FIELDS,
        history_max_age_s: float = 72 * 3600.0,
        history_resolution_s: float = HISTORY_RESOLUTION_S,
        sleep: Sleep = asyncio.sleep,
        rollback_backoff_s: Sequence[float] = ROLLBACK_BACKOFF_S,
        events_max: int = EVENTS_MAX,
        advance_guard: AdvanceGuard | None = None,
    ) -> None:
        self.environment = environment
        self.plan = plan
        self.client = client
        self.actuator = actuator
        self.actor = actor
        self.clock = clock
        self.audit = audit
        self.thresholds = thresholds
        self.auto_rollback = auto_rollback
        self.auto_advance = auto_advance
        # auto-advance on the seed's gates (P95, errors, bake) alone, not waiting for the evidence:
        # for compressed ramps (the demo) whose stages are too short to accumulate it
        self.advance_on_seed_gates = advance_on_seed_gates
        self.read_only = read_only
        self.advance_guard = advance_guard  # the promotion pipeline (core/pipeline.py), given by the fleet or the CLI
        self.history_fields = tuple(history_fields)
        self.history = History(self.history_fields, history_max_age_s, history_resolution_s)
        self.view = ServerView(clock, stale_after_s=stale_after_s, min_rate_interval_s=min_rate_interval_s)
        self.judge = Judge(tuple(rules) if rules is not None else (SeedRollbackRule(),), thresholds)
        self.journal = EventJournal(clock, actor, events_max)
        self.runner = ActionRunner(
            self, client=client, actuator=actuator, actor=actor, clock=clock,
            audit=Auditor(audit, actor, self._audit_failed),
            sleep=sleep, backoff_s=rollback_backoff_s,
        )
        self._checkpoints: dict[str, str] | None = None  # canary version -> checkpoint id (loaded on first need)
        self._probe_gate: tuple[int, GateResult] | None = None  # (stage percent, gate) of the last P95 probe
        self._snapshot_listeners: list[SnapshotListener] = []
        self._stale_shown = True
        self._snapshot = self._build_snapshot()

    # ------------------------------------------------------------------ observers

    @property
    def snapshot(self) -> Snapshot:
        """The latest immutable snapshot."""
        return self._snapshot

    @property
    def events(self) -> deque[Event]:
        """The recent events, oldest first (bounded)."""
        return self.journal.events

    @property
    def rules(self) -> tuple[Rule, ...]:
        """The auto-rollback rules in force."""
        return self.judge.rules

    @property
    def stale_after_s(self) -> float:
        """Data older than this is STALE, whatever the poll is doing."""
        return self.view.stale_after_s

    @property
    def action_in_flight(self) -> str | None:
        """Name of the action running now ('rollback' pre-empts everything), or None."""
        return self.runner.in_flight

    @property
    def blocked_reason(self) -> str | None:
        """Why this controller cannot change the deployment (read-only, no token), or None when it can."""
        if self.read_only:
            return "read-only mode"
        return self.actuator.blocked_reason

    def subscribe(self, on_snapshot: SnapshotListener | None = None, on_event: EventListener | None = None) -> Callable[[], None]:
        """Register callbacks for new snapshots and events; returns a function that unsubscribes."""
        if on_snapshot is not None:
            self._snapshot_listeners.append(on_snapshot)
        drop_event = self.journal.subscribe(on_event) if on_event is not None else None

        def unsubscribe() -> None:
            if on_snapshot is not None and on_snapshot in self._snapshot_listeners:
                self._snapshot_listeners.remove(on_snapshot)
            if drop_event is not None:
                drop_event()

        return unsubscribe

    def chart(self, columns: int) -> ChartData:
        """History downsampled to `columns` points per series, with stage-change marks."""
        if columns <= 0 or self.view.last is None:
            return EMPTY_CHART
        series = []
        start_s: float | None = None
        end_s: float | None = None
        for name in self.history_fields:
            down = self.history.downsample(name, columns)
            if start_s is None and down.edges_s:
                start_s, end_s = float(down.edges_s[0]), float(down.end_s)
            series.append(ChartSeries(name, tuple(down.t_s), tuple(down.min), tuple(down.max), tuple(down.last)))
        marks = tuple((float(t), str(label)) for t, label in self.history.marks(start_s, None))
        return ChartData(columns, start_s, end_s, tuple(series), marks)

    async def wait_idle(self) -> None:
        """Wait until no action, rollback or automatic action is running (for the CLI and tests)."""
        while tasks := self.runner.running_tasks():
            await asyncio.wait(tasks)

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
            gate = GateResult(name, GateStatus.HOLD, None, bound_ms, "ms", "no probe request answered", low_data=True)
        else:
            low, high = wilson_interval(slow, n, Z_95)
            status = GateStatus.FAIL if low > tail else GateStatus.PASS if high < tail else GateStatus.HOLD
            reason = f"{slow}/{n} probe requests slower than {bound_ms:g} ms (95% CI {low:.1%}..{high:.1%} vs 5%)"
            gate = GateResult(name, status, slow / n, tail, "fraction", reason, (low, high), low_data=status is GateStatus.HOLD)
        self._probe_gate = (percent, gate)
        self._evaluate_gates()
        self.publish()
        return gate

    # ------------------------------------------------------------------ polling

    async def refresh(self) -> Snapshot:
        """Fetch one heartbeat and observe it; a signature failure is re-fetched once before it counts."""
        try:
            heartbeat = await self.client.heartbeat()
        except SignatureError:
            heartbeat = None
        except MissionError as exc:
            return self.observe_error(exc)
        if heartbeat is not None and heartbeat.signature_ok:
            return self.observe(heartbeat)
        self.emit("signature", "signature check failed; re-fetching once to confirm", EventLevel.WARNING)
        try:
            again = await self.client.heartbeat()
        except SignatureError as exc:
            return self._observe_bad_signature(str(exc) or "signature invalid")
        except MissionError as exc:
            return self.observe_error(exc)
        if again.signature_ok:
            return self.observe(again)
        return self._observe_bad_signature(_unsigned_why(again), again)

    def tick(self) -> Snapshot:
        """Re-publish on the clock alone (data age, LIVE → STALE while a request hangs); cheap when nothing changed."""
        stale = self.view.is_stale()
        if stale != self._stale_shown:
            self.judge.evaluate_gates(self.view, self.plan)
        return self.publish()

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
            return self._snapshot  # an older read-back overtaken by a newer poll
        self._follow(heartbeat)
        judged, base = self.view.take_trusted(heartbeat)
        self._record_history(heartbeat)
        if judged:
            self._judge(self._observation(heartbeat=heartbeat, base=base))
        self._evaluate_gates()  # after the rules, so their gates reflect this heartbeat
        self._maybe_auto_advance()
        return self.publish()

    def observe_error(self, exc: MissionError) -> Snapshot:
        """A failed fetch: STALE (last good data kept, with its age) or UNREACHABLE; rules HOLD."""
        if self.view.take_error(exc):
            self.emit("poll-error", f"heartbeat failed: {exc}", EventLevel.WARNING)
        self._evaluate_gates()
        self._judge(self._observation(error=f"{exc.kind}: {exc}"))
        return self.publish()

    def _observe_unsigned(self, heartbeat: Heartbeat) -> Snapshot:
        """A heartbeat handed in directly with a bad signature: the second in a row confirms it."""
        self.view.unsigned_streak += 1
        if self.view.unsigned_streak >= 2:
            return self._observe_bad_signature(_unsigned_why(heartbeat), heartbeat)
        self._follow(heartbeat)
        return self.observe_error(SignatureError(f"signature invalid (unconfirmed): {_unsigned_why(heartbeat)}"))

    def _observe_bad_signature(self, why: str, heartbeat: Heartbeat | None = None) -> Snapshot:
        """A signature failure confirmed by the re-fetch: the data is not trusted, and it trips at once."""
        if heartbeat is not None:
            self._follow(heartbeat)  # its percent and pause flag are followed, its metrics never used
        self.view.signature_bad = True
        self.view.take_error(SignatureError(f"signature invalid: {why}"))
        self.emit("signature", f"signature invalid (confirmed): {why}", EventLevel.ERROR)
        self._judge(self._observation(signature_bad=True, error="signature invalid"))
        return self.publish()

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

    # ------------------------------------------------------------------ actions

    async def advance(
        self,
        trigger: Trigger,
        note: str | None = None,
        override: bool = False,
        *,
        from_percent: int | None = None,
        to_percent: int | None = None,
        override_pipeline: bool = False,
    ) -> ActionResult:
        """Move to the next stage's percent; without an override, refused for the reasons core/advance_rule.py gives.

        A confirmed advance passes the `from_percent` and `to_percent` the operator saw: it is sent as a
        compare-and-set on exactly those, and refused when the server has moved since.
        """
        runner = self.runner
        refusal = self._refuse_mutation("advance")
        if refusal:
            return refusal
        current = self.view.percent()
        if current is None:
            return runner.refused("advance", "no heartbeat yet: the current percent is unknown")
        if from_percent is not None and current != from_percent:
            who = (self.view.seen.updated_by if self.view.seen else None) or "someone else"
            return runner.refused("advance", f"changed by {who} to {current}% — advance not sent", from_percent, to_percent, conflict=True)
        nxt = self.plan.next_stage(current)
        if nxt is None:
            return runner.refused("advance", f"already at {current}%: nothing to advance to", current)
        if to_percent is not None and to_percent != nxt.percent:
            return runner.refused("advance", f"the next stage from {current}% is {nxt.percent}%, not {to_percent}% — advance not sent", current, to_percent, conflict=True)
        target = nxt.percent
        unmet = self._unmet_gates()
        if not override:
            decision = self.judge.decision()
            why = override_reasons(
                current, self.judge.gates, decision.kind if decision is not None else None,
                data_problem="stale" if self.view.is_stale() else None, paused=self.view.paused(),
            )
            if why:
                return runner.refused("advance", f"needs an override: {'; '.join(why)}", current, target)
        refusal, extra = await self._pipeline_gate("advance", current, target, override_pipeline)
        if refusal:
            return refusal
        stage_no = self.plan.stages.index(nxt) + 1
        note = (note or f"stage {stage_no}: {current}% → {target}%") + (" (override)" if override or extra else "")
        if override:
            extra.update(override=True, gates=[f"{g.name} {g.status.value}: {g.reason}" for g in unmet])
        return await runner.run_exclusive(
            "advance", lambda: runner.mutate("advance", trigger, note, percent=target, expected=current, **extra), target
        )

    def _unmet_gates(self) -> list[GateResult]:
        """The gates of the step ahead that are failing or holding now (pre-flight gates at 0%)."""
        return [g for g in self.judge.gates if g.status is not GateStatus.PASS]

    async def _pipeline_gate(self, name: str, current: int, target: int, override_pipeline: bool) -> tuple[ActionResult | None, dict[str, Any]]:
        """Consult the promotion pipeline guard before raising the canary: a refusal, or the audit fields of an override."""
        if self.advance_guard is None or target <= current:
            return None, {}
        version = self.view.seen.canary_version if self.view.seen is not None else None
        reason = await self.advance_guard(version, current, target)
        again = self._refuse_mutation(name)  # something may have started while the guard looked upstream
        if again or reason is None:
            return again, {}
        if not override_pipeline:
            return self.runner.refused(name, f"promotion pipeline: {reason}", current, target), {}
        self.emit(name, f"{self.actor} overrides the promotion pipeline: {reason}", EventLevel.WARNING)
        return None, {"override": True, "pipeline_override": reason}

    async def set_percent(
        self, percent: int, trigger: Trigger, note: str | None = None, *, expected_percent: int | None = None, override_pipeline: bool = False,
    ) -> ActionResult:
        """Set any percent 0..100 (compare-and-set against `expected_percent`, else the observed one); 0 is a rollback."""
        runner = self.runner
        if not isinstance(percent, int) or isinstance(percent, bool) or not 0 <= percent <= 100:
            return runner.refused("set-percent", f"percent must be an integer 0..100, got {percent!r}")
        if percent == 0:
            return await self.rollback(trigger, note)
        refusal = self._refuse_mutation("set-percent")
        if refusal:
            return refusal
        current = self.view.percent()
        if current is None:
            return runner.refused("set-percent", "no heartbeat yet: the current percent is unknown", None, percent)
        expected = current if expected_percent is None else expected_percent
        refusal, extra = await self._pipeline_gate("set-percent", expected, percent, override_pipeline)
        if refusal:
            return refusal
        note = f"{note} (override)" if extra and note else note
        return await runner.run_exclusive("set-percent", lambda: runner.mutate("set-percent", trigger, note, percent=percent, expected=expected, **extra), percent)

    async def pause(self, trigger: Trigger, note: str | None = None, *, expected_percent: int | None = None, seen_paused: bool | None = None) -> ActionResult:
        """Put the ramp on hold (compare-and-set on the percent the operator saw, else the observed one).

        `seen_paused` is the hold flag the operator saw when asking: if it has changed since, nothing is sent.
        """
        return await self._set_paused(True, trigger, note, expected_percent, seen_paused)

    async def resume(self, trigger: Trigger, note: str | None = None, *, expected_percent: int | None = None, seen_paused: bool | None = None) -> ActionResult:
        """Clear the hold (same rules as pause)."""
        return await self._set_paused(False, trigger, note, expected_percent, seen_paused)

    async def toggle_pause(self, trigger: Trigger, note: str | None = None) -> ActionResult:
        """Pause when running, resume when paused (on the server's state as last seen)."""
        return await self._set_paused(not self.view.paused(), trigger, note, None, None)

    async def _set_paused(self, paused: bool, trigger: Trigger, note: str | None, expected_percent: int | None, seen_paused: bool | None) -> ActionResult:
        name = "pause" if paused else "resume"
        runner = self.runner
        refusal = self._refuse_mutation(name)
        if refusal:
            return refusal
        current = self.view.percent()
        if current is None:
            return runner.refused(name, "no heartbeat yet: the current percent is unknown")
        if expected_percent is not None and current != expected_percent:
            who = (self.view.seen.updated_by if self.view.seen else None) or "someone else"
            return runner.refused(name, f"changed by {who} to {current}% — {name} not sent", expected_percent, conflict=True)
        if seen_paused is not None and self.view.paused() != seen_paused:
            who = (self.view.seen.updated_by if self.view.seen else None) or "someone else"
            state = "paused" if self.view.paused() else "resumed"
            return runner.refused(name, f"{state} by {who} meanwhile — {name} not sent", current, conflict=True)
        expected = current if expected_percent is None else expected_percent
        return await runner.run_exclusive(name, lambda: runner.mutate(name, trigger, note, paused=paused, expected=expected))

    async def checkpoint(self, note: str, trigger: Trigger) -> ActionResult:
        """Create a rollback checkpoint (POST /api/ghost/rollback) with a note, remembered for this canary version."""
        runner = self.runner
        if self.blocked_reason:
            return runner.refused("checkpoint", self.blocked_reason)
        current = self.view.percent()
        version = self.view.seen.canary_version if self.view.seen is not None else None
        runner.audit(action="checkpoint", trigger=trigger, outcome="attempt", note=note, frm=current, to=current, canary_version=version)
        try:
            ckpt = await self.client.checkpoint(note)
        except MissionError as exc:
            runner.audit(action="checkpoint", trigger=trigger, outcome="failed", note=note, frm=current, to=current, server=str(exc), canary_version=version)
            self.emit("checkpoint", f"checkpoint failed: {exc}", EventLevel.ERROR)
            return runner.finish(ActionResult("checkpoint", False, f"checkpoint failed: {exc}", current, current))
        server = f"checkpoint_id={ckpt.checkpoint_id}"
        runner.audit(action="checkpoint", trigger=trigger, outcome="ok", note=note, frm=current, to=current, server=server,
                     checkpoint_id=ckpt.checkpoint_id, canary_version=version)
        if version is not None:
            self._known_checkpoints()[version] = ckpt.checkpoint_id
        self._evaluate_gates()
        self.emit("checkpoint", f"{self.actor} created checkpoint {ckpt.checkpoint_id}: {note}")
        return runner.finish(ActionResult("checkpoint", True, f"checkpoint {ckpt.checkpoint_id} created", current, current))

    async def rollback(self, trigger: Trigger, note: str | None = None) -> ActionResult:
        """Roll back to 0% now: pre-empts any action in flight, retries until a trusted read-back shows 0%, idempotent."""
        return await self.start_rollback(trigger, note)

    def start_rollback(self, trigger: Trigger, note: str | None = None) -> Awaitable[ActionResult]:
        """rollback(), already started when this returns (the R key awaits its outcome in a worker)."""
        if self.blocked_reason:
            return _ready(self.runner.refused("rollback", self.blocked_reason))
        return self.runner.rollback_result(self.runner.ensure_rollback(trigger, note))

    async def aclose(self, *, abandon_rollback: bool = False) -> None:
        """Stop automatic work and notifications; a running rollback is left alone unless abandon_rollback."""
        runner = self.runner
        if runner.auto_task is not None and not runner.auto_task.done():
            runner.auto_task.cancel()
        if abandon_rollback and runner.rollback_running():
            assert runner.rollback_task is not None
            runner.rollback_task.cancel()
            await asyncio.wait({runner.rollback_task})
        self._snapshot_listeners.clear()
        self.journal.clear_listeners()

    def _refuse_mutation(self, name: str) -> ActionResult | None:
        """The common refusals: read-only or no token, a rollback in progress, another action in flight."""
        runner = self.runner
        if self.blocked_reason:
            return runner.refused(name, self.blocked_reason)
        if runner.rollback_running():
            return runner.refused(name, "a rollback is in progress")
        if runner.action is not None:
            return runner.refused(name, f"{runner.action.name} already in flight")
        return None

    def rolled_back(self) -> None:
        """A rollback was confirmed: the ramp starts over (no trip, no debounce count left on show)."""
        self.view.came_down_to_zero = True
        self.judge.reset()

    # ------------------------------------------------------------------ following and judging

    def _follow(self, heartbeat: Heartbeat) -> None:
        """Follow percent/pause changes of any parsed heartbeat, naming who made them when it was not us."""
        change = self.view.follow(heartbeat.deployment, server_skew_s(heartbeat))
        if change is None:
            return
        if change.percent_changed:
            self.judge.new_stage()
            self._probe_gate = None  # a probe speaks for the stage it measured
            by = change.new.updated_by or "someone"
            self.history.add_mark(self.clock.now(), f"{change.old.canary_percent}%→{change.new.canary_percent}% {by}")
            if change.new.canary_percent == 0:
                self.judge.reset()
        if change.ours:
            return
        if self.runner.landed_late(change.new.canary_percent, change.new.updated_by):
            percent = change.new.canary_percent
            self.emit("rollback", f"a superseded change to {percent}% landed late: rolling back again", EventLevel.ERROR)
            self._start_rollback_now(Trigger.AUTO, f"superseded change to {percent}% landed after the rollback")
            return
        who = change.new.updated_by or "someone else"
        self.emit("external-change", f"{who} changed the ramp: {change.describe()}", EventLevel.WARNING)

    def _record_history(self, heartbeat: Heartbeat) -> None:
        """Append one row of the chart series (no canary figures where the canary served no requests)."""
        m = heartbeat.metrics
        values: dict[str, float | None] = {"p50_ms": m.p50_ms, "p95_ms": m.p95_ms, "p99_ms": m.p99_ms}
        canary_idle = heartbeat.deployment.canary_percent == 0
        for variant in ("canary", "stable"):
            vm = getattr(m, variant)
            for q in ("p50_ms", "p95_ms", "p99_ms"):
                values[f"{variant}_{q}"] = getattr(vm, q) if vm is not None and not (variant == "canary" and canary_idle) else None
        rates = self.view.rates
        values["error_rate"] = rates.error_rate if rates else None
        values["canary_error_rate"] = rates.canary_error_rate if rates and not canary_idle else None
        values["stable_error_rate"] = rates.stable_error_rate if rates else None
        values["requests_per_s"] = rates.requests_per_s if rates else None
        values["canary_percent"] = float(heartbeat.deployment.canary_percent)
        fields = set(self.history_fields)
        self.history.append(heartbeat.fetched_at_s, {k: v for k, v in values.items() if k in fields})

    def _evaluate_gates(self) -> None:
        """The stage's gates; at 0% the pre-flight gates of the first step instead."""
        self.judge.evaluate_gates(self.view, self.plan)
        seen = self.view.seen
        if seen is not None and seen.canary_percent == 0 and self.view.last is not None:
            self.judge.gates = preflight_gates(self._preflight_facts(), self.thresholds)
        elif self._probe_gate is not None and seen is not None and self._probe_gate[0] == seen.canary_percent:
            self.judge.gates += (self._probe_gate[1],)

    def _preflight_facts(self) -> PreflightFacts:
        """What the pre-flight gates judge."""
        view, seen = self.view, self.view.seen
        signature_ok = None if view.last is None and not view.signature_bad else not view.signature_bad
        checkpoint = self._known_checkpoints().get(seen.canary_version) if seen is not None else None
        return PreflightFacts(seen, not view.is_stale(), signature_ok, view.window.rates(), checkpoint)

    def _known_checkpoints(self) -> dict[str, str]:
        """Checkpoints per canary version: ours, and those in this environment's audit log (read once)."""
        if self._checkpoints is None:
            self._checkpoints = {}
            if self.audit is not None:
                for record in read_audit(self.audit.path).records:
                    version, ckpt = record.get("canary_version"), record.get("checkpoint_id")
                    if record.get("action") == "checkpoint" and record.get("outcome") == "ok" and isinstance(version, str) and isinstance(ckpt, str):
                        self._checkpoints[version] = ckpt
        return self._checkpoints

    def _judge(self, obs: Observation) -> None:
        """Run the rules; a trip (with auto-rollback on, percent above 0) starts a rollback."""
        intent = self.judge.observe(obs)
        if intent is None:
            return
        if not self.auto_rollback or self.blocked_reason:
            if intent.new:
                why = self.blocked_reason or "auto-rollback off"
                self.emit("auto-rollback", f"rollback trigger held ({why}): {intent.reason}", EventLevel.ERROR)
            return
        if obs.stage_percent == 0 or self.runner.rollback_running():
            return
        self.emit("auto-rollback", f"auto-rollback triggered: {intent.reason}", EventLevel.ERROR)
        self._start_rollback_now(Trigger.AUTO, f"auto-rollback: {intent.reason}"[:500])

    def _start_rollback_now(self, trigger: Trigger, note: str) -> None:
        """Start a rollback from a synchronous path (needs the running event loop)."""
        try:
            self.runner.ensure_rollback(trigger, note)
        except RuntimeError:
            self.emit("rollback", "rollback needed but no event loop is running", EventLevel.ERROR)

    def _maybe_auto_advance(self) -> None:
        """With auto-advance on: advance once the bake is met and the stage held throughout."""
        runner = self.runner
        if not self.auto_advance or self.blocked_reason or self.action_in_flight is not None or self.view.is_stale():
            return
        if runner.auto_task is not None and not runner.auto_task.done():
            return
        seen = self.view.seen
        if seen is None or seen.canary_percent == 0 or self.plan.next_stage(seen.canary_percent) is None or seen.paused:
            return
        elapsed_s, bake_s = self.view.bake(self.plan)
        baked = bake_s is not None and elapsed_s is not None and elapsed_s >= bake_s
        why = self.judge.advance_reason(baked=baked, eligible_state=self._ramp_state() is RampState.ELIGIBLE, on_seed_gates=self.advance_on_seed_gates)
        if why is None:
            return
        self.emit("auto-advance", f"auto-advance: {why}")
        # the evidence gates hold while the judgment says eligible: its own check stands in for the gate check
        override = self.judge.decision() is not None or self.advance_on_seed_gates
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self.emit("auto", "automatic action needed but no event loop is running", EventLevel.ERROR)
            return
        runner.auto_task = loop.create_task(self.advance(Trigger.AUTO, note=f"auto-advance: {why}"[:500], override=override))

    # ------------------------------------------------------------------ derived state

    def _ramp_state(self) -> RampState:
        """The ramp's state now (see derive.ramp_state)."""
        elapsed_s, bake_s = self.view.bake(self.plan)
        return derive.ramp_state(
            self.view.seen,
            rolling_back=self.action_in_flight == "rollback",
            came_down_to_zero=self.view.came_down_to_zero,
            gates=self.judge.gates,
            tripped=bool(self.judge.trip_reason),
            baked=bake_s is not None and elapsed_s is not None and elapsed_s >= bake_s,
            stale=self.view.is_stale(),
        )

    def _build_snapshot(self) -> Snapshot:
        """A new immutable snapshot of everything the screen shows."""
        view, judge = self.view, self.judge
        ramp = self._ramp_state()
        stale = view.is_stale()
        self._stale_shown = stale
        error = view.error
        stale_reason = None
        if stale:
            stale_reason = f"{error.kind}: {error}" if error is not None else "no fresh data"
        now_s = self.clock.now()
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
            auto_rollback=derive.trigger_state(self.auto_rollback and not self.read_only, judge.verdicts, judge.trip_reason, view.signature_bad),
            decision=(
                _with_failing_gates(
                    derive.decision(judge.verdicts, trip_reason=judge.trip_reason, stale_reason=stale_reason, gates=judge.gates, ramp=ramp),
                    [g for g in judge.gates if self._probe_gate is not None and g is self._probe_gate[1]],
                )
                if view.seen is not None or error is not None else None
            ),
            action_in_flight=self.action_in_flight,
            read_only=self.read_only,
            now=to_datetime(now_s),
            extra={
                "verdicts": judge.verdicts,
                "last_result": self.runner.last_result,
                "actuator": self.actuator.name,
                "auto_advance": self.auto_advance,
            },
            thresholds=self.thresholds,
            deployment=view.seen,
            blocked_reason=self.blocked_reason,
            window=view.window.rates(),
            stale_after_s=view.stale_after_s,
            window_latency=derive.window_latency(view.window_start(), view.rate_base),
        )

    def publish(self) -> Snapshot:
        """Build a new snapshot and hand it to every subscriber."""
        self._snapshot = self._build_snapshot()
        for listener in list(self._snapshot_listeners):
            try:
                listener(self._snapshot)
            except Exception:  # noqa: BLE001 - one broken observer must not stop the others
                self.journal.log_listener_failure("snapshot")
        return self._snapshot

    def _audit_failed(self, message: str) -> None:
        """The audit log could not be written: say so in the event log."""
        self.emit("audit", message, EventLevel.ERROR)

    def emit(self, kind: str, message: str, level: EventLevel = EventLevel.INFO) -> Event:
        """One event for the log (repeats coalesced by the journal)."""
        return self.journal.emit(kind, message, level)


def _with_failing_gates(decision: Decision, gates: Sequence[GateResult]) -> Decision:
    """A decision that is neither a rollback nor already holding is held by a gate (the probe's) failing on evidence."""
    failing = [g for g in gates if g.status is GateStatus.FAIL]
    if not failing or decision.kind in (DecisionKind.ROLLBACK, DecisionKind.HOLD):
        return decision
    reason = "gate failing: " + "; ".join(f"{g.name} ({g.reason})" if g.reason else g.name for g in failing)
    return Decision(DecisionKind.HOLD, reason, decision.evidence, decision.fallback)


def _unsigned_why(heartbeat: Heartbeat) -> str:
    """Why a heartbeat is not trusted, in words."""
    return "server reports verified=false" if not heartbeat.verified else "X-Signature does not match the body"


async def _ready(result: ActionResult) -> ActionResult:
    """An already known result as an awaitable."""
    return result
