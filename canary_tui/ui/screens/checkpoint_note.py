"""Ask for a checkpoint note before creating a rollback checkpoint (for the canary version on show when it opened)."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label

from canary_tui.ui.screens.guard import GuardedDialog
from canary_tui.ui.widgets.view_models import SeenState


class CheckpointNote(GuardedDialog[str | None]):
    """A one-line note (Enter creates, Escape cancels); a new canary version meanwhile makes it invalid."""

    WATCHED = ("canary_version",)  # a checkpoint belongs to a canary version; percent and pause do not matter

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="checkpoint.cancel")]

    DEFAULT_CSS = """
    CheckpointNote { align: center middle; }
    CheckpointNote > #dialog { width: 64; max-width: 95%; height: auto; border: thick $primary; background: $surface; padding: 0 1; }
    CheckpointNote #buttons { height: 3; align-horizontal: right; }
    CheckpointNote Button { margin-left: 1; }
    """

    def __init__(self, default_note: str = "", seen: SeenState | None = None) -> None:
        super().__init__(seen)
        self.default_note = default_note

    def compose(self) -> ComposeResult:
        """Prompt, note field, buttons."""
        with Vertical(id="dialog"):
            version = f" for {self.seen.canary_version}" if self.seen is not None else ""
            yield Label(f"Create a rollback checkpoint{version}. Note:", id="prompt")
            yield Input(value=self.default_note, placeholder="e.g. pre-v0.5.0-deployment", max_length=500, id="note")
            with Horizontal(id="buttons"):
                yield Button("Cancel", id="cancel")
                yield Button("Create checkpoint", id="create", variant="primary")

    def on_mount(self) -> None:
        """Type straight away."""
        self.query_one("#note", Input).focus()

    def went_stale(self, reason: str) -> None:
        """Say why, and create nothing from this dialog any more."""
        super().went_stale(reason)
        self.query_one("#create", Button).disabled = True
        self.query_one("#prompt", Label).update(f"⚠ {reason}. Escape closes.")

    def _finish(self) -> None:
        """Dismiss with the note, or stay when it is empty (or when the canary version changed meanwhile)."""
        if self.stale_reason is not None:
            self.notify(self.stale_reason, severity="warning")
            return
        note = self.query_one("#note", Input).value.strip()
        if not note:
            self.notify("A checkpoint needs a note.", severity="warning")
            return
        self.dismiss(note)

    @on(Input.Submitted, "#note")
    def _submitted(self) -> None:
        self._finish()

    @on(Button.Pressed, "#create")
    def _create(self) -> None:
        self._finish()

    @on(Button.Pressed, "#cancel")
    def _cancel_pressed(self) -> None:
        self.dismiss(None)

    def action_cancel(self) -> None:
        """Escape cancels."""
        self.dismiss(None)
