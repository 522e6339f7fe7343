"""Heartbeat figures: server status, response time, signature, request and error rates."""

from __future__ import annotations

from textual.markup import escape
from textual.widgets import Static

from canary_tui.ui.widgets.fmt import age_text, ms_text, per_s_text
from canary_tui.ui.widgets.markup_lines import show_markup
from canary_tui.ui.widgets.view_models import Badge, HeartbeatView


def badge_markup(badge: Badge) -> str:
    """Glyph and word in the level's theme colour."""
    return f"[$status-{badge.level}]{badge.glyph} {escape(badge.word)}[/]"


class HeartbeatPane(Static):
    """Two lines of heartbeat status; says STALE, UNREACHABLE, UNTRUSTED or BAD ANSWER with the error and the data age."""

    DEFAULT_CSS = """
    HeartbeatPane { height: 2; padding: 0 1; text-wrap: nowrap; text-overflow: ellipsis; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("Heartbeat [dim]waiting for the first answer…[/]", id=id)
        self._view: HeartbeatView | None = None
        self._width = 0
        self._markup = ""

    def show(self, view: HeartbeatView) -> None:
        """Render `view` unless it (and the width) equal what is on screen."""
        width = self.content_region.width or 200
        if view == self._view and width == self._width:
            return
        self._view = view
        self._width = width
        self._markup = show_markup(self, self._markup, self.markup_for(view, width))

    def on_resize(self) -> None:
        """Figures that did not fit may fit now (and the other way round)."""
        if self._view is not None:
            self.show(self._view)

    @staticmethod
    def markup_for(view: HeartbeatView, width: int = 200) -> str:
        """Status line and traffic line; a figure that does not fit is left out whole, never cut."""
        errors = "—" if view.errors is None else str(view.errors)
        traffic = [f"requests {per_s_text(view.requests_per_s)}", f"errors {errors} ({per_s_text(view.errors_per_s)})"]
        if view.metrics_source != "heartbeat":
            traffic.insert(0, f"metrics: {view.metrics_source}")
        if view.connection not in ("live", "connecting"):
            word = view.connection.upper()
            level = "warning" if view.connection == "stale" else "critical"
            error = escape(view.connection_error or "no answer")
            error = view.connection_error or "no answer"
            first_room = width - len(word) - 3
            cut = len(error) if len(error) <= first_room else error.rfind(" ", 0, first_room + 1)
            if cut <= 0:
                cut = len(error)  # one long word: the line ends in an ellipsis rather than split it
            first = f"[reverse $status-{level}] {word} [/] [$status-{level}]{escape(error[:cut])}[/]"
            rest = error[cut:].strip()
            age = "no data yet" if view.data_age_s is None else f"last data {age_text(view.data_age_s)} old"
            # The age first: it must survive however long the rest of the reason is.
            head = f"[$status-{level}]{age} · {escape(rest)}[/]" if rest else f"[$status-{level}]{age}[/]"
            return first + "\n" + _fitting(head, len(rest) + 3 + len(age) if rest else len(age), traffic, width)
        first = f"Heartbeat {badge_markup(view.status)} {ms_text(view.response_ms)} · {badge_markup(view.signature)}"
        return first + "\n" + _fitting("", 0, traffic, width)


def _fitting(head: str, used: int, parts: list[str], width: int) -> str:
    """`head` then as many of `parts` as fit in `width`, joined with ' · ' (a part is kept whole or left out)."""
    line = head
    for part in parts:
        extra = len(part) + (3 if used else 0)
        if used + extra > width:
            break
        line += (" · " if used else "") + escape(part)
        used += extra
    return line
