"""Error rate against the seed's table: level word, glyph and colour, and a history sparkline."""

from __future__ import annotations

from textual.markup import escape
from textual.widgets import Static

from canary_tui.ui.widgets.fmt import age_text, duration_text, percent_text
from canary_tui.ui.widgets.markup_lines import content_of
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

    def show(self, view: ErrorRateView) -> None:
        """Render `view` unless it (and the width) equal what is on screen."""
        if view == self._view and self.size.width == self._width:
            return
        self._view = view
        self._width = self.size.width
        self.update(content_of(self.markup_for(view, max(10, self.size.width - 2))), layout=False)  # fixed height: no relayout

    def on_resize(self) -> None:
        """The sparkline follows the pane's width."""
        if self._view is not None:
            self.show(self._view)

    @staticmethod
    def markup_for(view: ErrorRateView, width: int) -> str:
        """Level line (rate, success, advice) and a split + sparkline line."""
        level = view.level
        badge = f"[reverse $status-{level.level}] {level.glyph} {escape(level.word)} [/]"
        success = percent_text(None if view.error_rate is None else 1 - view.error_rate)
        span_text = f" ({duration_text(view.window_s)})" if view.window_s >= 1.5 else ""
        plain = f"Errors  {level.glyph} {level.word}  {percent_text(view.error_rate)}{span_text} · success {success}"
        if len(plain) > width:
            span_text = ""
        span = f" [dim]{span_text.strip()}[/]" if span_text else ""
        line1 = f"Errors {badge} {percent_text(view.error_rate)}{span} · success {success}"
        advice = ""
        visible = 0
        if view.stale:
            age = "no data yet" if view.data_age_s is None else f"{age_text(view.data_age_s)} old"
            advice = f"[$status-warning]⚠ {age}[/] · "
            visible += len(age) + 5
        if view.action and level.level in ("warning", "critical"):
            advice += f"[$status-{level.level}]→ {escape(view.action)}[/] · "
            visible += len(view.action) + 5
        split = ""
        if view.canary_error_rate is not None or view.stable_error_rate is not None:
            split = f"canary {percent_text(view.canary_error_rate)} / stable {percent_text(view.stable_error_rate)} "
            visible += len(split)
        spark_width = max(0, width - visible - 1)
        line2 = f"{advice}{split}[$status-{level.level}]{sparkline(view.history, spark_width)}[/]"
        return line1 + "\n" + line2
