"""One fleet target's full dashboard as a screen over the overview: the single dashboard's panes on that target's controller."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import replace
from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer

from canary_tui.controller.model import Event, Snapshot
from canary_tui.ui import presenter
from canary_tui.ui.widgets.error_rate_pane import ErrorRatePane
from canary_tui.ui.widgets.events_log import EventsLog
from canary_tui.ui.widgets.gates_pane import GatesPane
from canary_tui.ui.widgets.header_bar import HeaderBar
from canary_tui.ui.widgets.heartbeat_pane import HeartbeatPane
from canary_tui.ui.widgets.latency_chart import LatencyChart
from canary_tui.ui.widgets.latency_pane import LatencyPane

#: the history's slots are 5 s: redrawing the chart faster shows nothing new
CHART_INTERVAL_S = 5.0


class TargetScreen(Screen[None]):
    """The panes of the single dashboard (app.tcss lays them out) for one target; Escape goes back to the overview.

    It reads nothing itself: the fleet app hands it the target's snapshots and events, and its keys
    (R, A, P, c) are the app's, acting on the target on show.
    """

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "app.pop_screen", "Overview")]

    def __init__(self, name: str, controller: Any) -> None:
        super().__init__()
        self.target = name
        self.controller = controller
        self.snapshot: Snapshot | None = None
        self._chart_at = float("-inf")
        self._chart_version = 0

    def compose(self) -> ComposeResult:
        """Header, heartbeat/errors/chart beside the gates, events and the footer (as the single dashboard)."""
        yield HeaderBar(id="header")
        with Horizontal(id="body"):
            with Vertical(id="left"):
                yield HeartbeatPane(id="heartbeat")
                yield ErrorRatePane(id="errors")
                yield LatencyPane(id="latency")
            yield GatesPane(id="gates")
        yield EventsLog(id="events")
        yield Footer()

    def on_mount(self) -> None:
        """Titles, size classes and the target's events so far."""
        self.query_one("#events", EventsLog).border_title = f"Events · {self.target}"
        self.query_one("#gates", GatesPane).border_title = "Gates"
        self._layout_classes()
        for event in list(getattr(self.controller, "events", ()) or ())[-200:]:
            self.add_event(event)

    def on_resize(self) -> None:
        """Same size classes as the single dashboard."""
        self._layout_classes()

    def _layout_classes(self) -> None:
        """-compact under 100×30, -wide from 160 columns, -tall from 45 rows."""
        width, height = self.app.size
        compact = width < 100 or height < 30
        self.set_class(compact, "-compact")
        gates = self.query_one("#gates", GatesPane)
        if gates.compact != compact and gates._view is not None:
            gates.show(gates._view, compact=compact)
        gates.compact = compact
        self.set_class(width >= 160, "-wide")
        self.set_class(height >= 45, "-tall")
        for footer in self.query(Footer):
            footer.compact = width < 120

    def add_event(self, event: Event) -> None:
        """One event of this target for the log."""
        self.query_one("#events", EventsLog).add(presenter.event_line(event))

    def show(self, snapshot: Snapshot, error_history: Iterable[float], *, blocked: str | None, in_flight: Iterable[str]) -> None:
        """Draw every pane from `snapshot`; the chart at most once per CHART_INTERVAL_S."""
        self.snapshot = snapshot
        view = replace(presenter.header_view(snapshot), environment=self.target)  # the target's name says which region
        if blocked and not view.blocked_reason:
            view = replace(view, blocked_reason=blocked)
        flying = ", ".join(sorted(in_flight))
        if flying and not view.action_in_flight:
            view = replace(view, action_in_flight=flying)
        self.query_one("#header", HeaderBar).show(view)
        self.query_one("#heartbeat", HeartbeatPane).show(presenter.heartbeat_view(snapshot))
        self.query_one("#errors", ErrorRatePane).show(presenter.error_rate_view(snapshot, error_history))
        self.query_one("#latency", LatencyPane).show_readout(presenter.latency_view(snapshot))
        self.query_one("#gates", GatesPane).show(presenter.gates_view(snapshot))
        now = asyncio.get_running_loop().time()
        if now - self._chart_at >= CHART_INTERVAL_S:
            self._draw_chart()

    @on(LatencyChart.Resized)
    def _chart_resized(self) -> None:
        """A new width needs a series downsampled to it."""
        if self.snapshot is not None:
            self._draw_chart()

    def _draw_chart(self) -> None:
        """Ask the controller for the series at the chart's width and plot it."""
        chart_of = getattr(self.controller, "chart", None)
        if not callable(chart_of):
            return
        self._chart_at = asyncio.get_running_loop().time()
        try:
            data = chart_of(self.query_one("#chart", LatencyChart).columns)
        except Exception as exc:  # noqa: BLE001 - a chart failure must not take the dashboard down
            self.log.error(f"chart failed: {exc!r}")
            return
        self._chart_version += 1
        thresholds = self.snapshot.thresholds if self.snapshot is not None else None
        self.query_one("#latency", LatencyPane).show_chart(presenter.chart_view(data, self._chart_version, thresholds=thresholds))
