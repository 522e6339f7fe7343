"""Heartbeat figures: server status, response time, signature, request and error rates."""

from __future__ import annotations

from textual.markup import escape
from textual.widgets import Static

from canary_tui.ui.widgets.fmt import age_text, ms_text, per_s_text
from canary_tui.ui.widgets.markup_lines import content_of
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

    def show(self, view: HeartbeatView) -> None:
        """Render `view` unless it equals the one on screen."""
        if view == self._view:
            return
        self._view = view
        self.update(content_of(self.markup_for(view)), layout=False)  # fixed height: no relayout

    @staticmethod
    def markup_for(view: HeartbeatView) -> str:
        """Status line and traffic line."""
        errors = "—" if view.errors is None else str(view.errors)
        traffic = f"requests {per_s_text(view.requests_per_s)} · errors {errors} ({per_s_text(view.errors_per_s)})"
        if view.connection not in ("live", "connecting"):
            word = view.connection.upper()
            level = "warning" if view.connection == "stale" else "critical"
            error = escape(view.connection_error or "no answer")
            first = f"[reverse $status-{level}] {word} [/] [$status-{level}]{error}[/]"
            age = "no data yet" if view.data_age_s is None else f"last data {age_text(view.data_age_s)} old"
            second = f"[$status-{level}]{age}[/] · {traffic}"
            return first + "\n" + second
        first = f"Heartbeat {badge_markup(view.status)} {ms_text(view.response_ms)} · {badge_markup(view.signature)}"
        return first + "\n" + traffic
