"""The ramp controller: the one façade the dashboard, the CLI and the automatic triggers use for a target.

It wires parts with one job each: `ServerView` follows the server (controller/follow.py),
`Judge` runs the rules and gates and returns intents (controller/judging.py), `Observer`
takes in heartbeats and acts on the intents (controller/observing.py), `Changes` checks
and starts deployment changes (controller/changes.py), `ActionRunner` carries them out by
compare-and-set and rolls back until a trusted read-back shows 0% (controller/actions.py),
and `SnapshotBuilder` publishes each result as one immutable `Snapshot` (controller/snapshots.py).
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable, Iterator, Sequence

from canary_tui.controller.actions import ROLLBACK_BACKOFF_S, ActionRunner, Sleep
from canary_tui.controller.audit import AuditLog, Auditor, CheckpointBook
from canary_tui.controller.changes import AdvanceGuard, Changes
from canary_tui.controller.chart import EMPTY_CHART, HISTORY_FIELDS, ChartData, chart_steps
from canary_tui.controller.events import EventJournal
from canary_tui.controller.follow import ServerView
from canary_tui.controller.judging import Judge
from canary_tui.controller.model import ActionResult, Event, EventLevel, RampState, Snapshot, Trigger
from canary_tui.controller.observing import Observer, unsigned_why
from canary_tui.controller.ports import ControllerClient, EventListener, SnapshotListener
from canary_tui.controller.snapshots import SnapshotBuilder, Switches
from canary_tui.core.clock import Clock
from canary_tui.core.history import History
from canary_tui.core.plans import RampPlan
from canary_tui.core.rules import Rule, SeedRollbackRule
from canary_tui.core.samples import Heartbeat
from canary_tui.core.thresholds import ThresholdTable
from canary_tui.core.verdicts import GateResult
from canary_tui.mission.actuators import Actuator
from canary_tui.mission.errors import MissionError, SignatureError

__all__ = ["EVENTS_MAX", "HISTORY_RESOLUTION_S", "AdvanceGuard", "EventListener", "RampController", "SnapshotListener"]

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
        client: ControllerClient,
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
        self.history_fields = tuple(history_fields)
        self.history = History(self.history_fields, history_max_age_s, history_resolution_s)
        self.view = ServerView(clock, stale_after_s=stale_after_s, min_rate_interval_s=min_rate_interval_s)
        self.judge = Judge(tuple(rules) if rules is not None else (SeedRollbackRule(),), thresholds)
        self.journal = EventJournal(clock, actor, events_max)
        self.runner = ActionRunner(
            self, client=client, actuator=actuator, actor=actor, clock=clock,
            audit=Auditor(audit, actor, self._audit_failed, context=self._audit_context),
            sleep=sleep, backoff_s=rollback_backoff_s,
        )
        checkpoints = CheckpointBook(audit)
        self.observer = Observer(
            self, view=self.view, judge=self.judge, runner=self.runner, history=self.history,
            clock=clock, plan=plan, thresholds=thresholds, checkpoints=checkpoints,
        )
        self.changes = Changes(
            self, view=self.view, judge=self.judge, runner=self.runner, plan=plan,
            client=client, actor=actor, checkpoints=checkpoints, regate=self.observer.evaluate_gates,
            advance_guard=advance_guard,
        )
        self.snapshots = SnapshotBuilder(
            environment=environment, plan=plan, view=self.view, judge=self.judge, runner=self.runner,
            clock=clock, thresholds=thresholds,
        )
        self._snapshot_listeners: list[SnapshotListener] = []
        self.closers: list[Callable[[], None]] = []  # run by aclose (the history store's writer: controller/recording.py)
        self._snapshot = self._build_snapshot()

    # ------------------------------------------------------------------ observers

    @property
    def advance_guard(self) -> AdvanceGuard | None:
        """The promotion pipeline hook (core/pipeline.py through controller/fleet.py), consulted before raising the canary."""
        return self.changes.advance_guard

    @advance_guard.setter
    def advance_guard(self, guard: AdvanceGuard | None) -> None:
        self.changes.advance_guard = guard

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

    def chart(self, columns: int, fields: Sequence[str] | None = None) -> ChartData:
        """History downsampled to `columns` points per series (`fields` of those recorded, default all), with stage-change marks."""
        return next(data for data in self.chart_steps(columns, fields) if data is not None)

    def chart_steps(self, columns: int, fields: Sequence[str] | None = None) -> Iterator[ChartData | None]:
        """chart()'s work a series at a time (None after each), ending with the ChartData: for a caller that yields between."""
        if columns <= 0 or self.view.last is None:
            return iter((EMPTY_CHART,))
        names = self.history_fields if fields is None else [name for name in fields if name in self.history_fields]
        return chart_steps(self.history, names, columns)

    async def until_rollback_sent(self) -> None:
        """Return once no rollback's first request is waiting to be sent (at once when none is)."""
        await self.runner.rollback_sent.wait()

    async def wait_idle(self) -> None:
        """Wait until no action, rollback or automatic action is running (for the CLI and tests)."""
        while tasks := self.runner.running_tasks():
            await asyncio.wait(tasks)

    def observe_probe(self, latencies_ms: Sequence[float], percent: int) -> GateResult:
        """Take a P95 probe of the stage at `percent` as a gate (see Observer.observe_probe)."""
        return self.observer.observe_probe(latencies_ms, percent)

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
            return self.observer.observe_bad_signature(str(exc) or "signature invalid")
        except MissionError as exc:
            return self.observe_error(exc)
        if again.signature_ok:
            return self.observe(again)
        return self.observer.observe_bad_signature(unsigned_why(again), again)

    def tick(self) -> Snapshot:
        """Re-publish on the clock alone (data age, LIVE → STALE while a request hangs); cheap when nothing changed."""
        if self.view.is_stale() != self.snapshots.stale_shown:
            self.judge.evaluate_gates(self.view, self.plan)
        return self.publish()

    def observe(self, heartbeat: Heartbeat) -> Snapshot:
        """Take in one heartbeat: follow, record, judge, maybe act (see Observer.observe)."""
        return self.observer.observe(heartbeat)

    def observe_error(self, exc: MissionError) -> Snapshot:
        """A failed fetch: STALE (last good data kept, with its age) or UNREACHABLE; rules HOLD."""
        return self.observer.observe_error(exc)

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
        authorized_by: str | None = None,
    ) -> ActionResult:
        """Move to the next stage's percent; without an override, refused for the reasons core/advance_rule.py gives.

        A confirmed advance passes the `from_percent` and `to_percent` the operator saw: it is sent as a
        compare-and-set on exactly those, and refused when the server has moved since (controller/changes.py).
        `authorized_by` is the automatic advance's judgment standing in for the gate check (audited as such).
        """
        return await self.changes.advance(trigger, note, override, from_percent=from_percent, to_percent=to_percent,
                                          override_pipeline=override_pipeline, authorized_by=authorized_by)

    async def set_percent(
        self, percent: int, trigger: Trigger, note: str | None = None, *, expected_percent: int | None = None, override_pipeline: bool = False,
    ) -> ActionResult:
        """Set any percent 0..100 (compare-and-set against `expected_percent`, else the observed one); 0 is a rollback."""
        return await self.changes.set_percent(percent, trigger, note, expected_percent=expected_percent, override_pipeline=override_pipeline)

    async def pause(self, trigger: Trigger, note: str | None = None, *, expected_percent: int | None = None, seen_paused: bool | None = None) -> ActionResult:
        """Put the ramp on hold (compare-and-set on the percent the operator saw, else the observed one).

        `seen_paused` is the hold flag the operator saw when asking: if it has changed since, nothing is sent.
        """
        return await self.changes.set_paused(True, trigger, note, expected_percent, seen_paused)

    async def resume(self, trigger: Trigger, note: str | None = None, *, expected_percent: int | None = None, seen_paused: bool | None = None) -> ActionResult:
        """Clear the hold (same rules as pause)."""
        return await self.changes.set_paused(False, trigger, note, expected_percent, seen_paused)

    async def toggle_pause(self, trigger: Trigger, note: str | None = None) -> ActionResult:
        """Pause when running, resume when paused (on the server's state as last seen)."""
        return await self.changes.set_paused(not self.view.paused(), trigger, note, None, None)

    async def checkpoint(self, note: str, trigger: Trigger) -> ActionResult:
        """Create a rollback checkpoint (POST /api/ghost/rollback) with a note, remembered for this canary version."""
        return await self.changes.checkpoint(note, trigger)

    async def rollback(self, trigger: Trigger, note: str | None = None) -> ActionResult:
        """Roll back to 0% now: pre-empts any action in flight, retries until a trusted read-back shows 0%, idempotent."""
        return await self.start_rollback(trigger, note)

    def start_rollback(self, trigger: Trigger, note: str | None = None) -> Awaitable[ActionResult]:
        """rollback(), already started when this returns (the R key awaits its outcome in a worker)."""
        return self.changes.start_rollback(trigger, note)

    async def aclose(self, *, abandon_rollback: bool = False) -> None:
        """Stop automatic work and notifications; a running rollback is left alone unless abandon_rollback."""
        runner = self.runner
        if runner.auto_task is not None and not runner.auto_task.done():
            runner.auto_task.cancel()
        if abandon_rollback and runner.rollback_running():
            assert runner.rollback_task is not None
            runner.rollback_task.cancel()
            await asyncio.wait({runner.rollback_task})
        for close in self.closers:
            close()
        self.closers.clear()
        self._snapshot_listeners.clear()
        self.journal.clear_listeners()

    def rolled_back(self) -> None:
        """A rollback was confirmed: the ramp starts over (no trip, no debounce count left on show)."""
        self.view.came_down_to_zero = True
        self.judge.reset()

    # ------------------------------------------------------------------ derived state and publishing

    def ramp_state(self) -> RampState:
        """The ramp's state now (see derive.ramp_state)."""
        return self.snapshots.ramp_state()

    def _build_snapshot(self) -> Snapshot:
        """A new immutable snapshot of everything the screen shows."""
        switches = Switches(self.auto_rollback, self.auto_advance, self.read_only, self.blocked_reason, self.actuator.name)
        return self.snapshots.build(switches, self.observer.probe_gate)

    def publish(self) -> Snapshot:
        """Build a new snapshot and hand it to every subscriber."""
        self._snapshot = self._build_snapshot()
        for listener in list(self._snapshot_listeners):
            try:
                listener(self._snapshot)
            except Exception:  # noqa: BLE001 - one broken observer must not stop the others
                self.journal.log_listener_failure("snapshot")
        return self._snapshot

    def _audit_context(self) -> dict[str, object]:
        """The versions the server shows, on every audit record: a release is one canary version's life (core/releases.py)."""
        seen = self.view.seen
        return {} if seen is None else {"canary_version": seen.canary_version, "stable_version": seen.stable_version}

    def _audit_failed(self, message: str) -> None:
        """The audit log could not be written: say so in the event log."""
        self.emit("audit", message, EventLevel.ERROR)

    def emit(self, kind: str, message: str, level: EventLevel = EventLevel.INFO) -> Event:
        """One event for the log (repeats coalesced by the journal)."""
        return self.journal.emit(kind, message, level)
