"""Top bar: environment, versions, stage, canary share, pause, bake clock, data age and connection."""

from __future__ import annotations

from textual.markup import escape
from textual.widgets import Static

from canary_tui.ui.widgets.fmt import age_text
from canary_tui.ui.widgets.markup_lines import line_content, show_markup
from canary_tui.ui.widgets.view_models import HeaderView

_CONNECTION_BADGE = {
    "live": ("healthy", "●", "LIVE"),
    "connecting": ("unknown", "◌", "CONNECTING"),
    "stale": ("warning", "⚠", "STALE"),
    "unreachable": ("critical", "✖", "UNREACHABLE"),
    "untrusted": ("critical", "✖", "UNTRUSTED"),
    "bad answer": ("critical", "✖", "BAD ANSWER"),
}


def blocked_text(reason: str) -> str:
    """Why nothing can be changed from here, short: 'no bearer token configured' (the how-to goes to the event log)."""
    return reason.split(" (", 1)[0]


class HeaderBar(Static):
    """Where the ramp stands, in one or two lines; re-renders only when the view changes."""

    DEFAULT_CSS = """
    HeaderBar { height: 2; padding: 0 1; background: $panel; text-wrap: nowrap; text-overflow: ellipsis; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("[dim]connecting…[/]", id=id)
        self._view: HeaderView | None = None
        self._width = 0
        self._markup = ""

    def show(self, view: HeaderView) -> None:
        """Render `view` unless it equals the one on screen."""
        if view == self._view and self.size.width == self._width:
            return
        self._view = view
        self._width = self.size.width
        self._markup = show_markup(self, self._markup, self.markup_for(view, self.size.width - 2 if self.size.width else 200))

    def on_resize(self) -> None:
        """Shorten the first line when the terminal narrows."""
        if self._view is not None:
            self.show(self._view)

    @staticmethod
    def markup_for(view: HeaderView, width: int = 200) -> str:
        """The header's content markup (colours from theme variables only); line 1 shortens to fit `width`."""
        level, glyph, word = _CONNECTION_BADGE.get(view.connection, ("unknown", "?", view.connection.upper()))
        versions = f"{escape(view.stable_version)} → [b]{escape(view.canary_version)}[/b]"
        percent = "—" if view.canary_percent is None else f"{view.canary_percent}%"
        parts = [
            f"[b]{escape(view.environment)}[/b]",
            versions,
            escape(view.stage_text),
            f"canary [b]{percent}[/b]",
        ]
        if view.paused:
            parts.append("[reverse $status-warning] ⏸ PAUSED [/]")
        if not view.paused or view.canary_percent == 0:  # at 0% the hold flag may outlive a rollback: say both
            parts.append(escape(view.ramp_word))
        line1 = " · ".join(parts)
        if line_content(line1).cell_length > width:
            parts[1] = f"[b]{escape(view.canary_version)}[/b]"  # the canary version matters most
            line1 = " · ".join(parts)
        if line_content(line1).cell_length > width:
            parts[3] = f"[b]{percent}[/b]"
            line1 = " · ".join(parts)
        status = [f"[$status-{level}]{glyph} {word}[/]"]
        blocked = view.blocked_reason or ("read-only mode" if view.read_only else None)
        if blocked:
            # the deployment cannot be changed from here: said before any key is pressed, with the reason
            status.append(f"[reverse $secondary] VIEW ONLY [/] [$secondary]{escape(blocked_text(blocked))}[/]")
        if view.frozen:
            status.append("[reverse $secondary] ❄ FROZEN [/]")
        if view.action_in_flight:
            status.append(f"[reverse $accent] {escape(view.action_in_flight)}… [/]")
        status.append(f"data age {age_text(view.data_age_s)}")
        optional = []
        if view.bake_text:
            optional.append(f"◷ {escape(view.bake_text)}")
        if view.eta_text:
            optional.append(escape(view.eta_text))
        while optional and line_content(" · ".join(status + optional)).cell_length > width:
            optional.pop()  # the ETA goes first, then the bake clock; badges and age always stay
        status += optional
        return line1 + "\n" + " · ".join(status)
