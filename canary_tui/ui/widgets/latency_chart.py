"""Latency over time (textual-plotext): canary vs stable, the reference lines in force, stage changes marked.

plotext loads with the first data, right after the first live frame is on screen (it costs ~13 ms of
start-up, benchmarks/startup.py); until then the pane says it is waiting.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from rich.text import Text
from textual.app import RenderResult
from textual.color import Color
from textual.message import Message
from textual.strip import Strip
from textual.widget import Widget

from canary_tui.ui.widgets.ansi_strips import ansi_strips
from canary_tui.ui.widgets.chart_legend import MARKERS
from canary_tui.ui.widgets.view_models import ChartView

#: headroom above the lowest reference line, so it is always on the chart with its label
LINE_HEADROOM = 1.2


def time_ticks(start_s: float, end_s: float, count: int) -> tuple[list[float], list[str]]:
    """About `count` evenly spaced ticks between start and end, labelled HH:MM (or HH:MM:SS for short spans)."""
    span_s = max(end_s - start_s, 1.0)
    count = max(2, min(count, int(span_s) + 1))  # never two ticks in the same second
    fmt = "%H:%M:%S" if span_s < 600 else ("%H:%M" if span_s < 2 * 86400 else "%d %H:%M")
    positions = [start_s + span_s * i / (count - 1) for i in range(count)]
    labels = [datetime.fromtimestamp(position, tz=UTC).strftime(fmt) for position in positions]
    return positions, labels


def ms_ticks(top_ms: float, rows: int, lines_ms: tuple[float, ...] = ()) -> list[float]:
    """Round millisecond ticks from 0 to top_ms, at most about one per three rows, and every reference line's value.

    A round tick too close to a line's (within two rows) gives way, so each line has its label on the axis.
    """
    wanted = max(2, min(6, rows // 3))
    for step_ms in (50, 100, 200, 250, 500, 1000, 2000, 2500, 5000, 10000, 20000, 50000):
        if top_ms / step_ms <= wanted:
            break
    ticks = [float(step_ms * i) for i in range(int(top_ms // step_ms) + 1)]
    shown = [line for line in lines_ms if 0 < line <= top_ms]
    row_ms = top_ms / max(rows, 1)
    ticks = [t for t in ticks if t == 0 or all(abs(t - line) > 2 * row_ms for line in shown)]
    return sorted(set(ticks) | set(shown))


#: what the pane says before the first data (and before plotext has loaded)
WAITING = "latency: waiting for data"


def _has_data(view: ChartView | None) -> bool:
    """Whether a view has anything to plot."""
    return view is not None and view.start_s is not None and view.end_s is not None and bool(view.series)


class LatencyChart(Widget):
    """Plots a ChartView with plotext; rebuilds the plot only for new data, a new size or a new theme."""

    DEFAULT_CSS = """
    LatencyChart { width: 1fr; height: 1fr; min-height: 6; content-align: center middle; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._plot: Any = None  # textual-plotext's Plot, made when the first data is drawn
        self._view: ChartView | None = None
        self._cache_key: tuple[object, ...] | None = None
        self._strips: list[Strip] | None = None
        self.builds = 0  # plot builds so far (for tests and benchmarks)

    class Resized(Message):
        """The chart's width changed: the app should fetch a series downsampled to `columns`."""

        def __init__(self, columns: int) -> None:
            super().__init__()
            self.columns = columns

    def on_resize(self) -> None:
        """Ask for data at the new width (the app owns the controller, not this widget)."""
        self.post_message(self.Resized(self.columns))

    def on_mount(self) -> None:
        """Follow the app theme: chart colours are theme variables."""
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self._themed())

    def _themed(self) -> None:
        """Redraw with the new theme's colours (the render cache is keyed on the theme)."""
        self.refresh()

    @property
    def plt(self) -> Any:
        """The plotext figure (textual-plotext's Plot), loaded on first use."""
        if self._plot is None:
            from textual_plotext import Plot

            self._plot = Plot()
        return self._plot

    @property
    def columns(self) -> int:
        """How many points fit across the plot (what the app asks the controller to downsample to)."""
        return max(10, self.size.width - 8)

    def show(self, view: ChartView) -> None:
        """Plot `view`; the same data version is a no-op."""
        if self._view is not None and view.version == self._view.version and view == self._view:
            return
        self._view = view
        if self._plot is None and _has_data(view):
            self.call_after_refresh(self._load_plot)  # the frame on its way shows the live panes first
            return
        self.refresh()

    def _load_plot(self) -> None:
        """Load plotext and draw the data that arrived meanwhile."""
        _ = self.plt
        self.refresh()

    def _rgb(self, variable: str) -> tuple[int, int, int]:
        """A theme variable as an RGB triple for plotext."""
        value = self.app.theme_variables.get(variable) or self.app.theme_variables.get("foreground", "white")
        return Color.parse(value).rgb

    def _apply(self, view: ChartView) -> None:
        """Load the view into the plotext figure (cheap: the points are already downsampled)."""
        plt = self.plt
        plt.clear_figure()
        surface, foreground = self._rgb("surface"), self._rgb("foreground")
        plt.canvas_color(surface)
        plt.axes_color(surface)
        plt.ticks_color(foreground)
        plt.xlabel("")
        plt.ylabel("")
        if view.start_s is None or view.end_s is None or not view.series:
            plt.title(WAITING)
            return
        start_s, end_s = view.start_s, max(view.end_s, view.start_s + 1.0)
        top_ms = min((line.ms for line in view.lines), default=500.0) * LINE_HEADROOM
        for series in view.series:
            points = [(t, v) for t, v in zip(series.times_s, series.values_ms, strict=True) if v is not None]
            if not points:
                continue
            top_ms = max(top_ms, max(v for _, v in points) * 1.15)
            marker = next((m for key, m in MARKERS.items() if key in series.label.lower()), series.marker)
            plt.plot([p[0] for p in points], [p[1] for p in points], marker=marker, color=self._rgb(series.colour_variable), label=None)
        for line in view.lines:
            if line.ms <= top_ms:
                plt.hline(line.ms, color=self._rgb(line.colour_variable))
        for mark_s, label, alignment in view.stage_marks:
            if start_s <= mark_s <= end_s:
                plt.vline(mark_s, color=self._rgb("chart-mark"))
                if label:
                    plt.text(label, mark_s, top_ms * 0.97, color=self._rgb("chart-mark"), alignment=alignment)
        plt.ylim(0, top_ms)
        y_ticks = ms_ticks(top_ms, self.size.height, tuple(line.ms for line in view.lines))
        plt.yticks(y_ticks, [f"{tick:.0f}" for tick in y_ticks])
        plt.xlim(start_s, end_s)
        positions, labels = time_ticks(start_s, end_s, max(2, min(6, self.size.width // 14)))
        plt.xticks(positions, labels)

    def render(self) -> RenderResult:
        """Before plotext has loaded: say the chart is waiting (centred)."""
        return Text(WAITING, style="dim", justify="center")

    def render_line(self, y: int) -> Strip:
        """Textual's line API: row `y` of the plot, rebuilt only when data, size or theme changed."""
        if self._plot is None:
            return super().render_line(y)
        strips = self.plot_strips()
        return strips[y] if 0 <= y < len(strips) else Strip.blank(self.size.width)

    def plot_strips(self) -> list[Strip]:
        """The plot as one strip per row: plotext's ANSI output converted straight to strips.

        (textual-plotext's own render goes ANSI → rich Text → strips, about 7× slower per redraw.)
        """
        width, height = self.size
        key = (None if self._view is None else self._view.version, id(self._view), width, height, self.app.theme)
        if key != self._cache_key or self._strips is None:
            self.builds += 1
            if self._view is not None:
                self._apply(self._view)
            plot = self.plt
            plot.plotsize(width, height)
            plot._set_size(width, height)  # as textual-plotext's render does (textual-plotext issue #5)
            self._strips = ansi_strips(plot.build(), width)
            self._cache_key = key
        return self._strips
