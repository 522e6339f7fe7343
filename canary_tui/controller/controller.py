"""The ramp controller: one state machine over the plan, shared by the dashboard, the CLI and auto-triggers.

The server is the source of truth for the percent and the pause flag; the
controller follows what it observes and changes it only through compare-and-set
actions that are confirmed by reading a heartbeat back. Rollback is never lost.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from canary_tui.controller import derive
from canary_tui.controller.audit import AuditLog
from canary_tui.controller.chart import EMPTY_CHART, HISTORY_FIELDS, ChartData, ChartSeries
from canary_tui.controller.model import (
    ActionResult,
    Event,
    EventLevel,
    RampState,
    Snapshot,
    Trigger,
)
from canary_tui.core.clock import Clock, to_datetime
from canary_tui.core.gates import evaluate_stage_gates
from canary_tui.core.history import History
from canary_tui.core.plans import RampPlan
from canary_tui.core.rates import Rates, RateWindow, compute_rates
from canary_tui.core.rules import Observation, Rule, RuleVerdict, SeedRollbackRule
from canary_tui.core.samples import Deployment, Heartbeat
from canary_tui.core.thresholds import ThresholdTable
from canary_tui.core.verdicts import DecisionKind, GateResult, GateStatus
from canary_tui.mission.actuators import Actuator, ActuatorOutcome
from canary_tui.mission.errors import ConflictError, MissionError, SignatureError

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[Any]]
SnapshotListener = Callable[[Snapshot], None]
EventListener = Callable[[Event], None]

EVENTS_MAX = 500
#: backoff between rollback attempts (the last value repeats until 0% is confirmed)
ROLLBACK_BACKOFF_S: tuple[float, ...] = (0.2, 0.5, 1.0, 2.0, 5.0)
READBACK_ATTEMPTS = 3
#: chart history slot: 12 series × 72 h at 5 s is ~17 MB (at 1 s it would be ~85 MB)
HISTORY_RESOLUTION_S = 5.0
#: errors no retry can fix: a rollback stops and reports them instead of looping forever
PERMANENT_ROLLBACK_ERRORS = frozenset({"unauthorized", "no-token", "bad-request", "invalid-request", "config", "actuator"})
#: how long a change superseded by a rollback is watched for, should it still land late
SUPERSEDED_GUARD_S = 120.0
#: observers hear of a rollback once its first request is answered (or after this long if it hangs): their
#: redraws share the event loop and, notified earlier, would run before the request is written (benchmarks/rollback.py)
ROLLBACK_NOTICE_AFTER_S = 0.05


@dataclass(slots=True)
class _InFlight:
    """The one action running now (a rollback is tracked separately: it pre-empts)."""

    name: str
    task: asyncio.Task[ActionResult]
    target_percent: int | None = None


class RampController:
    """Drives one environment's ramp: observe heartbeats, judge, act (compare-and-set), audit, notify."""

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
    ) -> None:
        self.environment = environment
        self.plan = plan
        self.client = client
        self.actuator = actuator
        self.actor = actor
        self.clock = clock
        self.audit = audit
        self.thresholds = thresholds
        self.rules: tuple[Rule, ...] = tuple(rules) if rules is not None else (SeedRollbackRule(),)
        self.auto_rollback = auto_rollback
        self.auto_advance = auto_advance
        # auto-advance on the seed's gates (P95, errors, bake) alone, not waiting for the evidence of
        # judgment.md: for compressed ramps (the demo) whose stages are too short to accumulate it
        self.advance_on_seed_gates = advance_on_seed_gates
        self.read_only = read_only
        self.stale_after_s = stale_after_s
        self.min_rate_interval_s = min_rate_interval_s
        self._sleep = sleep
        self._backoff_s = tuple(rollback_backoff_s) or (1.0,)
        self.events: deque[Event] = deque(maxlen=events_max)
        self.history_fields = tuple(history_fields)
        self.history = History(self.history_fields, history_max_age_s, history_resolution_s)
        self._snapshot_listeners: list[SnapshotListener] = []
        self._event_listeners: list[EventListener] = []
        # observed state
        self._last: Heartbeat | None = None  # last trusted heartbeat (metrics)
        self._seen: Deployment | None = None  # last deployment seen in any parsed heartbeat
        self._rates: Rates | None = None
        self._window = RateWindow()  # the gates judge a window of polls, not one poll
        self._seed_gates: tuple[GateResult, ...] = ()
        self._rate_base: Heartbeat | None = None  # the last heartbeat rates were judged from
        self._error: MissionError | None = None
        self._consecutive_errors = 0
        self._signature_bad = False
        self._unsigned_streak = 0
        self._entered_at_s: float | None = None
        self._came_down_to_zero = False
        self._stage_clean = True
        self._gates: tuple[GateResult, ...] = ()
        self._verdicts: tuple[RuleVerdict, ...] = ()
        self._trip_reason: str | None = None
        # actions
        self._action: _InFlight | None = None
        self._rollback_task: asyncio.Task[ActionResult] | None = None
        self._auto_task: asyncio.Task[ActionResult] | None = None
        self._own_target: tuple[int | None, bool | None] | None = None
        self._superseded: dict[int, float] = {}  # target percent -> guard deadline (monotonic s)
        self._last_result: ActionResult | None = None
        self._rollback_notice: Callable[[], None] | None = None
        self._snapshot = self._build_snapshot()

    # ------------------------------------------------------------------ observers

    @property
    def snapshot(self) -> Snapshot:
        """The latest immutable snapshot."""
        return self._snapshot

    @property
    def action_in_flight(self) -> str | None:
        """Name of the action running now ('rollback' pre-empts everything), or None."""
        if self._rollback_task is not None and not self._rollback_task.done():
            return "rollback"
        return self._action.name if self._action is not None else None

    def subscribe(self, on_snapshot: SnapshotListener | None = None, on_event: EventListener | None = None) -> Callable[[], None]:
        """Register callbacks for new snapshots and events; returns a function that unsubscribes."""
        if on_snapshot is not None:
            self._snapshot_listeners.append(on_snapshot)
        if on_event is not None:
            self._event_listeners.append(on_event)

        def unsubscribe() -> None:
            if on_snapshot is not None and on_snapshot in self._snapshot_listeners:
                self._snapshot_listeners.remove(on_snapshot)
            if on_event is not None and on_event in self._event_listeners:
                self._event_listeners.remove(on_event)

        return unsubscribe

    def chart(self, columns: int) -> ChartData:
        """History downsampled to `columns` points per series, with stage-change marks."""
        if columns <= 0 or self._last is None:
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
        while True:
            tasks = [t for t in (self._rollback_task, self._auto_task, self._action.task if self._action else None) if t and not t.done()]
            if not tasks:
                return
            await asyncio.wait(tasks)

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
        self._emit("signature", "signature check failed; re-fetching once to confirm", EventLevel.WARNING)
        try:
            again = await self.client.heartbeat()
        except SignatureError as exc:
            return self._observe_bad_signature(str(exc) or "signature invalid")
        except MissionError as exc:
            return self.observe_error(exc)
        if again.signature_ok:
            return self.observe(again)
        why = "server reports verified=false" if not again.verified else "X-Signature does not match the body"
        return self._observe_bad_signature(why, again)

    def observe(self, heartbeat: Heartbeat) -> Snapshot:
        """Take in one good heartbeat: follow the server's percent, record history, judge, maybe act.

        Rates (and so the rules) advance only over intervals of at least min_rate_interval_s
        from the last judged heartbeat: a read-back a few ms after a poll is followed for
        its percent but folded into the next interval instead of judged on its own.
        """
        if not heartbeat.signature_ok:
            return self._observe_unsigned(heartbeat)
        self._unsigned_streak = 0
        previous = self._last
        if previous is not None and heartbeat.fetched_at_s < previous.fetched_at_s:
            return self._snapshot  # an older read-back overtaken by a newer poll
        self._follow_deployment(self._seen, heartbeat.deployment, _server_skew_s(heartbeat))
        self._seen = heartbeat.deployment
        self._last = heartbeat
        self._error = None
        self._consecutive_errors = 0
        self._signature_bad = False
        base = self._rate_base
        judged = base is None or heartbeat.fetched_at_s - base.fetched_at_s >= self.min_rate_interval_s
        if judged:
            if base is not None:
                self._rates = compute_rates(base, heartbeat)
                self._window.window_s = heartbeat.metrics.window_s
                self._window.add(self._rates, heartbeat.fetched_at_s)
            self._rate_base = heartbeat
        self._record_history(heartbeat)
        if judged:
            obs = Observation(
                heartbeat=heartbeat,
                rates=self._rates if base is not None else None,
                stale=False,
                now_s=self.clock.now(),
                stage_percent=heartbeat.deployment.canary_percent,
                previous=base,
            )
            self._judge(obs)
        self._evaluate_gates()  # after the rules, so their gates reflect this heartbeat
        self._maybe_auto_advance()
        return self._publish()

    def observe_error(self, exc: MissionError) -> Snapshot:
        """A failed fetch: STALE (last good data kept, with its age) or UNREACHABLE; rules HOLD."""
        first = self._error is None
        self._error = exc
        self._consecutive_errors += 1
        if first:
            self._emit("poll-error", f"heartbeat failed: {exc}", EventLevel.WARNING)
        self._evaluate_gates()
        obs = Observation(
            heartbeat=None,
            rates=None,
            stale=True,
            now_s=self.clock.now(),
            stage_percent=self._percent(),
            error=f"{exc.kind}: {exc}",
        )
        self._judge(obs)
        return self._publish()

    def _observe_unsigned(self, heartbeat: Heartbeat) -> Snapshot:
        """A heartbeat handed in directly with a bad signature: the second in a row confirms it."""
        self._unsigned_streak += 1
        why = "server reports verified=false" if not heartbeat.verified else "X-Signature does not match the body"
        if self._unsigned_streak >= 2:
            return self._observe_bad_signature(why, heartbeat)
        self._take_deployment(heartbeat)
        return self.observe_error(SignatureError(f"signature invalid (unconfirmed): {why}"))

    def _take_deployment(self, heartbeat: Heartbeat | None) -> None:
        """Follow the percent and pause flag even of an unverified heartbeat (its metrics stay unused)."""
        if heartbeat is not None:
            self._follow_deployment(self._seen, heartbeat.deployment, _server_skew_s(heartbeat))
            self._seen = heartbeat.deployment

    def _observe_bad_signature(self, why: str, heartbeat: Heartbeat | None = None) -> Snapshot:
        """A signature failure confirmed by the re-fetch: the data is not trusted, and it trips at once."""
        self._take_deployment(heartbeat)
        self._signature_bad = True
        self._error = SignatureError(f"signature invalid: {why}")
        self._consecutive_errors += 1
        self._emit("signature", f"signature invalid (confirmed): {why}", EventLevel.ERROR)
        obs = Observation(
            heartbeat=None,
            rates=None,
            stale=True,
            now_s=self.clock.now(),
            stage_percent=self._percent(),
            signature_confirmed_bad=True,
            error="signature invalid",
        )
        self._judge(obs)
        return self._publish()

    # ------------------------------------------------------------------ actions

    async def advance(self, trigger: Trigger, note: str | None = None, override: bool = False) -> ActionResult:
        """Move to the next stage's percent; refused while gates fail (unless override) or data is stale."""
        refusal = self._refuse_mutation("advance")
        if refusal:
            return refusal
        current = self._percent()
        if current is None:
            return self._refused("advance", "no heartbeat yet: the current percent is unknown")
        target = self.plan.next_stage(current)
        if target is None:
            return self._refused("advance", f"already at {current}%: nothing to advance to", current)
        if not override:
            if self._is_stale():
                return self._refused("advance", "data is stale: refresh first (or override)", current, target.percent)
            failing = [g for g in self._gates if g.status is GateStatus.FAIL]
            if failing:
                names = ", ".join(f"{g.name} ({g.reason})" if g.reason else g.name for g in failing)
                return self._refused("advance", f"gates failing: {names}", current, target.percent)
            if self._seen is not None and self._seen.paused:
                return self._refused("advance", "the ramp is paused: resume first (or override)", current, target.percent)
        note = note or (f"stage {self.plan.stages.index(target) + 1}: {current}% → {target.percent}%" + (" (override)" if override else ""))
        return await self._run_exclusive("advance", lambda: self._mutate("advance", trigger, note, percent=target.percent, expected=current), target.percent)

    async def set_percent(self, percent: int, trigger: Trigger, note: str | None = None) -> ActionResult:
        """Set any percent 0..100 (compare-and-set against the observed one); 0 is a rollback."""
        if not isinstance(percent, int) or isinstance(percent, bool) or not 0 <= percent <= 100:
            return self._refused("set-percent", f"percent must be an integer 0..100, got {percent!r}")
        if percent == 0:
            return await self.rollback(trigger, note)
        refusal = self._refuse_mutation("set-percent")
        if refusal:
            return refusal
        current = self._percent()
        if current is None:
            return self._refused("set-percent", "no heartbeat yet: the current percent is unknown", None, percent)
        return await self._run_exclusive("set-percent", lambda: self._mutate("set-percent", trigger, note, percent=percent, expected=current), percent)

    async def pause(self, trigger: Trigger, note: str | None = None) -> ActionResult:
        """Put the ramp on hold (compare-and-set on the observed percent)."""
        return await self._set_paused(True, trigger, note)

    async def resume(self, trigger: Trigger, note: str | None = None) -> ActionResult:
        """Clear the hold."""
        return await self._set_paused(False, trigger, note)

    async def toggle_pause(self, trigger: Trigger, note: str | None = None) -> ActionResult:
        """Pause when running, resume when paused."""
        paused = bool(self._seen and self._seen.paused)
        return await self._set_paused(not paused, trigger, note)

    async def _set_paused(self, paused: bool, trigger: Trigger, note: str | None) -> ActionResult:
        name = "pause" if paused else "resume"
        refusal = self._refuse_mutation(name)
        if refusal:
            return refusal
        current = self._percent()
        if current is None:
            return self._refused(name, "no heartbeat yet: the current percent is unknown")
        return await self._run_exclusive(name, lambda: self._mutate(name, trigger, note, paused=paused, expected=current))

    async def checkpoint(self, note: str, trigger: Trigger) -> ActionResult:
        """Create a rollback checkpoint (POST /api/ghost/rollback) with a note."""
        if self.read_only:
            return self._refused("checkpoint", "read-only mode")
        current = self._percent()
        self._audit(action="checkpoint", trigger=trigger, outcome="attempt", note=note, frm=current, to=current)
        try:
            ckpt = await self.client.checkpoint(note)
        except MissionError as exc:
            self._audit(action="checkpoint", trigger=trigger, outcome="failed", note=note, frm=current, to=current, server=str(exc))
            self._emit("checkpoint", f"checkpoint failed: {exc}", EventLevel.ERROR)
            return self._finish(ActionResult("checkpoint", False, f"checkpoint failed: {exc}", current, current))
        server = f"checkpoint_id={ckpt.checkpoint_id}"
        self._audit(action="checkpoint", trigger=trigger, outcome="ok", note=note, frm=current, to=current, server=server)
        self._emit("checkpoint", f"{self.actor} created checkpoint {ckpt.checkpoint_id}: {note}")
        return self._finish(ActionResult("checkpoint", True, f"checkpoint {ckpt.checkpoint_id} created", current, current))

    async def rollback(self, trigger: Trigger, note: str | None = None) -> ActionResult:
        """Roll back to 0% now: pre-empts any action in flight, retries until a read-back shows 0%, idempotent."""
        return await self.start_rollback(trigger, note)

    def start_rollback(self, trigger: Trigger, note: str | None = None) -> Awaitable[ActionResult]:
        """rollback(), started before this returns: its request goes out on the event loop's next turn.

        For the R key: the dashboard awaits the result in a worker, and the request does not wait for the
        worker to start (benchmarks/rollback.py).
        """
        if self.read_only:
            return _ready(self._refused("rollback", "read-only mode"))
        return self._rollback_result(self._ensure_rollback(trigger, note))

    async def _rollback_result(self, task: asyncio.Task[ActionResult]) -> ActionResult:
        """The outcome of a rollback task (its cancellation reported, not raised)."""
        await asyncio.wait({task})
        if task.cancelled():
            return ActionResult("rollback", False, "rollback cancelled", self._percent(), 0)
        return task.result()

    def _ensure_rollback(self, trigger: Trigger, note: str | None) -> asyncio.Task[ActionResult]:
        """The running rollback (joined: idempotent), or a new one that cancels the action in flight."""
        task = self._rollback_task
        if task is not None and not task.done():
            self._emit("rollback", "rollback already in progress: joining it")
            return task
        self._cancel_action_in_flight()
        task = asyncio.get_running_loop().create_task(self._rollback_until_confirmed(trigger, note))
        self._rollback_task = task
        task.add_done_callback(lambda _t: self._publish())
        return task  # published by the rollback's notice, once its first request is out (ROLLBACK_NOTICE_AFTER_S)

    async def aclose(self, *, abandon_rollback: bool = False) -> None:
        """Stop automatic work and notifications; a running rollback is left alone unless abandon_rollback."""
        if self._auto_task is not None and not self._auto_task.done():
            self._auto_task.cancel()
        if abandon_rollback and self._rollback_task is not None and not self._rollback_task.done():
            self._rollback_task.cancel()
            await asyncio.wait({self._rollback_task})
        self._snapshot_listeners.clear()
        self._event_listeners.clear()

    # ------------------------------------------------------------------ action machinery

    def _refuse_mutation(self, name: str) -> ActionResult | None:
        """The common refusals: read-only, a rollback in progress, another action in flight."""
        if self.read_only:
            return self._refused(name, "read-only mode")
        if self._rollback_task is not None and not self._rollback_task.done():
            return self._refused(name, "a rollback is in progress")
        if self._action is not None:
            return self._refused(name, f"{self._action.name} already in flight")
        return None

    def _refused(self, name: str, message: str, frm: int | None = None, to: int | None = None) -> ActionResult:
        """An action refused before anything was sent (shown as an event, not audited)."""
        self._emit(name, f"{name} refused: {message}", EventLevel.WARNING)
        return self._finish(ActionResult(name, False, message, frm, to))

    async def _run_exclusive(self, name: str, make: Callable[[], Awaitable[ActionResult]], target_percent: int | None = None) -> ActionResult:
        """Run one action as its own task, so a rollback can cancel it; report it as in flight meanwhile."""
        task = asyncio.get_running_loop().create_task(make())
        self._action = _InFlight(name, task, target_percent)

        def clear(_: asyncio.Task[ActionResult]) -> None:
            if self._action is not None and self._action.task is task:
                self._action = None
                self._publish()

        task.add_done_callback(clear)
        self._publish()
        await asyncio.wait({task})
        if task.cancelled():
            return self._finish(ActionResult(name, False, f"{name} cancelled: superseded by rollback", self._percent(), None))
        if task.exception() is not None:
            exc = task.exception()
            log.error("%s failed unexpectedly", name, exc_info=exc)
            self._emit(name, f"{name} failed unexpectedly: {type(exc).__name__}: {exc}", EventLevel.ERROR)
            return self._finish(ActionResult(name, False, f"{name} failed unexpectedly ({type(exc).__name__})", self._percent(), target_percent))
        return task.result()

    def _cancel_action_in_flight(self) -> None:
        """A rollback pre-empts whatever else is running."""
        if self._action is not None and not self._action.task.done():
            self._emit(self._action.name, f"{self._action.name} cancelled: rollback takes precedence", EventLevel.WARNING)
            self._action.task.cancel()
            now_s = self.clock.monotonic()
            self._superseded = {p: t for p, t in self._superseded.items() if t >= now_s}
            if self._action.target_percent:
                self._superseded[self._action.target_percent] = now_s + SUPERSEDED_GUARD_S

    async def _mutate(
        self,
        name: str,
        trigger: Trigger,
        note: str | None,
        *,
        expected: int,
        percent: int | None = None,
        paused: bool | None = None,
    ) -> ActionResult:
        """One compare-and-set change: audit the attempt, send it, read it back, audit the result."""
        to = percent if percent is not None else expected
        fields = {"action": name, "trigger": trigger, "note": note, "frm": expected, "to": to}
        if paused is not None:
            fields["paused"] = paused
        self._audit(outcome="attempt", **fields)
        what = f"{expected}% → {to}%" if percent is not None else f"{'pause' if paused else 'resume'} at {expected}%"
        self._emit(name, f"{self.actor} {name}: {what} ({trigger})")
        try:
            if not self.actuator.compare_and_set:
                observed = await self.client.heartbeat()
                self.observe(observed)
                now_percent = observed.deployment.canary_percent
                if now_percent != expected:
                    raise ConflictError(now_percent, observed.deployment.updated_by)
            self._own_target = (percent, paused)
            if percent is not None:
                outcome = await self.actuator.set_percent(percent, expected, note, self.actor)
            else:
                assert paused is not None
                outcome = await self.actuator.set_paused(paused, expected, note, self.actor)
            self._log_output(name, outcome)
            confirmed, seen = await self._read_back(percent, paused)
        except asyncio.CancelledError:
            self._own_target = None
            self._audit(outcome="cancelled", server="superseded by rollback", **fields)
            raise
        except ConflictError as exc:
            self._own_target = None
            message = str(exc)
            self._audit(outcome="conflict", server=message, **fields)
            self._emit("conflict", f"{name} refused by the server: {message}", EventLevel.WARNING)
            await self._quiet_refresh()
            return self._finish(ActionResult(name, False, message, expected, to, conflict=True))
        except MissionError as exc:
            self._own_target = None
            output = getattr(exc, "output", "")
            if output:
                self._emit(f"{name}-output", output.strip()[-500:], EventLevel.INFO)
            self._audit(outcome="failed", server=f"{exc.kind}: {exc}", **fields)
            self._emit(name, f"{name} failed: {exc}", EventLevel.ERROR)
            return self._finish(ActionResult(name, False, f"{name} failed: {exc}", expected, to))
        if not confirmed:
            self._audit(outcome="unconfirmed", server=seen, **fields)
            self._emit(name, f"{name} sent but not confirmed: {seen}", EventLevel.ERROR)
            return self._finish(ActionResult(name, False, f"{name} not confirmed: {seen}", expected, to))
        self._audit(outcome="ok", server=outcome.summary, **fields)
        self._emit(name, f"{self.actor} {name} done: {what} (confirmed)")
        return self._finish(ActionResult(name, True, f"{name} done: {what}", expected, to))

    async def _read_back(self, percent: int | None, paused: bool | None) -> tuple[bool, str]:
        """Fetch heartbeats until one shows the change (a few tries); (confirmed, what was seen)."""
        seen = "no read-back"
        for attempt in range(READBACK_ATTEMPTS):
            try:
                heartbeat = await self.client.heartbeat()
            except MissionError as exc:
                seen = f"read-back failed: {exc}"
            else:
                self.observe(heartbeat)
                dep = heartbeat.deployment
                seen = f"read-back shows {dep.canary_percent}%{' paused' if dep.paused else ''}"
                if (percent is None or dep.canary_percent == percent) and (paused is None or dep.paused == paused):
                    return True, seen
            if attempt + 1 < READBACK_ATTEMPTS:
                await self._sleep(self._backoff_s[min(attempt, len(self._backoff_s) - 1)])
        return False, seen

    async def _rollback_until_confirmed(self, trigger: Trigger, note: str | None) -> ActionResult:
        """Send percent=0 (unconditional) and read back, with backoff, until 0% is seen; each attempt audited."""
        frm = self._percent()
        note = note or "rollback"
        kind = "auto-rollback" if trigger is Trigger.AUTO else "rollback"
        message = f"{self.actor} rolling back {frm if frm is not None else '?'}% → 0% ({trigger}): {note}"
        noticed = False

        def notice() -> None:
            """The rollback's event and snapshot, once: after its first answer, or ROLLBACK_NOTICE_AFTER_S."""
            nonlocal noticed
            if not noticed:
                noticed = True
                timer.cancel()
                self._emit(kind, message, EventLevel.WARNING)
                self._publish()

        timer = asyncio.get_running_loop().call_later(ROLLBACK_NOTICE_AFTER_S, notice)
        self._rollback_notice = notice
        try:
            return await self._rollback_loop(trigger, note, frm, kind)
        except asyncio.CancelledError:
            notice()
            self._audit(action="rollback", trigger=trigger, outcome="abandoned", note=note, frm=frm, to=0, server="cancelled before 0% was confirmed")
            self._emit(kind, "rollback abandoned before 0% was confirmed", EventLevel.ERROR)
            raise
        finally:
            notice()
            self._rollback_notice = None

    def _rollback_noticed(self) -> None:
        """The running rollback's first request is out (answered or failed): tell observers now."""
        if self._rollback_notice is not None:
            self._rollback_notice()

    async def _rollback_loop(self, trigger: Trigger, note: str, frm: int | None, kind: str) -> ActionResult:
        """The retry loop of a rollback: send, read back, back off; returns once 0% is seen."""
        attempt = 0
        while True:
            attempt += 1
            self._audit(action="rollback", trigger=trigger, outcome="attempt", note=note, frm=frm, to=0, attempt=attempt)
            error: str | None = None
            try:
                self._own_target = (0, None)
                outcome = await self.actuator.set_percent(0, None, note, self.actor, **self._hook_kwargs(trigger, note, frm, attempt))
                self._rollback_noticed()
                self._log_output("rollback", outcome)
                confirmed, seen = await self._read_back(0, None)
                if confirmed:
                    self._audit(action="rollback", trigger=trigger, outcome="ok", note=note, frm=frm, to=0, attempt=attempt, server=f"{outcome.summary}; {seen}")
                    self._emit(kind, f"rollback confirmed: 0% after {attempt} attempt{'s' if attempt > 1 else ''}")
                    self._came_down_to_zero = True
                    self._reset_rules()
                    return self._finish(ActionResult("rollback", True, f"rolled back to 0% (confirmed, attempt {attempt})", frm, 0))
                error = seen
            except MissionError as exc:
                self._rollback_noticed()
                output = getattr(exc, "output", "")
                if output:
                    self._emit("rollback-output", output.strip()[-500:])
                error = f"{exc.kind}: {exc}"
                if not exc.transient and exc.kind in PERMANENT_ROLLBACK_ERRORS:
                    self._audit(action="rollback", trigger=trigger, outcome="failed", note=note, frm=frm, to=0, attempt=attempt, server=error)
                    self._emit(kind, f"rollback cannot succeed: {error}", EventLevel.ERROR)
                    return self._finish(ActionResult("rollback", False, f"rollback failed: {exc}", frm, 0))
            except Exception as exc:  # a bug must not lose the rollback: log it and keep trying
                self._rollback_noticed()
                log.exception("rollback attempt %d failed unexpectedly", attempt)
                error = f"unexpected {type(exc).__name__}: {exc}"
            delay_s = self._backoff_s[min(attempt - 1, len(self._backoff_s) - 1)]
            self._audit(action="rollback", trigger=trigger, outcome="retry", note=note, frm=frm, to=0, attempt=attempt, server=error)
            self._emit(kind, f"rollback attempt {attempt} not confirmed ({error}); retrying in {delay_s:g} s", EventLevel.ERROR)
            await self._sleep(delay_s)

    def _hook_kwargs(self, trigger: Trigger, note: str, frm: int | None, attempt: int) -> dict[str, Any]:
        """An on_attempt hook for actuators that retry inside (the API client): audit each HTTP attempt."""
        if not getattr(self.actuator, "accepts_on_attempt", False):
            return {}

        def on_attempt(http_attempt: int, error: MissionError | None) -> None:
            self._rollback_noticed()
            outcome = "sent" if error is None else "http-failed"
            server = "200" if error is None else f"{error.kind}: {error}"
            self._audit(action="rollback", trigger=trigger, outcome=outcome, note=note, frm=frm, to=0, attempt=attempt, http_attempt=http_attempt, server=server)
            if error is not None:
                self._emit("rollback", f"rollback request attempt {attempt}.{http_attempt} failed: {error}", EventLevel.WARNING)

        return {"on_attempt": on_attempt}

    async def _quiet_refresh(self) -> None:
        """Re-read the server after a conflict so the view follows it; errors are only observed."""
        try:
            self.observe(await self.client.heartbeat())
        except MissionError as exc:
            self.observe_error(exc)

    def _log_output(self, name: str, outcome: ActuatorOutcome) -> None:
        """Captured command output goes into the event log."""
        if outcome.output.strip():
            self._emit(f"{name}-output", outcome.output.strip()[-500:])

    def _finish(self, result: ActionResult) -> ActionResult:
        """Remember the last result and publish a snapshot."""
        self._last_result = result
        self._publish()
        return result

    # ------------------------------------------------------------------ judging

    def _follow_deployment(self, old: Deployment | None, dep: Deployment, skew_s: float = 0.0) -> None:
        """Follow percent/pause changes, naming who made them when it was not us.

        `skew_s` (server clock minus ours) maps the server's updated_at onto our clock, so a
        server hours behind cannot make a fresh stage look baked.
        """
        now_s = self.clock.now()
        if old is None:
            self._entered_at_s = _entered_at(dep.updated_at, now_s, skew_s)
            return
        if dep.canary_percent == old.canary_percent and dep.paused == old.paused:
            return
        ours = self._own_target is not None and self._own_target[0] in (None, dep.canary_percent) and self._own_target[1] in (None, dep.paused)
        if ours:
            self._own_target = None
        if dep.canary_percent != old.canary_percent:
            self._entered_at_s = _entered_at(dep.updated_at, now_s, skew_s) if not ours else now_s
            self._stage_clean = True
            self._window.clear()
            by = dep.updated_by or "someone"
            self.history.add_mark(now_s, f"{old.canary_percent}%→{dep.canary_percent}% {by}")
            if dep.canary_percent == 0:
                self._came_down_to_zero = True
                self._reset_rules()
            else:
                self._came_down_to_zero = False
        if not ours and self._landed_late(dep.canary_percent, dep.updated_by):
            return
        if not ours:
            who = dep.updated_by or "someone else"
            parts = []
            if dep.canary_percent != old.canary_percent:
                parts.append(f"canary {old.canary_percent}% → {dep.canary_percent}%")
            if dep.paused != old.paused:
                parts.append("paused" if dep.paused else "resumed")
            self._emit("external-change", f"{who} changed the ramp: {', '.join(parts)}", EventLevel.WARNING)

    def _landed_late(self, percent: int, updated_by: str | None) -> bool:
        """A change we cancelled for a rollback reached the server anyway: roll back again at once."""
        deadline = self._superseded.pop(percent, None)
        if deadline is None or percent == 0 or updated_by not in (None, self.actor) or self.clock.monotonic() > deadline:
            return False
        self._emit("rollback", f"a superseded change to {percent}% landed late: rolling back again", EventLevel.ERROR)
        try:
            self._ensure_rollback(Trigger.AUTO, f"superseded change to {percent}% landed after the rollback")
        except RuntimeError:
            self._emit("rollback", "rollback needed but no event loop is running", EventLevel.ERROR)
        return True

    def _record_history(self, heartbeat: Heartbeat) -> None:
        """Append one row of the chart series."""
        m = heartbeat.metrics
        values: dict[str, float | None] = {"p50_ms": m.p50_ms, "p95_ms": m.p95_ms, "p99_ms": m.p99_ms}
        for variant in ("canary", "stable"):
            vm = getattr(m, variant)
            for q in ("p50_ms", "p95_ms", "p99_ms"):
                values[f"{variant}_{q}"] = getattr(vm, q) if vm is not None else None
        rates = self._rates
        values["error_rate"] = rates.error_rate if rates else None
        values["canary_error_rate"] = rates.canary_error_rate if rates else None
        values["stable_error_rate"] = rates.stable_error_rate if rates else None
        values["requests_per_s"] = rates.requests_per_s if rates else None
        values["canary_percent"] = float(heartbeat.deployment.canary_percent)
        fields = set(self.history_fields)
        self.history.append(heartbeat.fetched_at_s, {k: v for k, v in values.items() if k in fields})

    def _evaluate_gates(self) -> None:
        """The current stage's gates on the latest data (HOLD when stale or missing)."""
        if self._last is None:
            self._gates = ()
            return
        percent = self._seen.canary_percent if self._seen is not None else self._last.deployment.canary_percent
        elapsed_s, bake_s = self._bake()
        self._seed_gates = tuple(
            evaluate_stage_gates(percent, self._last, self._window.rates(), self.thresholds, self._is_stale(), bake_elapsed_s=elapsed_s, bake_s=bake_s)
        )
        self._gates = self._seed_gates
        if not self._is_stale():  # evidence rules (core/judgment.py) offer gates with intervals and evidence bars
            self._gates += tuple(g for rule in self.rules for g in getattr(rule, "gates", ()))
        if any(g.status is GateStatus.FAIL for g in self._gates):
            self._stage_clean = False

    def _judge(self, obs: Observation) -> None:
        """Run every rule; a trip (with auto-rollback on, data judged, percent above 0) starts a rollback."""
        verdicts = []
        for rule in self.rules:
            try:
                verdicts.append(rule.observe(obs))
            except Exception as exc:  # a broken rule must never stop the controller
                log.exception("rule %s failed", getattr(rule, "name", rule))
                verdicts.append(RuleVerdict(getattr(rule, "name", "rule"), False, f"rule error: {exc}", hold=True))
        self._verdicts = tuple(verdicts)
        if any(v.count for v in verdicts):
            self._stage_clean = False
        tripped = [v for v in verdicts if v.trip]
        if not tripped:
            self._trip_reason = None
            return
        reason = "; ".join(f"{v.rule}: {v.reason}" for v in tripped)
        new_trip = self._trip_reason is None
        self._trip_reason = reason
        percent = obs.stage_percent
        if not self.auto_rollback or self.read_only:
            if new_trip:
                self._emit("auto-rollback", f"rollback trigger held ({'read-only' if self.read_only else 'auto-rollback off'}): {reason}", EventLevel.ERROR)
            return
        if percent == 0:
            return
        if self._rollback_task is not None and not self._rollback_task.done():
            return
        self._emit("auto-rollback", f"auto-rollback triggered: {reason}", EventLevel.ERROR)
        try:
            self._ensure_rollback(Trigger.AUTO, f"auto-rollback: {reason}"[:500])
        except RuntimeError:
            self._emit("auto-rollback", "auto-rollback needed but no event loop is running", EventLevel.ERROR)

    def _maybe_auto_advance(self) -> None:
        """With auto-advance on: advance once the bake is met and the stage held throughout.

        When a rule offers a full Decision (the evidence-based judgment), PROMOTE_ELIGIBLE
        is required; otherwise the seed's gates must be green now and never failed in this stage.
        """
        if not self.auto_advance or self.read_only or self.action_in_flight is not None or self._is_stale():
            return
        if self._auto_task is not None and not self._auto_task.done():
            return
        if self._seen is None or self.plan.next_stage(self._seen.canary_percent) is None or self._seen.paused or self._trip_reason:
            return
        elapsed_s, bake_s = self._bake()
        if bake_s is None or elapsed_s is None or elapsed_s < bake_s:
            return
        decision = next((v.decision for v in self._verdicts if v.decision is not None), None)
        if self.advance_on_seed_gates:
            seed_green = bool(self._seed_gates) and all(g.status is GateStatus.PASS for g in self._seed_gates)
            evidence_failing = any(g.status is GateStatus.FAIL for g in self._gates)
            if not (seed_green and self._stage_clean) or evidence_failing or (decision is not None and decision.kind is DecisionKind.ROLLBACK):
                return
            why = "bake met, the seed's gates held throughout"
        elif decision is not None:
            if decision.kind is not DecisionKind.PROMOTE_ELIGIBLE:
                return
            why = f"judgment: {decision.reason}"
        elif self._ramp_state() is RampState.ELIGIBLE and self._stage_clean:
            why = "bake met, gates held throughout"
        else:
            return
        self._emit("auto-advance", f"auto-advance: {why}")
        override = decision is not None or self.advance_on_seed_gates  # the advance's own gate check would see the held evidence gates
        self._start_auto(lambda: self.advance(Trigger.AUTO, note=f"auto-advance: {why}"[:500], override=override))

    def _start_auto(self, make: Callable[[], Awaitable[ActionResult]]) -> None:
        """Start an automatic action in the background (needs a running loop)."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self._emit("auto", "automatic action needed but no event loop is running", EventLevel.ERROR)
            return
        self._auto_task = loop.create_task(make())

    def _reset_rules(self) -> None:
        for rule in self.rules:
            rule.reset()
        self._trip_reason = None

    # ------------------------------------------------------------------ derived state

    def _percent(self) -> int | None:
        """The canary percent the server last showed (any parsed heartbeat), or None."""
        return self._seen.canary_percent if self._seen is not None else None

    def _data_age_s(self) -> float | None:
        """Seconds since the last trusted heartbeat arrived."""
        return None if self._last is None else max(0.0, self.clock.now() - self._last.fetched_at_s)

    def _is_stale(self) -> bool:
        """No data, a failing fetch, or data older than stale_after_s."""
        age = self._data_age_s()
        return self._last is None or self._error is not None or (age is not None and age > self.stale_after_s)

    def _bake(self) -> tuple[float | None, float | None]:
        """(elapsed, required) bake seconds of the current stage, or (None, None) off-plan."""
        return derive.bake(self.plan, self._percent(), self._entered_at_s, self.clock.now())

    def _ramp_state(self) -> RampState:
        """The ramp's state now (see derive.ramp_state)."""
        elapsed_s, bake_s = self._bake()
        return derive.ramp_state(
            self._seen,
            rolling_back=self.action_in_flight == "rollback",
            came_down_to_zero=self._came_down_to_zero,
            gates=self._gates,
            tripped=bool(self._trip_reason),
            baked=bake_s is not None and elapsed_s is not None and elapsed_s >= bake_s,
            stale=self._is_stale(),
        )

    def _build_snapshot(self) -> Snapshot:
        """A new immutable snapshot of everything the screen shows."""
        ramp = self._ramp_state()
        stale_reason = None
        if self._is_stale():
            stale_reason = f"{self._error.kind}: {self._error}" if self._error is not None else "no fresh data"
        return Snapshot(
            environment=self.environment,
            plan=self.plan,
            connection=derive.connection_state(
                have_data=self._last is not None, failing=self._error is not None,
                consecutive_errors=self._consecutive_errors, stale=self._is_stale(),
            ),
            connection_error=(f"{self._error.kind}: {self._error}" if self._error is not None else None),
            heartbeat=self._last,
            data_age_s=self._data_age_s(),
            rates=self._rates,
            ramp=ramp,
            stage=derive.stage_view(self.plan, self._percent(), self._entered_at_s, self.clock.now()),
            gates=self._gates,
            auto_rollback=derive.trigger_state(self.auto_rollback and not self.read_only, self._verdicts, self._trip_reason, self._signature_bad),
            decision=(
                derive.decision(self._verdicts, trip_reason=self._trip_reason, stale_reason=stale_reason, gates=self._gates, ramp=ramp)
                if self._seen is not None or self._error is not None else None
            ),
            action_in_flight=self.action_in_flight,
            read_only=self.read_only,
            now=to_datetime(self.clock.now()),
            extra={
                "verdicts": self._verdicts,
                "last_result": self._last_result,
                "actuator": getattr(self.actuator, "name", "api"),
                "auto_advance": self.auto_advance,
            },
            thresholds=self.thresholds,
        )

    def _publish(self) -> Snapshot:
        """Build a new snapshot and hand it to every subscriber."""
        self._snapshot = self._build_snapshot()
        for listener in list(self._snapshot_listeners):
            try:
                listener(self._snapshot)
            except Exception:
                log.exception("snapshot listener failed")
        return self._snapshot

    # ------------------------------------------------------------------ events and audit

    def _emit(self, kind: str, message: str, level: EventLevel = EventLevel.INFO) -> Event:
        event = Event(at=to_datetime(self.clock.now()), actor=self.actor, kind=kind, message=message, level=level)
        self.events.append(event)
        for listener in list(self._event_listeners):
            try:
                listener(event)
            except Exception:
                log.exception("event listener failed")
        return event

    def _audit(self, *, action: str, trigger: Trigger, outcome: str, note: str | None, frm: int | None, to: int | None, server: str | None = None, **extra: object) -> None:
        """One audit record, fsynced before the caller goes on (attempts just before a request: flushed, fsynced with the result)."""
        if self.audit is None:
            return
        try:
            self.audit.record(
                durable=outcome not in ("attempt", "sent", "http-failed"),
                actor=self.actor, action=action, **{"from": frm, "to": to}, note=note,
                trigger=str(trigger), outcome=outcome, server=server, **extra,
            )
        except OSError as exc:
            self._emit("audit", f"audit log write failed: {exc}", EventLevel.ERROR)


def _server_skew_s(heartbeat: Heartbeat) -> float:
    """How far the server's clock runs ahead of ours (negative: behind), from one heartbeat."""
    try:
        return heartbeat.timestamp.timestamp() - heartbeat.fetched_at_s
    except (AttributeError, ValueError, OverflowError):
        return 0.0


def _entered_at(updated_at: Any, now_s: float, skew_s: float = 0.0) -> float:
    """When the current stage began on our clock: the server's updated_at less its skew, never in our future; else now."""
    if updated_at is None:
        return now_s
    try:
        return min(float(updated_at.timestamp()) - skew_s, now_s)
    except (AttributeError, ValueError, OverflowError):
        return now_s


async def _ready(result: ActionResult) -> ActionResult:
    """An already known result as an awaitable."""
    return result
