"""Which controller happenings are notification events: the one rule, from the event journal and the snapshots.

Actions come from the journal (an auto-rollback fired, a rollback confirmed or still unconfirmed);
states that last come from snapshots (a stage advanced or baked, a gate failing or data stale for too long).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from canary_tui.config_model import NotifySettings
from canary_tui.controller.model import ConnectionState, Event, RampState, Snapshot
from canary_tui.core.clock import Clock
from canary_tui.core.notices import Notice
from canary_tui.core.stage_clock import format_duration
from canary_tui.core.verdicts import GateStatus

#: journal texts written by controller/observing.py and controller/actions.py (tests/notify pins them to the controller)
_FIRED = "auto-rollback triggered: "
_CONFIRMED = "rollback confirmed: "
_ROLLING_BACK = re.compile(r" rolling back (?P<frm>\S+)% → 0% \((?P<trigger>[^)]*)\): (?P<note>.*)$")
_NOT_CONFIRMED = re.compile(r"^rollback attempt (?P<attempt>\d+) not confirmed \((?P<error>.*)\); retrying")
_CANNOT = "rollback cannot succeed: "
_ROLLBACK_KINDS = ("rollback", "auto-rollback")
_DEGRADED = (ConnectionState.STALE, ConnectionState.UNREACHABLE)
#: a stage whose bake is met in one of these states has not completed (it has not held)
_NOT_HOLDING = (RampState.GATE_FAILING, RampState.ROLLING_BACK, RampState.PAUSED)

NoticeSink = Callable[[Notice], None]


class NotifyEvents:
    """Turns one controller's events and snapshots into notices, each at most once per episode."""

    def __init__(self, target: str, environment: str, actor: str, settings: NotifySettings, clock: Clock, sink: NoticeSink) -> None:
        self.target = target
        self.environment = environment
        self.actor = actor
        self.settings = settings
        self.clock = clock
        self.sink = sink
        self._last: Snapshot | None = None
        self._percent: int | None = None
        self._baked: set[tuple[str, int]] = set()  # (canary version, percent) whose bake was met
        self._gate_failing_since: float | None = None
        self._gate_failing_sent = False
        self._degraded_since: float | None = None
        self._degraded_sent = False
        self._rollback: dict[str, str] = {}  # the rollback in progress: from, trigger, note
        self._unconfirmed_sent = False

    # ---------------------------------------------------------------- journal

    def on_event(self, event: Event) -> None:
        """An event-log line: auto-rollback fired, rollback confirmed, rollback unconfirmed."""
        if event.kind not in _ROLLBACK_KINDS:
            return
        text = event.message
        if event.kind == "auto-rollback" and text.startswith(_FIRED):
            self._send("auto-rollback", f"fired on {text.removeprefix(_FIRED)}", event.actor)
            return
        started = _ROLLING_BACK.search(text)
        if started:
            self._rollback = {**started.groupdict(), "stage": stage_words(self._last)}
            self._unconfirmed_sent = False
            return
        what = self._rollback_words()
        if text.startswith(_CONFIRMED):
            self._send("rollback-confirmed", f"{what} confirmed: {text.removeprefix(_CONFIRMED)}", event.actor, self._rollback.get("stage"))
            self._rollback = {}
            return
        failed = _NOT_CONFIRMED.match(text)
        if failed and int(failed["attempt"]) >= self.settings.unconfirmed_after_attempts and not self._unconfirmed_sent:
            self._unconfirmed_sent = True
            self._send("rollback-unconfirmed", f"{what} not confirmed after {failed['attempt']} attempts ({failed['error']}); still retrying",
                       event.actor, self._rollback.get("stage"))
        elif text.startswith(_CANNOT) and not self._unconfirmed_sent:
            self._unconfirmed_sent = True
            self._send("rollback-unconfirmed", f"{what} cannot succeed: {text.removeprefix(_CANNOT)}", event.actor, self._rollback.get("stage"))

    def _rollback_words(self) -> str:
        """'rollback 50% → 0% (auto: auto-rollback: …)' for the rollback in progress."""
        r = self._rollback
        if not r:
            return "rollback to 0%"
        return f"rollback {r['frm']}% → 0% ({r['trigger']}: {r['note']})"

    # ---------------------------------------------------------------- snapshots

    def on_snapshot(self, snapshot: Snapshot) -> None:
        """A new snapshot: stage advanced or completed, release completed, gate failing or data stale for too long."""
        first = self._last is None
        self._last = snapshot
        now_s = self.clock.now()
        self._watch_gates(snapshot, now_s)
        self._watch_connection(snapshot, now_s)
        heartbeat = snapshot.heartbeat
        if heartbeat is None:
            return
        dep = heartbeat.deployment
        before, self._percent = self._percent, dep.canary_percent
        if before is not None and 0 < dep.canary_percent and before < dep.canary_percent:
            self._send("stage-advanced", f"{before}% → {dep.canary_percent}%", dep.updated_by or "unknown")
        stage = snapshot.stage
        baked = stage is not None and stage.bake_s is not None and stage.bake_remaining_s is not None and stage.bake_remaining_s <= 0
        baked = baked and snapshot.ramp not in _NOT_HOLDING and not any(g.status is GateStatus.FAIL for g in snapshot.gates)
        key = (dep.canary_version, dep.canary_percent)
        if not baked or dep.canary_percent == 0 or key in self._baked:
            return
        self._baked.add(key)
        if first or before is None:
            return  # baked before we started watching: not news
        assert stage is not None and stage.bake_s is not None
        self._send("stage-completed", f"bake of {format_duration(stage.bake_s)} met at {dep.canary_percent}%", self.actor)
        if dep.canary_percent >= 100:
            self._send("release-completed", f"{dep.canary_version} serves 100% with its bake met (stable was {dep.stable_version})", self.actor)

    def _watch_gates(self, snapshot: Snapshot, now_s: float) -> None:
        if snapshot.ramp is not RampState.GATE_FAILING:
            self._gate_failing_since, self._gate_failing_sent = None, False
            return
        if self._gate_failing_since is None:
            self._gate_failing_since = now_s
        held_s = now_s - self._gate_failing_since
        if self._gate_failing_sent or held_s < self.settings.gate_failing_after_s:
            return
        self._gate_failing_sent = True
        failing = [g for g in snapshot.gates if g.status is GateStatus.FAIL]
        figures = "; ".join(f"{g.name}: {g.reason}" for g in failing) or (snapshot.auto_rollback.reason or "rollback trigger tripped")
        self._send("gate-failing", f"failing for {format_duration(held_s)}: {figures}", self.actor)

    def _watch_connection(self, snapshot: Snapshot, now_s: float) -> None:
        if snapshot.connection not in _DEGRADED:
            self._degraded_since, self._degraded_sent = None, False
            return
        if self._degraded_since is None:
            self._degraded_since = now_s
        held_s = now_s - self._degraded_since
        if self._degraded_sent or held_s < self.settings.stale_after_s:
            return
        self._degraded_sent = True
        age = f"; data age {format_duration(snapshot.data_age_s)}" if snapshot.data_age_s is not None else ""
        error = f": {snapshot.connection_error}" if snapshot.connection_error else ""
        self._send("stale", f"{snapshot.connection.value.upper()} for {format_duration(held_s)}{error}{age}", self.actor)

    # ---------------------------------------------------------------- notices

    def _send(self, event: str, reason: str, actor: str, stage: str | None = None) -> None:
        """Hand one notice to the sink, with the release as last seen and the stage (a rollback's: where it started)."""
        snapshot = self._last
        heartbeat = snapshot.heartbeat if snapshot is not None else None
        release = heartbeat.deployment.canary_version if heartbeat is not None else ""
        stage = stage_words(snapshot) if stage is None else stage
        self.sink(Notice(event, self.target, self.environment, release, stage, reason, actor, self.clock.now()))


def stage_words(snapshot: Snapshot | None) -> str:
    """'50% (stage 2 of 3)', '30% (off plan)', or '' when nothing was seen."""
    stage = snapshot.stage if snapshot is not None else None
    if stage is None:
        return ""
    if stage.index is None:
        return f"{stage.percent}% (off plan)"
    return f"{stage.percent}% (stage {stage.index + 1} of {stage.count})"
