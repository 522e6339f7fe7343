"""The fleet overview's actions: R, A, P, c on the selected target (as the single view), X on every target above 0%.

Each change goes through that target's controller, in its own worker, so a slow or hung target never
holds back another's rollback. Results land per target, as they come, in its row and in the log.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from textual import on
from textual.message import Message

from canary_tui.controller.model import ActionResult, Snapshot, Trigger
from canary_tui.ui import dashboard_feed, presenter
from canary_tui.ui.actions import source_text
from canary_tui.ui.app_base import CanaryBaseApp
from canary_tui.ui.dashboard_feed import DashboardFeed
from canary_tui.ui.screens.guard import GuardedDialog
from canary_tui.ui.widgets.fit_footer import FitFooter

if TYPE_CHECKING:
    from canary_tui.ui.screens.confirm_advance import AdvanceRequest, ConfirmAdvance


#: the footer's keys follow actions this long after they start or finish: a rollback confirmed sooner leaves them as they were
#: (each key is still checked when pressed)
KEYS_SETTLE_S = 0.25


@dataclass(eq=False)
class TargetState:
    """What the overview keeps per target: its controller, its dashboard feed (latest snapshot, error history,
    actions in flight), the row's trend and last outcome."""

    name: str
    controller: Any
    read_only: bool = False
    p95_ms: list[float] = field(default_factory=list)
    error_rate: list[float] = field(default_factory=list)
    trend_key: object = None
    note: str = ""
    polls: int = 0
    poll_errors: int = 0
    refresh_now: asyncio.Event = field(default_factory=asyncio.Event)
    feed: DashboardFeed = field(init=False)

    def __post_init__(self) -> None:
        self.feed = DashboardFeed(self.controller, target=self.name, read_only=self.read_only)

    @property
    def snapshot(self) -> Snapshot | None:
        """The target's newest snapshot."""
        return self.feed.snapshot

    @property
    def in_flight(self) -> set[str]:
        """Actions under way on this target."""
        return self.feed.in_flight

    def blocked_reason(self, read_only: bool) -> str | None:
        """Why this target cannot be changed from here (read-only, no token), or None."""
        return dashboard_feed.blocked_reason(self.controller, read_only)


class TargetActionFinished(Message):
    """An action on one target finished (result) or crashed (error text)."""

    def __init__(self, target: str, action: str, result: ActionResult | None, error: str | None = None) -> None:
        super().__init__()
        self.target = target
        self.action = action
        self.result = result
        self.error = error


