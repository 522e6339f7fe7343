"""Running actions: compare-and-set changes, a rollback retried until a trusted read-back shows 0%, audit.

A confirmed action carries what the operator saw (`expected_percent`); a change
under it is refused — by us when we already see it, by the server (409) when we
do not — and never re-interpreted. Each attempt and result is audited.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from canary_tui.controller.audit import Auditor
from canary_tui.controller.follow import ServerView
from canary_tui.controller.model import ActionResult, Event, EventLevel, Snapshot, Trigger
from canary_tui.controller.ports import HeartbeatSource
from canary_tui.core.clock import Clock
from canary_tui.core.samples import Heartbeat
from canary_tui.mission.actuators import Actuator, ActuatorError, ActuatorOutcome
from canary_tui.mission.errors import ConflictError, MissionError, SignatureError, deployment_heartbeat

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[Any]]

#: backoff between rollback attempts (the last value repeats until 0% is confirmed)
ROLLBACK_BACKOFF_S: tuple[float, ...] = (0.2, 0.5, 1.0, 2.0, 5.0)
READBACK_ATTEMPTS = 3
#: errors no retry can fix: a rollback stops and reports them instead of looping forever
PERMANENT_ROLLBACK_ERRORS = frozenset({"unauthorized", "no-token", "bad-request", "invalid-request", "config", "actuator"})
#: how long a change superseded by a rollback is watched for, should it still land late
SUPERSEDED_GUARD_S = 120.0


class Host(Protocol):
    """What the runner needs from the controller it works for."""

    view: ServerView

    def observe(self, heartbeat: Heartbeat) -> Snapshot: ...
    def observe_error(self, exc: MissionError) -> Snapshot: ...
    def emit(self, kind: str, message: str, level: EventLevel = EventLevel.INFO) -> Event: ...
    def publish(self) -> Snapshot: ...
    def rolled_back(self) -> None: ...


@dataclass(slots=True)
class InFlight:
    """The one action running now (a rollback is tracked separately: it pre-empts)."""

    name: str
    task: asyncio.Task[ActionResult]
    target_percent: int | None = None


def trusted_readback(heartbeat: Heartbeat) -> bool:
    """A read-back may confirm a change only when its signature holds (and the server verified its key)."""
    return heartbeat.signature_ok


class ActionRunner:
    """Every change to the deployment goes through here, one at a time; a rollback pre-empts the rest."""

    def __init__(
        self,
        host: Host,
        *,
        client: HeartbeatSource,
        actuator: Actuator,
        actor: str,
        clock: Clock,
        audit: Auditor,
        sleep: Sleep,
        backoff_s: Sequence[float] = ROLLBACK_BACKOFF_S,
    ) -> None:
        self.host = host
        self.client = client
        self.actuator = actuator
        self.actor = actor
        self.clock = clock
        self.audit = audit
        self._sleep = sleep
        self._backoff_s = tuple(backoff_s) or (1.0,)
        self.action: InFlight | None = None
        self.rollback_task: asyncio.Task[ActionResult] | None = None
        self.auto_task: asyncio.Task[ActionResult] | None = None
        self.superseded: dict[int, float] = {}  # target percent -> guard deadline (monotonic s)
        self.last_result: ActionResult | None = None
        self.rollback_sent = asyncio.Event()  # clear while a rollback's first request waits to be sent: a chart redraw waits on it
        self.rollback_sent.set()

    # ---------------------------------------------------------------- state

    @property
    def in_flight(self) -> str | None:
        """Name of the action running now ('rollback' pre-empts everything), or None."""
        if self.rollback_running():
            return "rollback"
        return self.action.name if self.action is not None else None

    def rollback_running(self) -> bool:
        """A rollback is under way."""
        return self.rollback_task is not None and not self.rollback_task.done()

    def running_tasks(self) -> list[asyncio.Task[ActionResult]]:
        """Every task still running (rollback, automatic action, operator action)."""
        tasks = (self.rollback_task, self.auto_task, self.action.task if self.action else None)
        return [t for t in tasks if t is not None and not t.done()]

    # ---------------------------------------------------------------- results

    def refused(
        self, name: str, message: str, frm: int | None = None, to: int | None = None, *, conflict: bool = False, pipeline_refusal: str | None = None,
    ) -> ActionResult:
        """An action refused before anything was sent (shown as an event, not audited)."""
        self.host.emit(name, f"{name} refused: {message}", EventLevel.WARNING)
        return self.finish(ActionResult(name, False, message, frm, to, conflict=conflict, pipeline_refusal=pipeline_refusal))

    def finish(self, result: ActionResult) -> ActionResult:
        """Remember the last result and publish a snapshot."""
        self.last_result = result
        self.host.publish()
        return result

    # ---------------------------------------------------------------- one change at a time

    async def run_exclusive(self, name: str, make: Callable[[], Coroutine[Any, Any, ActionResult]], target_percent: int | None = None) -> ActionResult:
        """Run one action as its own task, so a rollback can cancel it; report it as in flight meanwhile."""
        task = asyncio.get_running_loop().create_task(make())
        self.action = InFlight(name, task, target_percent)

        def clear(_: asyncio.Task[ActionResult]) -> None:
            if self.action is not None and self.action.task is task:
                self.action = None
                self.host.publish()

        task.add_done_callback(clear)
        self.host.publish()
        await asyncio.wait({task})
        if task.cancelled():
            return self.finish(ActionResult(name, False, f"{name} cancelled: superseded by rollback", self.host.view.percent(), None))
        exc = task.exception()
        if exc is not None:
            log.error("%s failed unexpectedly", name, exc_info=exc)
            self.host.emit(name, f"{name} failed unexpectedly: {type(exc).__name__}: {exc}", EventLevel.ERROR)
            return self.finish(ActionResult(name, False, f"{name} failed unexpectedly ({type(exc).__name__})", self.host.view.percent(), target_percent))
        return task.result()

    def cancel_action_in_flight(self) -> None:
        """A rollback pre-empts whatever else is running; a cancelled change is watched for in case it lands late."""
        if self.action is None or self.action.task.done():
            return
        self.host.emit(self.action.name, f"{self.action.name} cancelled: rollback takes precedence", EventLevel.WARNING)
        self.action.task.cancel()
        now_s = self.clock.monotonic()
        self.superseded = {p: t for p, t in self.superseded.items() if t >= now_s}
        if self.action.target_percent:
            self.superseded[self.action.target_percent] = now_s + SUPERSEDED_GUARD_S

    def landed_late(self, percent: int, updated_by: str | None) -> bool:
        """True when a change we cancelled for a rollback has reached the server anyway (roll back again)."""
        deadline = self.superseded.pop(percent, None)
        return not (deadline is None or percent == 0 or updated_by not in (None, self.actor) or self.clock.monotonic() > deadline)

    async def mutate(self, name: str, trigger: Trigger, note: str | None, *, expected: int, percent: int | None = None, paused: bool | None = None,
                     expected_paused: bool | None = None, **audit_extra: object) -> ActionResult:
        """One compare-and-set change: audit the attempt, send it, read it back (trusted), audit the result.

        The server compares the share only. `expected_paused` (the hold flag the change was decided on) is checked
        on a fresh read just before sending, as the share is for an actuator without compare-and-set: a pause
        from elsewhere under a confirmed advance refuses it instead of letting it land on a held ramp.
        """
        to = percent if percent is not None else expected
        fields: dict[str, Any] = {"action": name, "trigger": trigger, "note": note, "frm": expected, "to": to, **audit_extra}
        if paused is not None:
            fields["paused"] = paused
        self.audit(outcome="attempt", **fields)
        what = f"{expected}% → {to}%" if percent is not None else f"{'pause' if paused else 'resume'} at {expected}%"
        self.host.emit(name, f"{self.actor} {name}: {what} ({trigger})")
        view = self.host.view
        sent = False
        try:
            if not self.actuator.compare_and_set or expected_paused is not None:
                now = (await self._deployment_now()).deployment
                if now.canary_percent != expected:
                    raise ConflictError(now.canary_percent, now.updated_by)
                if expected_paused is not None and now.paused != expected_paused:
                    raise ConflictError(now.canary_percent, now.updated_by, paused=now.paused)
            view.own_target = (percent, paused)
            sent = True
            if percent is not None:
                outcome = await self.actuator.set_percent(percent, expected, note, self.actor)
            else:
                assert paused is not None
                outcome = await self.actuator.set_paused(paused, expected, note, self.actor)
            self._log_output(name, outcome)
            confirmed, seen = await self.read_back(percent, paused)
        except asyncio.CancelledError:
            view.own_target = None
            self.audit(outcome="cancelled", server="superseded by rollback", **fields)
            raise
        except ConflictError as exc:
            view.own_target = None
            if sent and self.actuator.compare_and_set:  # sent, and refused by the server's compare-and-set (409)
                message = f"{exc} — the server refused the {name}: nothing changed"
                said = f"{name} refused by the server: {exc} — nothing changed"
            else:  # seen before the command ran
                message = f"{exc} — {name} not sent"
                said = f"{name} refused: {message}"
            self.audit(outcome="conflict", server=str(exc), **fields)
            self.host.emit("conflict", said, EventLevel.WARNING)
            await self.quiet_refresh()
            return self.finish(ActionResult(name, False, message, expected, to, conflict=True))
        except MissionError as exc:
            view.own_target = None
            output = exc.output if isinstance(exc, ActuatorError) else ""
            if output:
                self.host.emit(f"{name}-output", output.strip()[-500:], EventLevel.INFO)
            self.audit(outcome="failed", server=f"{exc.kind}: {exc}", **fields)
            self.host.emit(name, f"{name} failed: {exc}", EventLevel.ERROR)
            return self.finish(ActionResult(name, False, f"{name} failed: {exc}", expected, to))
        if not confirmed:
            self.audit(outcome="unconfirmed", server=seen, **fields)
            self.host.emit(name, f"{name} sent, not confirmed: {seen}", EventLevel.ERROR)
            return self.finish(ActionResult(name, False, f"{name} sent, not confirmed: {seen}", expected, to))
        self.audit(outcome="ok", server=outcome.summary, **fields)
        self.host.emit(name, f"{self.actor} {name} done: {what} (confirmed)")
        return self.finish(ActionResult(name, True, f"{name} done: {what}", expected, to))

    async def _deployment_now(self) -> Heartbeat:
        """A heartbeat for its deployment state: one whose metrics source failed still says where the ramp is."""
        try:
            observed = await self.client.heartbeat()
        except MissionError as exc:
            arrived = deployment_heartbeat(exc)
            if arrived is None:
                raise
            self.host.observe_error(exc)
            return arrived
        self.host.observe(observed)
        return observed

    async def read_back(self, percent: int | None, paused: bool | None) -> tuple[bool, str]:
        """Fetch heartbeats until a trusted one shows the change (a few tries); (confirmed, what was seen)."""
        seen = "no read-back"
        for attempt in range(READBACK_ATTEMPTS):
            try:
                heartbeat = await self.client.heartbeat()
            except SignatureError as exc:
                seen = f"read-back untrusted ({exc})"
            except MissionError as exc:
                seen = f"read-back failed: {exc}"
                arrived = deployment_heartbeat(exc)  # a metrics source failed: the deployment state still arrived
                if arrived is not None and trusted_readback(arrived):
                    dep = arrived.deployment
                    if (percent is None or dep.canary_percent == percent) and (paused is None or dep.paused == paused):
                        return True, f"read-back shows {dep.canary_percent}%{' paused' if dep.paused else ''} ({exc.kind})"
            else:
                self.host.observe(heartbeat)
                dep = heartbeat.deployment
                shows = f"{dep.canary_percent}%{' paused' if dep.paused else ''}"
                if not trusted_readback(heartbeat):
                    seen = f"read-back shows {shows} but is untrusted (signature check failed)"
                else:
                    seen = f"read-back shows {shows}"
                    if (percent is None or dep.canary_percent == percent) and (paused is None or dep.paused == paused):
                        return True, seen
            if attempt + 1 < READBACK_ATTEMPTS:
                await self._sleep(self._backoff_s[min(attempt, len(self._backoff_s) - 1)])
        return False, seen

    async def quiet_refresh(self) -> None:
        """Re-read the server after a conflict so the view follows it; errors are only observed."""
        try:
            self.host.observe(await self.client.heartbeat())
        except MissionError as exc:
            self.host.observe_error(exc)

    def _log_output(self, name: str, outcome: ActuatorOutcome) -> None:
        """Captured command output goes into the event log."""
        if outcome.output.strip():
            self.host.emit(f"{name}-output", outcome.output.strip()[-500:])

    # ---------------------------------------------------------------- rollback

    def ensure_rollback(self, trigger: Trigger, note: str | None, at_trigger: Mapping[str, object] | None = None) -> asyncio.Task[ActionResult]:
        """The running rollback (joined: idempotent), or a new one that cancels the action in flight.

        `at_trigger` (an automatic rollback's trips and figures when it fired) goes into its audit records.
        """
        task = self.rollback_task
        if task is not None and not task.done():
            self.host.emit("rollback", "rollback already in progress: joining it")
            return task
        self.cancel_action_in_flight()
        task = asyncio.get_running_loop().create_task(self._rollback_until_confirmed(trigger, note, dict(at_trigger or {})))
        self.rollback_task = task
        self.rollback_sent.clear()

        def done(_: asyncio.Task[ActionResult]) -> None:
            self.rollback_sent.set()  # however it ended
            self.host.publish()

        task.add_done_callback(done)
        return task

    async def rollback_result(self, task: asyncio.Task[ActionResult]) -> ActionResult:
        """The outcome of a rollback task (its cancellation reported, not raised)."""
        await asyncio.wait({task})
        if task.cancelled():
            return ActionResult("rollback", False, "rollback cancelled", self.host.view.percent(), 0)
        return task.result()

    async def _rollback_until_confirmed(self, trigger: Trigger, note: str | None, at_trigger: dict[str, object]) -> ActionResult:
        """Send percent=0 (unconditional) and read back, with backoff, until a trusted 0% is seen; each attempt audited."""
        frm = self.host.view.percent()
        note = note or "rollback"
        kind = "auto-rollback" if trigger is Trigger.AUTO else "rollback"
        said = False

        def say_rolling_back() -> None:
            """Log and publish the rollback once, when its first request is on its way or its first attempt is over.

            The screen's drawing of them runs on the event loop; said sooner, it would run ahead of the request's write.
            """
            nonlocal said
            if not said:
                said = True
                self.rollback_sent.set()
                self.host.emit(kind, f"{self.actor} rolling back {frm if frm is not None else '?'}% → 0% ({trigger}): {note}", EventLevel.WARNING)
                self.host.publish()

        if not self.actuator.accepts_on_attempt:
            say_rolling_back()  # a command says nothing until it exits
        try:
            return await self._rollback_loop(trigger, note, frm, kind, {"at_trigger": at_trigger} if at_trigger else {}, say_rolling_back)
        except asyncio.CancelledError:
            say_rolling_back()
            self.audit(action="rollback", trigger=trigger, outcome="abandoned", note=note, frm=frm, to=0, server="cancelled before 0% was confirmed")
            self.host.emit(kind, "rollback abandoned before 0% was confirmed", EventLevel.ERROR)
            raise

    async def _rollback_loop(self, trigger: Trigger, note: str, frm: int | None, kind: str, extra: dict[str, Any],
                             on_sent: Callable[[], None]) -> ActionResult:
        """The retry loop of a rollback: send, read back, back off; returns once a trusted 0% is seen."""
        attempt = 0
        while True:
            attempt += 1
            self.audit(action="rollback", trigger=trigger, outcome="attempt", note=note, frm=frm, to=0, attempt=attempt, **extra)
            error: str | None = None
            try:
                self.host.view.own_target = (0, None)
                try:
                    outcome = await self.actuator.set_percent(0, None, note, self.actor, **self._hook_kwargs(trigger, note, frm, attempt, on_sent))
                finally:
                    on_sent()  # at the latest
                self._log_output("rollback", outcome)
                confirmed, seen = await self.read_back(0, None)
                if confirmed:
                    self.audit(action="rollback", trigger=trigger, outcome="ok", note=note, frm=frm, to=0, attempt=attempt, server=f"{outcome.summary}; {seen}", **extra)
                    self.host.emit(kind, f"rollback confirmed: 0% after {attempt} attempt{'s' if attempt > 1 else ''}")
                    self.host.rolled_back()
                    return self.finish(ActionResult("rollback", True, f"rolled back to 0% (confirmed, attempt {attempt})", frm, 0, note=note))
                error = f"sent, unconfirmed: {seen}"
            except MissionError as exc:
                output = exc.output if isinstance(exc, ActuatorError) else ""
                if output:
                    self.host.emit("rollback-output", output.strip()[-500:])
                error = f"{exc.kind}: {exc}"
                if not exc.transient and exc.kind in PERMANENT_ROLLBACK_ERRORS:
                    self.audit(action="rollback", trigger=trigger, outcome="failed", note=note, frm=frm, to=0, attempt=attempt, server=error, **extra)
                    self.host.emit(kind, f"rollback cannot succeed: {error}", EventLevel.ERROR)
                    return self.finish(ActionResult("rollback", False, f"rollback failed: {exc}", frm, 0, note=note))
            except Exception as exc:  # a bug must not lose the rollback: log it and keep trying
                log.exception("rollback attempt %d failed unexpectedly", attempt)
                error = f"unexpected {type(exc).__name__}: {exc}"
            delay_s = self._backoff_s[min(attempt - 1, len(self._backoff_s) - 1)]
            self.audit(action="rollback", trigger=trigger, outcome="retry", note=note, frm=frm, to=0, attempt=attempt, server=error)
            self.host.emit(kind, f"rollback attempt {attempt} not confirmed ({error}); retrying in {delay_s:g} s", EventLevel.ERROR)
            await self._sleep(delay_s)

    def _hook_kwargs(self, trigger: Trigger, note: str, frm: int | None, attempt: int, on_sent: Callable[[], None]) -> dict[str, Any]:
        """Hooks for actuators that retry inside (the API client): audit each HTTP attempt; on_sent once a request is out."""
        if not self.actuator.accepts_on_attempt:
            return {}

        def on_attempt(http_attempt: int, error: MissionError | None) -> None:
            on_sent()  # before any word of this attempt
            outcome = "sent" if error is None else "http-failed"
            server = "200" if error is None else f"{error.kind}: {error}"
            self.audit(action="rollback", trigger=trigger, outcome=outcome, note=note, frm=frm, to=0, attempt=attempt, http_attempt=http_attempt, server=server)
            if error is not None:
                self.host.emit("rollback", f"rollback request attempt {attempt}.{http_attempt} failed: {error}", EventLevel.WARNING)

        return {"on_attempt": on_attempt, "on_sent": on_sent}
