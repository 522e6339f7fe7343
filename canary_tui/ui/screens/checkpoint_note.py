"""Ask for a checkpoint note before creating a rollback checkpoint."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label


class CheckpointNote(ModalScreen[str | None]):
    """A one-line note (Enter creates, Escape cancels)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="checkpoint.cancel")]

    DEFAULT_CSS = """
    CheckpointNote { align: center middle; }
    CheckpointNote > #dialog { width: 64; max-width: 95%; height: auto; border: thick $primary; background: $surface; padding: 0 1; }
    CheckpointNote #buttons { height: 3; align-horizontal: right; }
    CheckpointNote Button { margin-left: 1; }
    """

    def __init__(self, default_note: str = "") -> None:
        super().__init__()
        self.default_note = default_note

    def compose(self) -> ComposeResult:
        """Prompt, note field, buttons."""
        with Vertical(id="dialog"):
            yield Label("Create a rollback checkpoint. Note:")
            yield Input(value=self.default_note, placeholder="e.g. pre-v0.5.0-deployment", max_length=500, id="note")
            with Horizontal(id="buttons"):
                yield Button("Cancel", id="cancel")
                yield Button("Create checkpoint", id="create", variant="primary")

    def on_mount(self) -> None:
        """Type straight away."""
        self.query_one("#note", Input).focus()

    def _finish(self) -> None:
        """Dismiss with the note, or stay when it is empty."""
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
