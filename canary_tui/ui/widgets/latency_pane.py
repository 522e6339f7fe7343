"""The latency pane: the chart, its legend, and the current percentiles with their levels beside it."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical

from canary_tui.ui.widgets.chart_builds import ChartBuilds
from canary_tui.ui.widgets.chart_legend import ChartLegend
from canary_tui.ui.widgets.latency_chart import GiveWay, LatencyChart
from canary_tui.ui.widgets.latency_readout import LatencyReadout
from canary_tui.ui.widgets.view_models import ChartView, LatencyView

TITLE = "Latency ms · canary vs stable"


class LatencyPane(Vertical):
    """Readout docked beside the chart (above it on small terminals: see app.tcss), legend under the chart."""

    DEFAULT_CSS = """
    LatencyPane > #readout { dock: right; width: 33; height: 1fr; }
    LatencyPane > #legend { dock: bottom; }
    """

    def __init__(self, *, chart_builds: ChartBuilds | None = None, give_way: GiveWay | None = None, id: str | None = None) -> None:
        super().__init__(id=id)
        self.chart_builds = chart_builds
        self.give_way = give_way
        self.border_title = TITLE

    def compose(self) -> ComposeResult:
        """Readout and legend dock; the chart takes the rest."""
        yield LatencyReadout(id="readout")
        yield ChartLegend(id="legend")
        yield LatencyChart(builds=self.chart_builds, give_way=self.give_way, id="chart")

    def show_readout(self, view: LatencyView) -> None:
        """The current percentiles and their levels."""
        self.query_one(LatencyReadout).show(view)

    def show_chart(self, view: ChartView) -> None:
        """Plot `view` and say what its colours, shapes and lines mean."""
        self.query_one(LatencyChart).show(view)
        self.query_one(ChartLegend).show(view)
