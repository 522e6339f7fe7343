"""Bounded, scrollable log of actions, automatic triggers, conflicts and errors, with time and actor."""

from __future__ import annotations

from collections import deque

from rich.style import Style
from rich.text import Text
from textual.events import Resize
from textual.widgets import RichLog

from canary_tui.ui.widgets.view_models import EventLine

_LEVEL_VARIABLE = {"info": "foreground", "warning": "status-warning", "error": "status-critical"}
_LEVEL_GLYPH = {"info": "·", "warning": "⚠", "error": "✖"}


class EventsLog(RichLog):
    """Newest at the bottom; keeps at most `max_lines` lines, re-wrapped when the pane's width changes."""

    DEFAULT_CSS = """
    EventsLog { height: 6; padding: 0 1; scrollbar-size-vertical: 1; }
    """

    def __init__(self, *, max_lines: int = 500, id: str | None = None) -> None:
        # min_width 1: RichLog's default (78) renders lines wider than an 80-column pane holds, and cuts their ends
        super().__init__(max_lines=max_lines, min_width=1, wrap=True, markup=False, highlight=False, auto_scroll=True, id=id)
        self.count = 0
        self._events: deque[EventLine] = deque(maxlen=max_lines)  # RichLog keeps lines as wrapped when written
        self._wrapped_at = 0

    def add(self, line: EventLine) -> None:
        """Append one event, coloured by its level from the theme."""
        self._events.append(line)
        self.write(self._text(line))
        self.count += 1

    def _text(self, line: EventLine) -> Text:
        """One event as styled text: time, level glyph, actor, kind, message."""
        colour = self.app.theme_variables.get(_LEVEL_VARIABLE.get(line.level, "foreground"))
        text = Text()
        text.append(line.time_text, style=Style(dim=True))
        text.append(f" {_LEVEL_GLYPH.get(line.level, '·')} ")
        text.append(line.actor, style=Style(bold=True))
        text.append(f" {line.kind}: " if line.kind else " ", style=Style(dim=True))
        text.append(line.message, style=Style(color=colour) if colour and line.level != "info" else Style())
        return text

    def on_resize(self, event: Resize) -> None:
        """A new width: write the kept events again, wrapped to it (a narrowed pane would cut their ends).

        Any resize then shows the newest events: a pane that grew and shrank back keeps its old scroll offset,
        which would leave older lines at the bottom looking like the latest.
        """
        width = self.scrollable_content_region.width
        if self._wrapped_at and width and width != self._wrapped_at and self._events:
            self.clear()
            for line in self._events:
                self.write(self._text(line))
        if width:
            self._wrapped_at = width
        self.scroll_end(animate=False, immediate=False, x_axis=False)
