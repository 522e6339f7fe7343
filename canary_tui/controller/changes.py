"""The deployment-changing actions the façade offers: advance, set a percent, pause/resume, checkpoint, roll back.

Each checks what it can before anything is sent (read-only, a rollback in progress,
the operator's view out of date, the advance rule) and hands the change to the
`ActionRunner`, which sends it as a compare-and-set, reads it back and audits it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from canary_tui.controller.actions import ActionRunner
from canary_tui.controller.audit import CheckpointBook
from canary_tui.controller.follow import ServerView
from canary_tui.controller.judging import Judge
from canary_tui.controller.model import ActionResult, Event, EventLevel, Trigger
from canary_tui.controller.ports import ControllerClient
from canary_tui.core.advance_rule import override_reasons
from canary_tui.core.plans import RampPlan
from canary_tui.core.releases import metrics_at_trigger
from canary_tui.core.verdicts import GateResult, GateStatus
from canary_tui.mission.errors import MissionError

#: the promotion pipeline hook: (canary version, from %, to %) -> why raising the canary is refused, or None
AdvanceGuard = Callable[[str | None, int, int], Awaitable[str | None]]


class ChangesHost(Protocol):
    """What the actions need from the controller they work for."""

    @property
    def blocked_reason(self) -> str | None: ...

    def emit(self, kind: str, message: str, level: EventLevel = EventLevel.INFO) -> Event: ...


class Changes:
    """Every operator or automatic change to the deployment starts here."""

    def __init__(self, host: ChangesHost, *, view: ServerView, judge: Judge, runner: ActionRunner, plan: RampPlan,
                 client: ControllerClient, actor: str, checkpoints: CheckpointBook, regate: Callable[[], None],
                 advance_guard: AdvanceGuard | None = None) -> None:
        self.host = host
        self.view = view
        self.judge = judge
        self.runner = runner
        self.plan = plan
        self.client = client
        self.actor = actor
        self.checkpoints = checkpoints
        self._regate = regate  # re-evaluate the gates (a new checkpoint turns a pre-flight gate green)
        self.advance_guard = advance_guard  # the promotion pipeline (core/pipeline.py), given by the fleet or the CLI

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

        `authorized_by` (automatic advances only) is the judgment that authorized it on the latest observation —
        the evidence decision, the gates or the seed's gates passed throughout; it stands in for the gate check and
        is audited as that, not as an override. Stale data or a paused ramp still refuse it.

        A confirmed advance passes the `from_percent` and `to_percent` the operator saw: it is sent as a
        compare-and-set on exactly those, and refused when the server has moved since. The promotion
        pipeline's guard is asked last; `override_pipeline` goes past it, audited as an override.
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
        if authorized_by is not None and (self.view.is_stale() or self.view.paused()):
            return runner.refused("advance", "data stale" if self.view.is_stale() else "the ramp is paused", current, target)
        if not override and authorized_by is None:
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
        elif authorized_by is not None:
            extra.update(authorized_by=authorized_by)
        held = self.view.paused()  # decided on this hold flag: a pause from elsewhere since then refuses the advance
        return await runner.run_exclusive(
            "advance", lambda: runner.mutate("advance", trigger, note, percent=target, expected=current, expected_paused=held, **extra), target
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
            return self.runner.refused(name, f"promotion pipeline: {reason}", current, target, pipeline_refusal=reason), {}
        self.host.emit(name, f"{self.actor} overrides the promotion pipeline: {reason}", EventLevel.WARNING)
        return None, {"override": True, "pipeline_override": reason}

    async def set_percent(
        self, percent: int, trigger: Trigger, note: str | None = None, *, expected_percent: int | None = None, override_pipeline: bool = False,
    ) -> ActionResult:
        """Set any percent 0..100 (compare-and-set against `expected_percent`, else the observed one); 0 is a rollback."""
        runner = self.runner
        if not isinstance(percent, int) or isinstance(percent, bool) or not 0 <= percent <= 100:
            return runner.refused("set-percent", f"percent must be an integer 0..100, got {percent!r}")
        if percent == 0:
            return await self.start_rollback(trigger, note)
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

    async def set_paused(self, paused: bool, trigger: Trigger, note: str | None, expected_percent: int | None, seen_paused: bool | None) -> ActionResult:
        """Pause or resume (compare-and-set on the percent the operator saw; nothing sent if the hold flag moved)."""
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
        if self.host.blocked_reason:
            return runner.refused("checkpoint", self.host.blocked_reason)
        current = self.view.percent()
        version = self.view.seen.canary_version if self.view.seen is not None else None
        runner.audit(action="checkpoint", trigger=trigger, outcome="attempt", note=note, frm=current, to=current, canary_version=version)
        try:
            ckpt = await self.client.checkpoint(note)
        except MissionError as exc:
            runner.audit(action="checkpoint", trigger=trigger, outcome="failed", note=note, frm=current, to=current, server=str(exc), canary_version=version)
            self.host.emit("checkpoint", f"checkpoint failed: {exc}", EventLevel.ERROR)
            return runner.finish(ActionResult("checkpoint", False, f"checkpoint failed: {exc}", current, current))
        server = f"checkpoint_id={ckpt.checkpoint_id}"
        runner.audit(action="checkpoint", trigger=trigger, outcome="ok", note=note, frm=current, to=current, server=server,
                     checkpoint_id=ckpt.checkpoint_id, canary_version=version)
        if version is not None:
            self.checkpoints.remember(version, ckpt.checkpoint_id)
        self._regate()
        self.host.emit("checkpoint", f"{self.actor} created checkpoint {ckpt.checkpoint_id}: {note}")
        return runner.finish(ActionResult("checkpoint", True, f"checkpoint {ckpt.checkpoint_id} created", current, current))

    def start_rollback(self, trigger: Trigger, note: str | None = None) -> Awaitable[ActionResult]:
        """A rollback to 0%, already started when this returns: pre-empts any action in flight, idempotent."""
        if self.host.blocked_reason:
            return _ready(self.runner.refused("rollback", self.host.blocked_reason))
        at_trigger = metrics_at_trigger(self.judge.verdicts, self.view.last, self.view.window.rates(), self.judge.gates)
        return self.runner.rollback_result(self.runner.ensure_rollback(trigger, note, at_trigger))

    def _refuse_mutation(self, name: str) -> ActionResult | None:
        """The common refusals: read-only or no token, a rollback in progress, another action in flight."""
        runner = self.runner
        if self.host.blocked_reason:
            return runner.refused(name, self.host.blocked_reason)
        if runner.rollback_running():
            return runner.refused(name, "a rollback is in progress")
        if runner.action is not None:
            return runner.refused(name, f"{runner.action.name} already in flight")
        return None


async def _ready(result: ActionResult) -> ActionResult:
    """An already known result as an awaitable."""
    return result
