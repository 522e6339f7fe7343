"""Latency over time (textual-plotext): canary vs stable, the reference lines in force, stage changes marked.

plotext loads with the first data, right after the first live frame is on screen (it costs ~13 ms of
start-up, benchmarks/startup.py); until then the pane says it is waiting.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from rich.text import Text
from textual.app import RenderResult
from textual.color import Color
from textual.message import Message
from textual.strip import Strip
from textual.widget import Widget

from canary_tui.ui.widgets.ansi_strips import ansi_rows, ansi_strips
from canary_tui.ui.widgets.chart_builds import ChartBuilds
from canary_tui.ui.widgets.chart_plot import WAITING, PlotSpec, build_ansi, colour_variables, has_data
from canary_tui.ui.widgets.view_models import ChartView

__all__ = ["WAITING", "GiveWay", "LatencyChart"]

#: what the chart awaits between rows of a plot back from the build process
GiveWay = Callable[[], Awaitable[None]]
#: rows of a plot turned into strips per turn of the event loop (~20 µs a row at 160 columns)
LAND_ROWS = 8


class LatencyChart(Widget):
    """Plots a ChartView with plotext; rebuilds the plot only for new data, a new size or a new theme."""

    DEFAULT_CSS = """
    LatencyChart { width: 1fr; height: 1fr; min-height: 6; content-align: center middle; }
    """

    def __init__(self, *, builds: ChartBuilds | None = None, give_way: GiveWay | None = None, id: str | None = None) -> None:
        """`builds`: the app's build process; without one every plot is built here, on the event loop.

        `give_way`: awaited between the rows of a plot back from the build process (whoever shows the chart says
        what must go first); without it a plot comes back in one piece.
        """
        super().__init__(id=id)
        self._give_way = give_way
        self._landing: asyncio.Task[None] | None = None
        self._plot: Any = None  # textual-plotext's Plot, made when the first data is drawn
        self._view: ChartView | None = None
        self._cache_key: tuple[object, ...] | None = None
        self._strips: list[Strip] | None = None
        self._remote = builds
        self._building: tuple[object, ...] | None = None  # the key of the build in the worker, if one is
        self.builds = 0  # plot builds so far, here or in the worker (for tests and benchmarks)

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
        if self._plot is None and has_data(view):
            self.call_after_refresh(self._load_plot)  # the frame on its way shows the live panes first
            return
        if self._remote is not None and self._strips is not None and self._remote.usable:
            self._sent_strips()  # the build goes to the worker; the plot on show stays until the new one lands and repaints
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

    def _spec(self) -> PlotSpec:
        """What a build of the current view at the current size and theme needs."""
        width, height = self.size
        return PlotSpec(self._view, width, height, tuple((name, self._rgb(name)) for name in colour_variables(self._view)))

    def _key(self) -> tuple[object, ...]:
        """What the plot depends on: data version, size and theme."""
        width, height = self.size
        return (None if self._view is None else self._view.version, id(self._view), width, height, self.app.theme)

    def render(self) -> RenderResult:
        """Before plotext has loaded: say the chart is waiting (centred)."""
        return Text(WAITING, style="dim", justify="center")

    def render_line(self, y: int) -> Strip:
        """Textual's line API: row `y` of the plot, rebuilt only when data, size or theme changed.

        With a build process the rebuild goes there and the rows drawn meanwhile are the last plot's; the first
        plot is built here, so the chart is on screen with the first data.
        """
        if self._plot is None:
            return super().render_line(y)
        if self._remote is not None and self._strips is not None and self._remote.usable:
            strips = self._sent_strips()
        else:
            strips = self.plot_strips()
            if self._remote is not None:
                self._remote.start()
        return strips[y].adjust_cell_length(self.size.width) if 0 <= y < len(strips) else Strip.blank(self.size.width)

    def plot_strips(self) -> list[Strip]:
        """The plot as one strip per row, built here if it is not current: plotext's ANSI output straight to strips.

        (textual-plotext's own render goes ANSI → rich Text → strips, about 7× slower per redraw.)
        """
        key = self._key()
        if key != self._cache_key or self._strips is None:
            self.builds += 1
            self._strips = ansi_strips(build_ansi(self.plt, self._spec()), self.size.width)
            self._cache_key = key
        return self._strips

    @property
    def building(self) -> bool:
        """Whether a plot is being built in the worker."""
        return self._building is not None

    def _sent_strips(self) -> list[Strip]:
        """The current plot if it is built; else the last one, with a build of the current one sent to the worker."""
        assert self._strips is not None and self._remote is not None
        key = self._key()
        if key != self._cache_key and self._building is None:
            future = self._remote.submit(self._spec())
            if future is None:
                return self.plot_strips()
            self.builds += 1
            self._building = key
            width = self.size.width
            future.add_done_callback(lambda done: self._built(done, key, width))
        return self._strips

    def _built(self, done: asyncio.Future[str], key: tuple[object, ...], width: int) -> None:
        """A build came back from the worker: show it, and ask for the next if the data moved on meanwhile."""
        if done.cancelled():
            self._building = None
            return
        error = done.exception()
        if error is not None:
            self._building = None
            if self._remote is not None:
                self._remote.fail(f"chart builds in the app: the build process failed ({type(error).__name__})")
            if self.is_mounted:
                self.refresh()
            return
        self._landing = asyncio.get_running_loop().create_task(self._land(done.result(), key, width))

    async def _land(self, text: str, key: tuple[object, ...], width: int) -> None:
        """Turn the built plot into strips, LAND_ROWS rows per turn of the event loop (~1 ms in all at 160x48), then show it."""
        strips: list[Strip] = []
        try:
            for strip in ansi_rows(text, width):
                strips.append(strip)
                if self._give_way is not None and len(strips) % LAND_ROWS == 0:
                    await self._give_way()
        except Exception as exc:  # noqa: BLE001 - a plot that cannot be read leaves the last one on screen
            self.log.error(f"chart plot unreadable: {exc!r}")
            return
        finally:
            self._building = None
        self._strips = strips
        self._cache_key = key
        if self.is_mounted:
            self.refresh()

    def on_unmount(self) -> None:
        """A plot still coming back is not wanted any more."""
        if self._landing is not None:
            self._landing.cancel()
