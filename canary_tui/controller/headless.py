"""The headless watcher: the dashboard's controllers polled, judged and acted on without a screen.

`canary-tui run` drives it; a server, a container or a CI job keeps auto-rollback (and auto-advance
where configured) switched on without anyone's dashboard open. Each target is polled by its own task,
one poll at a time, so a hung target never delays another; a clock tick re-publishes every target so
LIVE turns STALE while a request hangs. Everything worth a line becomes a `WatchEvent`: the
controllers' own events (auto-rollback, confirmations, conflicts, poll errors), each change of a
target's verdict (STALE with its reason, ROLLED BACK, ...), and who took a target to 0%.

Several watchers (or a dashboard) on one target are safe: a rollback is idempotent on the server
(0% → 0% changes nothing) and every other change is compare-and-set. Each watcher has an identity
(`instance`, sent as the actor), and the log names the instance whose request moved the target to 0%:
"rolled back to 0% by run@host:123 (this instance)" there, "already rolled back by run@host:123" elsewhere.

Subscribers (a notifier, a test) hear every event: pass `on_event=callable` (or a list of them) or call
`subscribe(callable)`. Each receives the `WatchEvent`, whose `snapshot` is the target's snapshot at that
moment (release, stage, figures, decision) and whose `controller_event` is the controller's own event
when the line came from one. A subscriber runs on the event loop and must not block (hand slow work to a
task); one that raises is logged and the others still hear the event.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import socket
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from canary_tui.controller.controller import RampController
from canary_tui.controller.model import Event, EventLevel, Snapshot, kind_to_show
from canary_tui.controller.target_verdict import TargetVerdict, canary_percent, standing
from canary_tui.core.thresholds import Level

log = logging.getLogger(__name__)

#: how often every target is re-published on the clock alone (data age; LIVE → STALE while a poll hangs)
TICK_INTERVAL_S = 1.0

#: the JSON Lines fields of every event, in order (documented in docs/run.md)
EVENT_FIELDS = ("time", "target", "kind", "level", "message", "actor", "instance")


def instance_name(prefix: str = "run") -> str:
    """This process's identity among watchers: `run@HOST:PID`, sent to the server as the actor."""
    host = socket.gethostname().split(".")[0] or "localhost"
    return f"{prefix}@{host}:{os.getpid()}"


@dataclass(frozen=True, slots=True)
class WatchEvent:
    """One line of the watcher's log: what happened to which target, how bad, and who acted."""

    time: datetime
    target: str
    kind: str
    level: EventLevel
    message: str
    actor: str  # who acted: this instance for its own events, the other party when someone else moved the target
    instance: str  # the watcher that logged it
    snapshot: Snapshot | None = field(default=None, compare=False)  # the target's snapshot then (None for watcher-wide lines)
    controller_event: Event | None = field(default=None, compare=False)  # the controller's event it carries, if any

    def as_json(self) -> dict[str, str]:
        """The documented JSON Lines object (EVENT_FIELDS; time in ISO 8601 UTC)."""
        return {
            "time": self.time.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "target": self.target, "kind": self.kind, "level": self.level.value, "message": self.message,
            "actor": self.actor, "instance": self.instance,
        }

    def as_text(self) -> str:
        """One plain line: time, target, level, kind (unless the message starts with it) and message."""
        stamp = self.time.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        kind = kind_to_show(self.kind, self.message)
        return f"{stamp} {self.target} {self.level.value.upper()} {kind + ': ' if kind else ''}{self.message}"


EventSubscriber = Callable[[WatchEvent], None]

_VERDICT_LEVEL = {Level.CRITICAL: EventLevel.ERROR, Level.WARNING: EventLevel.WARNING}


#: numbers in a reason ("(659/1000)", "SPRT 0.00", "1.5×"): masked when telling a new reason from new figures
_FIGURES = re.compile(r"[-+]?\d[\d.,]*")


@dataclass(slots=True)
class _Target:
    """One watched target: its controller, poll task and what was last reported about it."""

    name: str
    controller: RampController
    verdict: TargetVerdict | None = None
    reason_shape: str = ""  # the verdict's reason with its figures masked: a new shape is news, a new count is not
    percent: int | None = None
    polls: int = 0
    task: asyncio.Task[None] | None = None
    unsubscribe: Callable[[], None] | None = None


