"""Go past the promotion pipeline: the guard refused an advance; typing the target's name overrides it (audited)."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.markup import escape
from textual.widgets import Button, Input, Label

from canary_tui.ui.screens.guard import GuardedDialog
from canary_tui.ui.widgets.view_models import SeenState


class ConfirmPipelineOverride(GuardedDialog[bool]):
    """The pipeline's reason and a field for the target's name; a change to the deployment meanwhile makes it invalid."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="pipeline.cancel")]

    DEFAULT_CSS = """
    ConfirmPipelineOverride { align: center middle; }
    ConfirmPipelineOverride > #dialog {
        width: 72; max-width: 95%; height: auto; border: thick $warning; background: $surface; padding: 0 1;
    }
    ConfirmPipelineOverride #reason { color: $status-warning; width: 1fr; }
    ConfirmPipelineOverride #why { color: $status-critical; width: 1fr; }
    ConfirmPipelineOverride #buttons { height: 3; align-horizontal: right; }
    ConfirmPipelineOverride Button { margin-left: 1; }
    """

    def __init__(self, *, target: str, reason: str, from_percent: int, to_percent: int, seen: SeenState | None) -> None:
        super().__init__(seen)
        self.target = target
        self.reason = reason
        self.from_percent = from_percent
        self.to_percent = to_percent

    def compose(self) -> ComposeResult:
        """The refusal, what to type, the field, the buttons."""
        with Vertical(id="dialog"):
            yield Label(f"The promotion pipeline holds {escape(self.target)} at {self.from_percent}% → {self.to_percent}%:", id="title")
            yield Label(escape(self.reason), id="reason")
            yield Label(f"Type {escape(self.target)} to advance anyway (audited as an override):", id="prompt")
            yield Input(placeholder="the target's name", id="name")
            yield Label("", id="why")
            with Horizontal(id="buttons"):
                yield Button("Cancel", id="cancel", variant="primary")
                yield Button(f"Override, advance to {self.to_percent}%", id="override", variant="warning")

    def on_mount(self) -> None:
        """Type straight away."""
        self.query_one("#name", Input).focus()

    def went_stale(self, reason: str) -> None:
        """Say why; nothing is sent from this dialog any more."""
        super().went_stale(reason)
        self.query_one("#override", Button).disabled = True
        self.query_one("#why", Label).update(f"⚠ {escape(reason)}: nothing will be sent. Escape closes.")

    def _finish(self) -> None:
        """Dismiss with True when the name is typed exactly; else say why and stay."""
        why = self.query_one("#why", Label)
        if self.stale_reason is not None:
            why.update(f"⚠ {escape(self.stale_reason)}: nothing will be sent. Escape closes.")
            return
        if self.query_one("#name", Input).value.strip() != self.target:
            why.update(f"Type {escape(self.target)} exactly to override, or Escape to cancel.")
            return
        self.dismiss(True)

    @on(Input.Submitted, "#name")
    def _submitted(self) -> None:
        self._finish()

    @on(Button.Pressed, "#override")
    def _override(self) -> None:
        self._finish()

    @on(Button.Pressed, "#cancel")
    def _cancel_pressed(self) -> None:
        self.dismiss(False)

    def action_cancel(self) -> None:
        """Escape cancels."""
        self.dismiss(False)