class FleetActions(CanaryBaseApp):
    """The action half of the fleet app (FleetApp adds layout, polling and rendering)."""

    targets: dict[str, TargetState]
    _actions_shown_pending: bool = False  # a redraw for started or finished actions is queued
    _keys_check_pending: bool = False  # a look at the footer's keys is due
    _showing: set[asyncio.Task[None]]  # rows waiting for rollback requests to be on their way (FleetApp makes it)
    read_only: bool
    action_keys: dict[str, tuple[str, ...]]

    def current_target(self) -> TargetState | None:
        """The target on show: the drilled-down one, else the selected row (FleetApp says)."""
        raise NotImplementedError

    def render_fleet(self) -> None:
        """Redraw the overview (FleetApp does)."""
        raise NotImplementedError

    # ---- rollback: one target, or all ---------------------------------------------------

    def action_rollback(self, source: str | None = None) -> None:
        """Emergency rollback of the target on show: at once, no dialog, retried until confirmed."""
        state = self.current_target()
        if state is None:
            return
        self._start_rollback(state, f"emergency rollback ({source_text(source, self.action_keys)}, fleet overview)")
        self._show_once_sent([state])

    def action_rollback_all(self) -> None:
        """One confirmation listing every target above 0%, then all their rollbacks at once."""
        from canary_tui.ui.screens.confirm_rollback_all import ConfirmRollbackAll

        chosen = [state for state in self.targets.values() if self._above_zero(state) and not state.blocked_reason(self.read_only)]
        if not chosen:
            self.notify("No target above 0% that can be rolled back from here.", severity="warning")
            return
        lines = [self._rollback_line(state) for state in chosen]
        keys = "/".join(self.action_keys.get("rollback_all", ("X",)))

        def confirmed(yes: bool | None) -> None:
            if not yes:
                self.notify("Rollback of all targets cancelled: nothing sent.", timeout=4)
                return
            for state in chosen:
                self._start_rollback(state, f"rollback all ({keys}, fleet overview: {len(chosen)} targets)")
            self._show_once_sent(chosen)

        self.push_screen(ConfirmRollbackAll(lines), confirmed)

    @staticmethod
    def _above_zero(state: TargetState) -> bool:
        """Whether rollback-all takes this target: canary above 0%, or not known (never seen)."""
        snapshot = state.snapshot
        if snapshot is None:
            return True
        deployment = snapshot.deployment or (snapshot.heartbeat.deployment if snapshot.heartbeat else None)
        return deployment is None or deployment.canary_percent > 0

    @staticmethod
    def _rollback_line(state: TargetState) -> str:
        """'production/eu-west-1: 50% (v1 → v2)' for the confirmation."""
        snapshot = state.snapshot
        deployment = None if snapshot is None else (snapshot.deployment or (snapshot.heartbeat.deployment if snapshot.heartbeat else None))
        if deployment is None:
            return f"{state.name}: percent unknown"
        return f"{state.name}: {deployment.canary_percent}% ({deployment.stable_version} → {deployment.canary_version})"

    def _start_rollback(self, state: TargetState, note: str) -> None:
        """Start one target's rollback now (the controller retries until the read-back confirms); its outcome follows.

        Its row says so once the request is on its way (`_show_once_sent`): drawn sooner, the rows would run on the
        event loop ahead of the request's write.
        """
        outcome = state.controller.start_rollback(Trigger.KEY, note=note)
        state.in_flight.add("rollback")
        state.note = "↺ rolling back…"
        self._follow(state, "rollback", lambda: outcome, show=False)

    def _show_once_sent(self, states: list[TargetState]) -> None:
        """Redraw the rows once every one of these targets' rollback requests is on its way (or its rollback is over)."""

        async def shown() -> None:
            await asyncio.gather(*(state.controller.until_rollback_sent() for state in states))
            self._show_actions_soon()

        task = asyncio.get_running_loop().create_task(shown())
        self._showing.add(task)  # kept until done: the loop holds tasks only weakly
        task.add_done_callback(self._showing.discard)

    # ---- A, P, c on the target on show --------------------------------------------------

    def action_advance(self) -> None:
        """Confirm the step the operator sees on this target, with its evidence, then advance exactly that step."""
        from canary_tui.ui.screens.confirm_advance import ConfirmAdvance

        state = self.current_target()
        view = presenter.advance_view(state.snapshot) if state is not None and state.snapshot is not None else None
        if state is None or view is None:
            self.notify("Nothing to advance to.", severity="warning")
            return
        self.unfreeze_to_act(self.screen_stack[-1] if self.screen_stack else None)
        key = self.key_display(self.action_keys.get("advance", ("A",))[0])
        screen = ConfirmAdvance(environment=state.name, view=view)
        screen.fleet_target = state.name  # which target's snapshots the dialog follows

        def confirmed(request: AdvanceRequest | None) -> None:
            if request is None:
                self.notify("Advance cancelled.", timeout=3)
                return
            self._advance_as_confirmed(state, request, key)

        self.push_screen(screen, confirmed)

    def _advance_as_confirmed(self, state: TargetState, request: AdvanceRequest, key: str, *, override_pipeline: bool = False) -> None:
        """Advance exactly the confirmed step on `state`; a promotion-pipeline refusal then offers its own typed override."""
        self._run(state, "advance", lambda: state.controller.advance(
            Trigger.KEY, note=f"advance {request.from_percent}% → {request.to_percent}% ({key}, fleet overview)", override=request.override,
            from_percent=request.from_percent, to_percent=request.to_percent, override_pipeline=override_pipeline,
        ), then=None if override_pipeline else lambda result: self._offer_pipeline_override(state, result, request, key))

    def _offer_pipeline_override(self, state: TargetState, result: ActionResult | None, request: AdvanceRequest, key: str) -> None:
        """The pipeline held the advance: say why, and go past it only when the target's name is typed."""
        from canary_tui.ui.screens.confirm_pipeline import ConfirmPipelineOverride

        if result is None or result.pipeline_refusal is None or state.snapshot is None:
            return
        screen = ConfirmPipelineOverride(target=state.name, reason=result.pipeline_refusal, from_percent=request.from_percent,
                                         to_percent=request.to_percent, seen=presenter.seen_state(state.snapshot))
        screen.fleet_target = state.name  # which target's snapshots the dialog follows

        def decided(go: bool | None) -> None:
            if go:
                self._advance_as_confirmed(state, request, key, override_pipeline=True)
            else:
                self.notify(f"{state.name}: advance cancelled, the promotion pipeline holds it.", timeout=3)

        self.push_screen(screen, decided)

    def on_confirm_advance_checkpoint_wanted(self, message: ConfirmAdvance.CheckpointWanted) -> None:
        """The advance dialog's checklist misses a checkpoint: create it on that dialog's target."""
        from canary_tui.ui.screens.confirm_advance import ConfirmAdvance

        dialog = next((s for s in reversed(self.screen_stack) if isinstance(s, ConfirmAdvance)), None)
        state = self.targets.get(dialog.fleet_target or "") if dialog is not None else None
        if state is None:
            return
        note = f"pre-{message.canary_version} rollback checkpoint (advance dialog)"

        def told(result: ActionResult | None) -> None:
            ok = result is not None and result.ok
            if dialog is not None and dialog in self.screen_stack:
                dialog.checkpoint_done(ok, "" if ok else (result.message if result is not None else "checkpoint failed"))

        self._run(state, "checkpoint", lambda: state.controller.checkpoint(note, Trigger.KEY), then=told)

    def action_toggle_pause(self, face: str | None = None) -> None:
        """Pause or resume the target on show as seen: refused (not sent) if its percent or hold changed meanwhile."""
        state = self.current_target()
        seen = presenter.seen_state(state.snapshot) if state is not None and state.snapshot is not None else None
        if state is None or seen is None or seen.percent is None:
            self.notify("No heartbeat yet: the ramp's state is unknown.", severity="warning")
            return
        call = state.controller.resume if seen.paused else state.controller.pause
        self._run(state, "pause", lambda: call(Trigger.KEY, expected_percent=seen.percent, seen_paused=seen.paused))

    def action_checkpoint(self) -> None:
        """Ask for a note, then create a rollback checkpoint on the target on show."""
        from canary_tui.ui.screens.checkpoint_note import CheckpointNote

        state = self.current_target()
        if state is None:
            return

        def noted(note: str | None) -> None:
            if note:
                self._run(state, "checkpoint", lambda: state.controller.checkpoint(note, Trigger.KEY))

        screen = CheckpointNote(seen=presenter.seen_state(state.snapshot) if state.snapshot is not None else None)
        screen.fleet_target = state.name
        self.push_screen(screen, noted)

    def follow_dialogs(self, state: TargetState) -> None:
        """Hand the confirm dialogs opened on this target its newest state (they turn invalid once it changes)."""
        if state.snapshot is None:
            return
        dialogs = [s for s in self.screen_stack if isinstance(s, GuardedDialog) and s.fleet_target == state.name]
        if dialogs:
            seen, advance = presenter.seen_state(state.snapshot), presenter.advance_view(state.snapshot)
            for dialog in dialogs:
                dialog.follow(seen, advance)

    # ---- workers and outcomes -----------------------------------------------------------

    def _run(self, state: TargetState, name: str, call: Callable[[], Awaitable[Any]], then: Callable[[ActionResult | None], None] | None = None) -> None:
        """Start the action on `state` in its own worker right away."""
        state.in_flight.add(name)
        self._follow(state, name, call, then)

    def _follow(self, state: TargetState, name: str, call: Callable[[], Awaitable[Any]], then: Callable[[ActionResult | None], None] | None = None,
                *, show: bool = True) -> None:
        """The worker that awaits the action and reports it as a message; `show`: the rows say it has started at once."""
        self.run_worker(self._worker(state.name, name, call, then), group=f"action-{state.name}-{name}", exit_on_error=False)
        if show:
            self._show_actions_soon()

    def _show_actions_soon(self) -> None:
        """The rows' notes once the requests have left: one redraw for a batch (rollback-all starts twelve)."""
        if not self._actions_shown_pending:
            self._actions_shown_pending = True
            asyncio.get_running_loop().call_soon(self._show_actions)

    def _show_actions(self) -> None:
        """Redraw the rows for the actions started or finished since; the footer's keys follow once they settle."""
        self._actions_shown_pending = False
        if not self._keys_check_pending:
            self._keys_check_pending = True
            self.set_timer(KEYS_SETTLE_S, self._show_keys)
        self.render_fleet()

    def _show_keys(self) -> None:
        """Refresh the footer's keys if one on show is dimmed or lit otherwise than it is now."""
        self._keys_check_pending = False
        if not self.screen_stack:
            return
        if any(footer.stale_keys() for footer in self.screen.query(FitFooter)):
            self.refresh_bindings()

    async def _worker(self, target: str, name: str, call: Callable[[], Awaitable[Any]], then: Callable[[ActionResult | None], None] | None) -> None:
        """Await the controller and post the outcome; never raises into the app."""
        try:
            result = await call()
        except asyncio.CancelledError:
            self.post_message(TargetActionFinished(target, name, None, "cancelled"))
            raise
        except Exception as exc:  # noqa: BLE001 - shown to the operator, never a traceback
            self.post_message(TargetActionFinished(target, name, None, f"{type(exc).__name__}: {exc}"))
        else:
            if then is not None:
                then(result if isinstance(result, ActionResult) else None)
            self.post_message(TargetActionFinished(target, name, result if isinstance(result, ActionResult) else None))

    @on(TargetActionFinished)
    def _target_action_finished(self, message: TargetActionFinished) -> None:
        """The outcome in the target's row and as a toast; its keys come back."""
        state = self.targets.get(message.target)
        if state is None:
            return
        state.in_flight.discard(message.action)
        result = message.result
        if result is None:
            state.note = f"✖ {message.action} failed: {message.error or 'no result'}"
            self.notify(f"{state.name}: {message.action} failed: {message.error or 'no result'}", severity="error", timeout=10)
        elif result.ok:
            state.note = f"✔ {result.message or message.action + ' done'}"  # row, summary and log say it: no toast over the table
        else:
            state.note = f"✖ {result.message or message.action + ' refused'}"
            self.notify(f"{state.name}: {result.message or message.action + ' refused'}", severity="warning" if result.conflict else "error", timeout=10)
        self.log_outcome(state, message.action, state.note, "info" if result is not None and result.ok else "warning")
        state.refresh_now.set()
        self._show_actions_soon()

    def log_outcome(self, state: TargetState, kind: str, message: str, level: str) -> None:
        """An outcome in the fleet log, stamped on the target's clock (FleetApp draws it)."""
        raise NotImplementedError
