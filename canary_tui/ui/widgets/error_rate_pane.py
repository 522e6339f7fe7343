"""Error rate over the controller's window, its level on evidence (thresholds in force), and a history sparkline."""

from __future__ import annotations

from textual.markup import escape
from textual.widgets import Static

from canary_tui.ui.widgets.fmt import age_text, duration_text, percent_text
from canary_tui.ui.widgets.markup_lines import show_markup
from canary_tui.ui.widgets.view_models import ErrorRateView

_BARS = "▁▂▃▄▅▆▇█"


def sparkline(values: tuple[float, ...], width: int, ceiling: float | None = None) -> str:
    """Block-character sparkline of the last `width` values, scaled to max(values, ceiling)."""
    if width <= 0 or not values:
        return ""
    tail = values[-width:]
    top = max(max(tail), ceiling or 0.0)
    if top <= 0:
        return _BARS[0] * len(tail)
    return "".join(_BARS[min(len(_BARS) - 1, int(value / top * (len(_BARS) - 1) + 0.5))] for value in tail)


class ErrorRatePane(Static):
    """Current error / success rate with its level, and the recent history."""

    DEFAULT_CSS = """
    ErrorRatePane { height: 2; padding: 0 1; text-wrap: nowrap; text-overflow: ellipsis; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("Errors [dim]—[/]", id=id)
        self._view: ErrorRateView | None = None
        self._width = 0
        self._markup = ""

    def show(self, view: ErrorRateView) -> None:
        """Render `view` unless it (and the width) equal what is on screen."""
        if view == self._view and self.size.width == self._width:
            return
        self._view = view
        self._width = self.size.width
        self._markup = show_markup(self, self._markup, self.markup_for(view, max(10, self.size.width - 2)))

    def on_resize(self) -> None:
        """The sparkline follows the pane's width."""
        if self._view is not None:
            self.show(self._view)

    @staticmethod
    def markup_for(view: ErrorRateView, width: int) -> str:
        """The judged figure with its level (and interval and window when they fit), then advice, the other figures, a sparkline.

        A part that does not fit is left out whole, never cut: the interval first, then the window.
        """
        level = view.level
        success = f"success {percent_text(None if view.error_rate is None else 1 - view.error_rate)}"
        if view.judged == "canary":
            figure = f"canary {percent_text(view.canary_error_rate)}"
            extras = [f"stable {percent_text(view.stable_error_rate)}", f"all {percent_text(view.error_rate)}", success]
        else:
            figure = percent_text(view.error_rate)
            canary = "no traffic" if view.canary_idle else percent_text(view.canary_error_rate)
            extras = ([f"canary {canary}"] if view.canary_idle or view.canary_error_rate is not None else []) + [success]
        window = f"({duration_text(view.window_s)})" if view.window_s >= 1.5 else ""
        optional = [part for part in (view.interval_text, window) if part]
        stale_mark = "⚠ stale " if view.stale else ""  # the headline is the last good data's, not now's
        head_plain = f"Errors  {level.glyph} {level.word}  {stale_mark}{figure}"
        while optional and len(" ".join([head_plain, *optional])) > width:
            optional.pop(0)
        line1 = f"Errors [reverse $status-{level.level}] {level.glyph} {escape(level.word)} [/]"
        line1 += f" [$status-warning]⚠ stale[/] {escape(figure)}" if view.stale else f" {escape(figure)}"
        line1 += "".join(f" [dim]{escape(part)}[/]" for part in optional)
        used = len(" ".join([head_plain, *optional]))
        while extras and used + 3 + len(extras[0]) <= width:
            part = extras.pop(0)
            line1 += f" · {escape(part)}"
            used += 3 + len(part)
        parts: list[tuple[str, int]] = []  # (markup, visible width)
        if view.stale:
            age = "no data yet" if view.data_age_s is None else f"{age_text(view.data_age_s)} old"
            parts.append((f"[$status-warning]⚠ {escape(age)}[/]", len(age) + 2))
        if view.action and level.level in ("warning", "critical"):
            parts.append((f"[$status-{level.level}]→ {escape(view.action)}[/]", len(view.action) + 2))
        for part in extras:
            if sum(w + 3 for _, w in parts) + len(part) <= width:
                parts.append((escape(part), len(part)))
        line2 = " · ".join(markup for markup, _ in parts)
        spark = sparkline(view.history, max(0, width - sum(w + 3 for _, w in parts) - 1))
        if spark:
            line2 += (" " if line2 else "") + f"[$status-{level.level}]{spark}[/]"
        return line1 + "\n" + line2
