"""The one confirmation of rollback-all: every target it will roll back, listed; y/Enter confirms, n/Escape cancels."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.markup import escape
from textual.screen import ModalScreen
from textual.widgets import Static


class ConfirmRollbackAll(ModalScreen[bool]):
    """Lists the targets above 0%; dismissed with True only on y or Enter."""

    DEFAULT_CSS = """
    ConfirmRollbackAll { align: center middle; }
    ConfirmRollbackAll > Vertical {
        width: 76; max-width: 100%; height: auto; max-height: 100%;
        border: thick $status-critical; background: $surface; padding: 0 1;
    }
    ConfirmRollbackAll #rollback-all-title { text-style: bold; color: $status-critical; }
    ConfirmRollbackAll #rollback-all-keys { color: $foreground-muted; margin-top: 1; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y,enter", "confirm", "Roll back all", priority=True),
        Binding("n,escape", "cancel", "Cancel", priority=True),
    ]

    def __init__(self, lines: list[str]) -> None:
        super().__init__()
        self.lines = lines

    def compose(self) -> ComposeResult:
        """Title, the targets, the keys."""
        count = len(self.lines)
        with Vertical():
            yield Static(f"ROLL BACK {count} TARGET{'S' if count != 1 else ''} TO 0%", id="rollback-all-title")
            yield Static("\n".join(f"  ↺ {escape(line)}" for line in self.lines), id="rollback-all-targets")
            yield Static("Each is retried until its read-back confirms 0%.\n[b]y[/b]/[b]Enter[/b] roll back all · [b]n[/b]/[b]Esc[/b] cancel", id="rollback-all-keys")

    def action_confirm(self) -> None:
        """Roll them back."""
        self.dismiss(True)

    def action_cancel(self) -> None:
        """Send nothing."""
        self.dismiss(False)
