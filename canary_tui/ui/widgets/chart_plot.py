"""One latency chart's plot built with plotext from plain values: the same function runs in the app or in a build process."""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from canary_tui.ui.widgets.chart_legend import MARKERS
from canary_tui.ui.widgets.view_models import ChartView

#: headroom above the lowest reference line, so it is always on the chart with its label
LINE_HEADROOM = 1.2

#: what the pane says before the first data (and before plotext has loaded)
WAITING = "latency: waiting for data"

#: theme variables every plot uses besides its series' and lines' own
BASE_COLOURS = ("surface", "foreground", "chart-mark")

RGB = tuple[int, int, int]


@dataclass(frozen=True, slots=True)
class PlotSpec:
    """Everything one build needs, picklable: the view, the size in cells, and the theme's colours resolved to RGB."""

    view: ChartView | None
    width: int
    height: int
    colours: tuple[tuple[str, RGB], ...]  # (theme variable, RGB)

    def rgb(self, variable: str) -> RGB:
        """The RGB of a theme variable (the foreground's if the theme lacks it)."""
        table = dict(self.colours)
        return table.get(variable) or table.get("foreground") or (255, 255, 255)


def colour_variables(view: ChartView | None) -> tuple[str, ...]:
    """The theme variables a plot of `view` reads."""
    names = list(BASE_COLOURS)
    if view is not None:
        names += [series.colour_variable for series in view.series] + [line.colour_variable for line in view.lines]
    return tuple(dict.fromkeys(names))


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


def has_data(view: ChartView | None) -> bool:
    """Whether a view has anything to plot."""
    return view is not None and view.start_s is not None and view.end_s is not None and bool(view.series)


def _apply(plt: Any, spec: PlotSpec) -> None:
    """Load the spec's view into the plotext figure (cheap: the points are already downsampled)."""
    view = spec.view
    plt.clear_figure()
    surface, foreground = spec.rgb("surface"), spec.rgb("foreground")
    plt.canvas_color(surface)
    plt.axes_color(surface)
    plt.ticks_color(foreground)
    plt.xlabel("")
    plt.ylabel("")
    if view is None or view.start_s is None or view.end_s is None or not view.series:
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
        plt.plot([p[0] for p in points], [p[1] for p in points], marker=marker, color=spec.rgb(series.colour_variable), label=None)
    for line in view.lines:
        if line.ms <= top_ms:
            plt.hline(line.ms, color=spec.rgb(line.colour_variable))
    mark = spec.rgb("chart-mark")
    for mark_s, label, alignment in view.stage_marks:
        if start_s <= mark_s <= end_s:
            plt.vline(mark_s, color=mark)
            if label:
                plt.text(label, mark_s, top_ms * 0.97, color=mark, alignment=alignment)
    plt.ylim(0, top_ms)
    y_ticks = ms_ticks(top_ms, spec.height, tuple(line.ms for line in view.lines))
    plt.yticks(y_ticks, [f"{tick:.0f}" for tick in y_ticks])
    plt.xlim(start_s, end_s)
    positions, labels = time_ticks(start_s, end_s, max(2, min(6, spec.width // 14)))
    plt.xticks(positions, labels)


def build_ansi(plt: Any, spec: PlotSpec) -> str:
    """The plot of `spec` as plotext's ANSI text, built on the figure `plt` (textual-plotext's Plot)."""
    _apply(plt, spec)
    plt.plotsize(spec.width, spec.height)
    plt._set_size(spec.width, spec.height)  # as textual-plotext's render does (textual-plotext issue #5)
    return str(plt.build())


_worker_plot: Any = None

#: how much lower the build process's CPU priority is than the app's: a plot may wait, a key press may not
BUILD_NICENESS = 10


def build_worker_started() -> None:
    """The build process's initializer: yield the CPU to the app (and anything else on the machine) when both want it.

    On Linux it runs under SCHED_IDLE: any other task that wakes (the app on a key press) takes the CPU at once,
    where a niced task may keep it for a scheduler slice first. Elsewhere, the lowest nice.
    """
    with contextlib.suppress(OSError, AttributeError):  # no os.nice on Windows; a refused nice only costs priority
        os.nice(BUILD_NICENESS)
    with contextlib.suppress(OSError, AttributeError):  # not Linux: the nice above is what there is
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))


def build_in_worker(spec: PlotSpec) -> str:
    """build_ansi on this process's own figure (made once): what the build process runs."""
    global _worker_plot
    if _worker_plot is None:
        from textual_plotext import Plot

        _worker_plot = Plot()
    return build_ansi(_worker_plot, spec)