class HeadlessWatcher:
    """Polls each target's controller on its own, never overlapping, and reports events to its subscribers.

    `controllers` are (target name, RampController) pairs built with the same factory as the dashboard
    (controller/factory.py), their actor set to `instance`. `run()` returns once `request_stop()` has been
    called and shutdown is done: polling stops, a rollback in flight is finished (a second request_stop
    abandons it, audited as abandoned), every controller is closed (the history store flushed; each audit
    record is already fsynced). Its result is 0, or 1 when a rollback had to be abandoned.
    """

    def __init__(
        self,
        controllers: Sequence[tuple[str, RampController]],
        *,
        instance: str,
        poll_interval_s: float,
        tick_interval_s: float = TICK_INTERVAL_S,
        on_event: EventSubscriber | Iterable[EventSubscriber] | None = None,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        self.instance = instance
        self.poll_interval_s = max(0.05, float(poll_interval_s))
        self.tick_interval_s = tick_interval_s
        self.targets = [_Target(name, controller) for name, controller in controllers]
        if callable(on_event):
            self._subscribers: list[EventSubscriber] = [on_event]
        else:
            self._subscribers = list(on_event or ())
        self._now = now or (lambda: datetime.now(UTC))
        self._stopping = asyncio.Event()
        self._abandon = asyncio.Event()
        self.abandoned = False

    # ------------------------------------------------------------------ subscribers

    def subscribe(self, subscriber: EventSubscriber) -> Callable[[], None]:
        """Hear every event from now on; returns a function that stops it."""
        self._subscribers.append(subscriber)

        def unsubscribe() -> None:
            if subscriber in self._subscribers:
                self._subscribers.remove(subscriber)

        return unsubscribe

    def report(self, target: str, kind: str, message: str, level: EventLevel = EventLevel.INFO, *,
               actor: str | None = None, snapshot: Snapshot | None = None, controller_event: Event | None = None) -> WatchEvent:
        """Hand one event to every subscriber (one that raises is logged; the others still hear it)."""
        at = controller_event.at if controller_event is not None else self._now()
        event = WatchEvent(at, target, kind, level, message, actor or self.instance, self.instance, snapshot, controller_event)
        for subscriber in list(self._subscribers):
            try:
                subscriber(event)
            except Exception:
                log.exception("watch event subscriber failed")
        return event

    # ------------------------------------------------------------------ running

    def request_stop(self) -> None:
        """Stop gracefully (SIGTERM, SIGINT); asked again while a rollback is being finished, abandon it."""
        if self._stopping.is_set():
            if not self._abandon.is_set():
                self._abandon.set()
                self.report("*", "shutdown", "asked again: abandoning whatever is still in flight", EventLevel.ERROR)
            return
        self._stopping.set()

    async def run(self) -> int:
        """Watch until request_stop(), then shut down cleanly; 0, or 1 when a rollback was abandoned."""
        for target in self.targets:
            target.unsubscribe = self._attach(target)
            controller = target.controller
            switches = f"auto-rollback {'on' if controller.auto_rollback else 'off'}, auto-advance {'on' if controller.auto_advance else 'off'}"
            blocked = controller.blocked_reason
            self.report(target.name, "start", f"watching as {self.instance} ({switches}; poll every {self.poll_interval_s:g} s)"
                        + (f"; cannot act: {blocked}" if blocked else ""), EventLevel.WARNING if blocked else EventLevel.INFO,
                        snapshot=controller.snapshot)
        loop = asyncio.get_running_loop()
        for target in self.targets:
            target.task = loop.create_task(self._poll(target), name=f"poll {target.name}")
        ticker = loop.create_task(self._tick(), name="tick") if self.tick_interval_s > 0 else None
        try:
            await self._stopping.wait()
        finally:
            await self._shutdown([t.task for t in self.targets if t.task is not None] + ([ticker] if ticker else []))
        return 1 if self.abandoned else 0

    async def _poll(self, target: _Target) -> None:
        """This target's polls, one at a time; a failing one is reported and polling goes on."""
        while not self._stopping.is_set():
            try:
                await target.controller.refresh()
                target.polls += 1
            except Exception as exc:
                log.exception("%s: refresh failed", target.name)
                self.report(target.name, "poll-failure", f"refresh failed: {type(exc).__name__}: {exc}", EventLevel.ERROR)
            try:
                await asyncio.wait_for(self._stopping.wait(), timeout=self.poll_interval_s)
            except TimeoutError:
                pass

    async def _tick(self) -> None:
        """Re-publish every target on the clock alone, so data ages and LIVE turns STALE while a poll hangs."""
        while not self._stopping.is_set():
            try:
                await asyncio.wait_for(self._stopping.wait(), timeout=self.tick_interval_s)
            except TimeoutError:
                pass
            for target in self.targets:
                try:
                    target.controller.tick()
                except Exception:
                    log.exception("%s: tick failed", target.name)

    async def _shutdown(self, tasks: list[asyncio.Task[None]]) -> None:
        """Stop polling, finish (or on a second request abandon) each rollback in flight, close every controller."""
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        busy = [t for t in self.targets if t.controller.action_in_flight is not None]
        for target in busy:
            self.report(target.name, "shutdown", f"stopping: finishing the {target.controller.action_in_flight} in flight first",
                        EventLevel.WARNING, snapshot=target.controller.snapshot)
        if busy:
            loop = asyncio.get_running_loop()
            idle = {loop.create_task(t.controller.wait_idle()) for t in busy}
            abandon = loop.create_task(self._abandon.wait())
            while idle and not abandon.done():
                done, _ = await asyncio.wait(idle | {abandon}, return_when=asyncio.FIRST_COMPLETED)
                idle -= done
            abandon.cancel()
            self.abandoned = bool(idle)
            for task in idle:
                task.cancel()
            await asyncio.wait(idle | {abandon})
        for target in self.targets:
            try:
                await target.controller.aclose(abandon_rollback=self.abandoned)
            except Exception as exc:  # noqa: BLE001 - leaving must never show a traceback
                self.report(target.name, "shutdown", f"while closing: {type(exc).__name__}: {exc}", EventLevel.ERROR)
            if target.unsubscribe is not None:
                target.unsubscribe()
            self.report(target.name, "stop", f"stopped after {target.polls} polls", snapshot=target.controller.snapshot)

    # ------------------------------------------------------------------ what a controller tells us

    def _attach(self, target: _Target) -> Callable[[], None]:
        """Subscribe to a controller: its events become lines; its snapshots give verdict changes and who rolled back."""
        controller = target.controller

        def on_event(event: Event) -> None:
            self.report(target.name, event.kind, event.message, event.level, actor=event.actor,
                        snapshot=controller.snapshot, controller_event=event)

        def on_snapshot(snapshot: Snapshot) -> None:
            self._follow_percent(target, snapshot)
            self._follow_verdict(target, snapshot)

        return controller.subscribe(on_snapshot=on_snapshot, on_event=on_event)

    def _follow_verdict(self, target: _Target, snapshot: Snapshot) -> None:
        """One line each time the target's verdict word changes (STALE with its reason, ROLLED BACK, ...), or its reason
        does in words (HOLD: 'not enough canary requests yet' → 'canary vs stable not yet shown'), not in figures."""
        now = standing(snapshot)
        shape = _FIGURES.sub("#", now.reason)
        if now.verdict is target.verdict and shape == target.reason_shape:
            return
        first = target.verdict is None
        target.verdict, target.reason_shape = now.verdict, shape
        if first and now.verdict is TargetVerdict.HOLD and snapshot.heartbeat is None:
            return  # "connecting" before the first answer says nothing yet
        reason = f": {now.reason}" if now.reason else ""
        self.report(target.name, "verdict", f"{now.verdict.value.upper()}{reason}",
                    _VERDICT_LEVEL.get(now.verdict.level, EventLevel.INFO), snapshot=snapshot)

    def _follow_percent(self, target: _Target, snapshot: Snapshot) -> None:
        """When the target comes down to 0%, name the instance whose request did it (ours, or another's)."""
        percent = canary_percent(snapshot)
        before, target.percent = target.percent, percent
        if percent != 0 or not before:
            return
        deployment = snapshot.deployment or (snapshot.heartbeat.deployment if snapshot.heartbeat else None)
        by = deployment.updated_by if deployment is not None and deployment.updated_by else "someone"
        if by == self.instance:
            message, level = f"rolled back to 0% by {by} (this instance)", EventLevel.WARNING
        elif target.controller.action_in_flight == "rollback":
            message, level = f"already rolled back by {by}: this instance's rollback changed nothing", EventLevel.INFO
        else:
            message, level = f"already rolled back by {by}: nothing sent by this instance", EventLevel.INFO
        self.report(target.name, "rolled-back", message, level, actor=by, snapshot=snapshot)

