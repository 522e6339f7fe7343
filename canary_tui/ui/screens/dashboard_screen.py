"""One target's dashboard as a screen: layout, snapshot → panes rendering, freeze. The single app and the fleet's drill-down both show it.

It reads nothing itself: the app that shows it keeps the target's DashboardFeed up to date and calls `show()`;
the keys are the app's (from the action registry), and the app hands the view-only ones (freeze) to this screen.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.css.query import NoMatches
from textual.screen import Screen

from canary_tui.controller.model import Event, Snapshot
from canary_tui.ui import presenter
from canary_tui.ui.dashboard_feed import DashboardFeed
from canary_tui.ui.widgets.chart_builds import ChartBuilds
from canary_tui.ui.widgets.error_rate_pane import ErrorRatePane
from canary_tui.ui.widgets.events_log import EventsLog
from canary_tui.ui.widgets.fit_footer import DASHBOARD_SHED, FitFooter, shed_at
from canary_tui.ui.widgets.gates_pane import GatesPane
from canary_tui.ui.widgets.header_bar import HeaderBar
from canary_tui.ui.widgets.heartbeat_pane import HeartbeatPane
from canary_tui.ui.widgets.latency_chart import LatencyChart
from canary_tui.ui.widgets.latency_pane import LatencyPane

#: the history's slots are 5 s: redrawing the chart faster shows nothing new
CHART_INTERVAL_S = 5.0
#: events held while frozen (or before the panes exist), oldest dropped first
PENDING_EVENTS = 500


class DashboardScreen(Screen[None]):
    """Header, heartbeat/errors/chart beside the gates, events and the footer (app.tcss lays them out) for one feed."""

    def __init__(self, feed: DashboardFeed, *, events_title: str = "Events", chart_interval_s: float = CHART_INTERVAL_S,
                 chart_builds: ChartBuilds | None = None, id: str | None = None) -> None:
        """`chart_builds`: the app's chart build process (None: plots are built on the event loop)."""
        super().__init__(id=id)
        self.chart_builds = chart_builds
        self.feed = feed
        self.events_title = events_title
        self.chart_interval_s = max(0.0, chart_interval_s)
        self.frozen = False
        self.frozen_snapshot: Snapshot | None = None
        self.renders = 0
        self.snapshot: Snapshot | None = None  # the snapshot the panes show (None until drawn; frozen: the frozen one)
        self._mounted_panes = False
        self.chart_key: tuple[object, ...] | None = None
        self._chart_at = float("-inf")
        self._chart_timer: Any = None
        self._chart_version = 0
        self._chart_redraw: asyncio.Task[None] | None = None
        self._pending_events: deque[Event] = deque(maxlen=PENDING_EVENTS)

    # ---- layout -------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        """Header, then heartbeat/errors/chart beside the gates, then events and the footer."""
        yield HeaderBar(id="header")
        with Horizontal(id="body"):
            with Vertical(id="left"):
                yield HeartbeatPane(id="heartbeat")
                yield ErrorRatePane(id="errors")
                yield LatencyPane(chart_builds=self.chart_builds, give_way=self.give_way, id="latency")
            yield GatesPane(id="gates")
        yield EventsLog(id="events")
        yield FitFooter()

    def on_mount(self) -> None:
        """Titles and size classes; then what arrived before the panes existed."""
        self.query_one("#events", EventsLog).border_title = self.events_title
        self.query_one("#gates", GatesPane).border_title = "Gates"
        self.fit_layout()
        self._mounted_panes = True
        if not self.frozen:
            self._flush_events()
        self.show()

    def on_unmount(self) -> None:
        """Nothing is drawn once the panes are gone (quitting, or back to the overview)."""
        self._mounted_panes = False
        if self._chart_redraw is not None:
            self._chart_redraw.cancel()

    @property
    def ready(self) -> bool:
        """Whether the panes are there to draw on (not before mounting, nor while shutting down removes them)."""
        if not self._mounted_panes:
            return False
        try:
            self.query_one("#header", HeaderBar)
        except NoMatches:
            return False
        return True

    def on_resize(self) -> None:
        """Adapt the layout to the terminal size."""
        self.fit_layout()

    def on_screen_resume(self) -> None:
        """The terminal may have changed size while another screen was on top."""
        self.fit_layout()

    def fit_layout(self) -> None:
        """-compact under 100×30, -wide from 160 columns, -tall from 45 rows; the footer fits the width."""
        width, height = self.app.size
        compact = width < 100 or height < 30
        self.set_class(compact, "-compact")
        for gates in self.query(GatesPane):
            gates.set_compact(compact)
        self.set_class(width >= 160, "-wide")
        self.set_class(height >= 45, "-tall")
        for footer in self.query(FitFooter):
            self.fit_footer(footer, width)

    def fit_footer(self, footer: FitFooter, width: int) -> None:
        """Compact under 120 columns, the palette hint from 100; at 80 columns every key on show is whole (t left out)."""
        footer.fit(compact=width < 120, palette=width >= 100, shed=shed_at(width, DASHBOARD_SHED))

    # ---- drawing ------------------------------------------------------------------------

    def show(self) -> None:
        """Draw the feed's newest snapshot; while frozen only the header, whose age still ticks."""
        snapshot = self.feed.snapshot
        if snapshot is None or not self.ready:
            return
        if self.frozen:
            self.render_header(snapshot)
        else:
            self.render_snapshot(snapshot)

    def render_header(self, snapshot: Snapshot) -> None:
        """Only the header; while frozen it keeps the frozen data, whose age still ticks, and shows the badges."""
        if self.frozen and self.frozen_snapshot is not None:
            snapshot = presenter.frozen_snapshot(self.frozen_snapshot, snapshot)
        self.query_one("#header", HeaderBar).show(self.feed.header_view(snapshot, frozen=self.frozen))

    def render_snapshot(self, snapshot: Snapshot) -> None:
        """Push plain views down to the widgets; each skips the redraw when its view is unchanged."""
        self.renders += 1
        self.snapshot = snapshot
        self.render_header(snapshot)
        self.query_one("#heartbeat", HeartbeatPane).show(presenter.heartbeat_view(snapshot))
        self.query_one("#errors", ErrorRatePane).show(presenter.error_rate_view(snapshot, self.feed.error_history))
        self.query_one("#latency", LatencyPane).show_readout(presenter.latency_view(snapshot))
        self.query_one("#gates", GatesPane).show(presenter.gates_view(snapshot))
        self._render_chart(snapshot)

    def _render_chart(self, snapshot: Snapshot, *, force: bool = False) -> None:
        """Redraw the chart on new data or a new width, at most once per chart_interval_s (deferred, never dropped)."""
        chart = self.query_one("#chart", LatencyChart)
        if not callable(getattr(self.feed.controller, "chart", None)):
            return
        hb = snapshot.heartbeat
        key = (None if hb is None else (hb.fetched_at_s, hb.timestamp), chart.columns, snapshot.stage.index if snapshot.stage else None)
        if key == self.chart_key and not force:
            return
        width_changed = self.chart_key is None or key[1] != self.chart_key[1]
        now = asyncio.get_running_loop().time()
        wait_s = self._chart_at + self.chart_interval_s - now
        if wait_s > 0 and not force and not width_changed:
            if self._chart_timer is None:
                self._chart_timer = self.set_timer(wait_s, self._deferred_chart)
            return
        self.chart_key = key
        self._chart_at = now
        self.draw_chart(chart)

    @on(LatencyChart.Resized)
    def _chart_resized(self) -> None:
        """A new chart width needs a series downsampled to it."""
        if self.feed.snapshot is not None and not self.frozen and self.ready:
            self._render_chart(self.feed.snapshot)

    def _deferred_chart(self) -> None:
        """The throttled redraw, with the newest data (unless frozen meanwhile)."""
        self._chart_timer = None
        if self.feed.snapshot is not None and not self.frozen and self.ready:
            self._render_chart(self.feed.snapshot)

    def draw_chart(self, chart: LatencyChart) -> None:
        """Start a redraw of the chart from the controller's series; one still under way gives way to this newer one."""
        if self._chart_redraw is not None:
            self._chart_redraw.cancel()
        self._chart_redraw = asyncio.get_running_loop().create_task(self.redraw_chart(chart))

    async def redraw_chart(self, chart: LatencyChart) -> None:
        """Ask the controller for the series the chart draws, downsampled to its width, and plot them.

        A redraw of 72 h costs the event loop about a millisecond, which R's request must not wait behind:
        the work goes a series per turn of the loop, each turn after any rollback's request is on its way
        (and so does the plot coming back from the build process, a few rows per turn: LatencyChart).
        """
        controller = self.feed.controller
        try:
            for fields in presenter.CHART_SERIES_CHOICES:  # the canary beside stable; without them, the whole service
                steps = controller.chart_steps(chart.columns, fields)
                data = None
                while data is None:
                    await self.give_way()
                    data = next(steps)
                if presenter.chart_series_names(data):
                    break
            self._chart_version += 1
            thresholds = self.feed.snapshot.thresholds if self.feed.snapshot is not None else None
            view = presenter.chart_view(data, self._chart_version, thresholds=thresholds)
            await self.give_way()  # the plot's hand-off to its build process too
        except Exception as exc:  # noqa: BLE001 - a chart failure must not take the dashboard down
            self.log.error(f"chart failed: {exc!r}")
            return
        if self.ready:
            self.query_one("#latency", LatencyPane).show_chart(view)

    async def give_way(self) -> None:
        """A turn of the event loop for what came meanwhile (a key first), then none while a rollback waits to be sent."""
        await asyncio.sleep(0)
        await self.feed.controller.until_rollback_sent()

    # ---- events and freeze --------------------------------------------------------------

    def add_event(self, event: Event) -> None:
        """Log the event now, or once unfrozen (or once the panes exist)."""
        if self.frozen or not self.ready:
            self._pending_events.append(event)
            return
        self.query_one("#events", EventsLog).add(presenter.event_line(event))

    def _flush_events(self) -> None:
        """The events held back, oldest first."""
        log = self.query_one("#events", EventsLog)
        while self._pending_events:
            log.add(presenter.event_line(self._pending_events.popleft()))

    def toggle_freeze(self) -> None:
        """Freeze or unfreeze the view; polling goes on and nothing is lost."""
        self.frozen = not self.frozen
        self.frozen_snapshot = self.feed.snapshot if self.frozen else None
        if not self.ready:
            return
        if not self.frozen:
            self._flush_events()
            if self.feed.snapshot is not None:
                self.render_snapshot(self.feed.snapshot)
        elif self.feed.snapshot is not None:
            self.render_header(self.feed.snapshot)
