"""Every key of the dashboard, its effect and whether it is available now."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.markup import escape
from textual.screen import ModalScreen
from textual.widgets import Static


class HelpScreen(ModalScreen[None]):
    """A key table built by the app from its live bindings (so remapped keys show as remapped)."""

    BINDINGS = [
        Binding("escape", "close", "Close", id="help.close"),
        Binding("question_mark", "close", "Close", show=False, id="help.close2"),
        Binding("q", "close", "Close", show=False, id="help.close3"),
    ]

    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > #help { width: 80; max-width: 95%; height: auto; max-height: 90%; border: thick $primary; background: $surface; padding: 0 1; }
    HelpScreen .row { height: auto; }
    HelpScreen .key { width: auto; min-width: 9; padding-right: 1; color: $accent; text-style: bold; }
    HelpScreen .what { width: 1fr; }
    HelpScreen .notes { margin-top: 1; }
    """

    def __init__(self, rows: list[tuple[str, str, str]], notes: list[str], thresholds: list[tuple[str, str]] | None = None) -> None:
        super().__init__()
        self.rows = rows
        self.notes = notes
        self.thresholds = thresholds or []  # (metric, bands) of the table in force (config overrides applied)

    def compose(self) -> ComposeResult:
        """Title, then per row its keys beside a description that wraps under itself; notes; thresholds in force."""
        with VerticalScroll(id="help"):
            yield Static("[b]Keys[/b]  (capitals act on the deployment, lower-case on the view)")
            for key, description, state in self.rows:
                suffix = "" if not state else f"  [dim]({escape(state)})[/]"
                with Horizontal(classes="row"):
                    yield Static(escape(key), classes="key", markup=True)
                    yield Static(f"{escape(description)}{suffix}", classes="what")
            lines = [escape(note) for note in self.notes]
            if self.thresholds:
                lines += ["", "[b]Thresholds in force[/b]  (levels judged on intervals)"]
                label_width = max(len(metric) for metric, _ in self.thresholds) + 2
                lines.extend(f"{escape(metric).ljust(label_width)}{escape(bands)}" for metric, bands in self.thresholds)
            lines.append("[dim]Escape or ? closes this help.[/]")
            yield Static("\n".join(lines), classes="notes")

    def action_close(self) -> None:
        """Back to the dashboard."""
        self.dismiss(None)
