"""The dashboard's actions: each key's confirm step, then the controller call in a worker, its outcome as a toast.

Every change goes through the controller with what the operator saw (the step, the percent, the hold flag),
so a change made meanwhile by someone else is refused instead of undone.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from textual import on
from textual.message import Message

from canary_tui.controller.model import ActionResult, Snapshot, Trigger
from canary_tui.ui import presenter
from canary_tui.ui.actions import source_text
from canary_tui.ui.app_base import CanaryBaseApp
from canary_tui.ui.deployment_presenter import environment_name

if TYPE_CHECKING:
    from canary_tui.ui.screens.confirm_advance import AdvanceRequest, ConfirmAdvance


class ActionFinished(Message):
    """An action worker finished (result) or crashed (error text)."""

    def __init__(self, action: str, result: ActionResult | None, error: str | None = None) -> None:
        super().__init__()
        self.action = action
        self.result = result
        self.error = error


class DashboardActions(CanaryBaseApp):
    """The action half of the dashboard app (CanaryApp adds layout, polling and rendering)."""

    controller: Any
    snapshot: Snapshot | None
    in_flight: set[str]
    action_keys: Mapping[str, tuple[str, ...]]
    environment_label: str | None
    _then: dict[str, Callable[[ActionResult | None], None]]
    _refresh_now: asyncio.Event
    dashboard: Any  # the dashboard screen (CanaryApp)

    def _panes_ready(self) -> bool:
        """Whether the dashboard screen is mounted (CanaryApp says)."""
        raise NotImplementedError

    def _render_header(self, snapshot: Snapshot) -> None:
        """Draw the header (CanaryApp does)."""
        raise NotImplementedError

    def _labelled(self, snapshot: Snapshot) -> Snapshot:
        """The snapshot with the environment label the command chose (CanaryApp does)."""
        raise NotImplementedError

    def action_rollback(self, source: str | None = None) -> None:
        """Emergency rollback: at once, no dialog, whatever else is going on; the note names the key (or the palette)."""
        note = f"emergency rollback ({source_text(source, self.action_keys)})"
        outcome = self.controller.start_rollback(Trigger.KEY, note=note)  # the request leaves on the loop's next turn
        self.in_flight.add("rollback")  # keys are refused at once (check_action reads it)
        # the worker that reports the outcome waits until that turn is over; the badge and the dimmed keys come
        # with the snapshot the controller publishes once the request is on its way
        asyncio.get_running_loop().call_soon(lambda: self._follow_action("rollback", lambda: outcome, show_now=False))

    def action_advance(self) -> None:
        """Confirm the step the operator sees, with its evidence, then advance exactly that step (compare-and-set)."""
        from canary_tui.ui.screens.confirm_advance import ConfirmAdvance  # dialogs load when first opened, not at start-up

        view = presenter.advance_view(self.snapshot) if self.snapshot is not None else None
        if view is None or self.snapshot is None:
            self.notify("Nothing to advance to.", severity="warning")
            return
        self.unfreeze_to_act(self.dashboard)
        key = self.key_display(self.action_keys.get("advance", ("A",))[0])
        screen = ConfirmAdvance(environment=environment_name(self._labelled(self.snapshot)), view=view)  # as the header names it

        def confirmed(request: AdvanceRequest | None) -> None:
            if request is None:
                self.notify("Advance cancelled.", timeout=3)
                return
            self._advance_as_confirmed(request, key)

        self.push_screen(screen, confirmed)

    def _advance_as_confirmed(self, request: AdvanceRequest, key: str, *, override_pipeline: bool = False) -> None:
        """Advance exactly the confirmed step; a promotion-pipeline refusal then offers its own typed override."""
        # the controller adds "(override)" to the note and the gates to the audit record
        self._run_action("advance", lambda: self.controller.advance(
            Trigger.KEY, note=f"advance {request.from_percent}% → {request.to_percent}% ({key})", override=request.override,
            from_percent=request.from_percent, to_percent=request.to_percent, override_pipeline=override_pipeline,
        ), then=None if override_pipeline else lambda result: self._offer_pipeline_override(result, request, key))

    def _offer_pipeline_override(self, result: ActionResult | None, request: AdvanceRequest, key: str) -> None:
        """The pipeline held the advance: say why, and go past it only when the target's name is typed."""
        from canary_tui.ui.screens.confirm_pipeline import ConfirmPipelineOverride

        if result is None or result.pipeline_refusal is None or self.snapshot is None:
            return
        target = self.environment_label or environment_name(self.snapshot)
        screen = ConfirmPipelineOverride(target=target, reason=result.pipeline_refusal, from_percent=request.from_percent,
                                         to_percent=request.to_percent, seen=presenter.seen_state(self.snapshot))

        def decided(go: bool | None) -> None:
            if go:
                self._advance_as_confirmed(request, key, override_pipeline=True)
            else:
                self.notify("Advance cancelled: the promotion pipeline holds it.", timeout=3)

        self.push_screen(screen, decided)

    def on_confirm_advance_checkpoint_wanted(self, message: ConfirmAdvance.CheckpointWanted) -> None:
        """The pre-flight checklist misses a rollback checkpoint: create it; the dialog's gates follow the next snapshot."""
        note = f"pre-{message.canary_version} rollback checkpoint (advance dialog)"
        self._run_action("checkpoint", lambda: self.controller.checkpoint(note, Trigger.KEY), then=self._checkpoint_told)

    def _checkpoint_told(self, result: ActionResult | None) -> None:
        """Tell the open advance dialog how its checkpoint went."""
        from canary_tui.ui.screens.confirm_advance import ConfirmAdvance

        for screen in self.screen_stack:
            if isinstance(screen, ConfirmAdvance):
                ok = result is not None and result.ok
                screen.checkpoint_done(ok, "" if ok else (result.message if result is not None else "checkpoint failed"))

    def action_toggle_pause(self, face: str | None = None) -> None:
        """Pause or resume as the operator saw it: refused (not sent) if the percent or the hold changed meanwhile."""
        seen = presenter.seen_state(self.snapshot) if self.snapshot is not None else None
        if seen is None or seen.percent is None:
            self.notify("No heartbeat yet: the ramp's state is unknown.", severity="warning")
            return
        call = self.controller.resume if seen.paused else self.controller.pause
        self._run_action("pause", lambda: call(Trigger.KEY, expected_percent=seen.percent, seen_paused=seen.paused))

    def action_checkpoint(self) -> None:
        """Ask for a note, then create a rollback checkpoint (not if the canary version changes meanwhile)."""
        from canary_tui.ui.screens.checkpoint_note import CheckpointNote

        def noted(note: str | None) -> None:
            if note:
                self._run_action("checkpoint", lambda: self.controller.checkpoint(note, Trigger.KEY))

        self.push_screen(CheckpointNote(seen=presenter.seen_state(self.snapshot) if self.snapshot is not None else None), noted)

    def _run_action(self, name: str, call: Callable[[], Any], then: Callable[[ActionResult | None], None] | None = None) -> None:
        """Start the action in its own worker right away; the badge and dimmed keys follow; the result comes back as a message.

        The redraws share the event loop with the request, so they are queued behind the worker's first step.
        Keys are refused at once anyway (check_action reads in_flight).
        """
        self.in_flight.add(name)
        self._follow_action(name, call, then)

    def _follow_action(self, name: str, call: Callable[[], Any], then: Callable[[ActionResult | None], None] | None = None,
                       *, show_now: bool = True) -> None:
        """The worker that awaits the action and reports it; the in-flight badge and dimmed keys once its first step ran.

        The worker's task is scheduled first, so the callback queued after it runs once the request has been
        started (ordering on the loop, no delay). `show_now=False` leaves them to the controller's next snapshot.
        """
        if then is not None:
            self._then[name] = then
        self.run_worker(self._action_worker(name, call), group=f"action-{name}", name=f"action-{name}", exit_on_error=False)
        if show_now:
            asyncio.get_running_loop().call_soon(self._show_in_flight)

    def _show_in_flight(self) -> None:
        """The in-flight badge and dimmed keys (not once the dashboard is gone)."""
        if self._panes_ready():
            self.refresh_bindings()
            if self.snapshot is not None:
                self._render_header(self.snapshot)

    async def _action_worker(self, name: str, call: Callable[[], Any]) -> None:
        """Await the controller and post the outcome; never raises into the app."""
        try:
            result = await call()
        except asyncio.CancelledError:
            self.post_message(ActionFinished(name, None, "cancelled"))
            raise
        except Exception as exc:  # noqa: BLE001 - shown to the operator, never a traceback
            self.post_message(ActionFinished(name, None, f"{type(exc).__name__}: {exc}"))
        else:
            self.post_message(ActionFinished(name, result if isinstance(result, ActionResult) else None))

    @on(ActionFinished)
    def _action_finished(self, message: ActionFinished) -> None:
        """Tell the operator how it went and make the keys available again."""
        self.in_flight.discard(message.action)
        result = message.result
        then = self._then.pop(message.action, None)
        if then is not None:
            then(result)
        if result is None:
            self.notify(f"{message.action} failed: {message.error or 'no result'}", severity="error", timeout=10)
        elif result.ok:
            self.notify(result.message or f"{message.action} done", timeout=5)
        else:
            self.notify(result.message or f"{message.action} refused", severity="warning" if result.conflict else "error", timeout=10)
        self.refresh_bindings()
        if self.snapshot is not None and self._panes_ready():
            self._render_header(self.snapshot)
        self._refresh_now.set()
