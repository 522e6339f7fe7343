"""The baseline of the startup figure: a bare Textual app that shows one static label."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.widgets import Label

MARKER = "bench-bare-ready"


class BareApp(App[None]):
    """One static label, nothing else."""

    def compose(self) -> ComposeResult:
        yield Label(MARKER)


if __name__ == "__main__":
    BareApp().run()
