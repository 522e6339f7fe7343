"""A footer that leaves out some actions' keys so the rest fit a narrow terminal whole (the keys still work)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.reactive import reactive
from textual.widgets import Footer
from textual.widgets._footer import FooterKey


class FitFooter(Footer):
    """Textual's footer without the keys of the actions in `shed`; with nothing shed it is the plain footer."""

    shed: reactive[frozenset[str]] = reactive(frozenset(), recompose=True)

    def compose(self) -> ComposeResult:
        """The footer's keys, less the shed ones (the help screen still lists every key)."""
        for widget in super().compose():
            if isinstance(widget, FooterKey) and widget.action in self.shed:
                continue
            yield widget

    def fit(self, *, compact: bool, palette: bool, shed: frozenset[str] = frozenset()) -> None:
        """Set compactness, the palette hint and what to leave out, in one go."""
        self.compact = compact
        self.show_command_palette = palette
        self.shed = shed
