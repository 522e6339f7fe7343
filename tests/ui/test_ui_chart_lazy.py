"""The chart says it is waiting, and loads plotext only once there is data to plot, after that frame is out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from canary_tui.controller.chart import EMPTY_CHART, ChartData
from canary_tui.ui.app import CanaryApp
from canary_tui.ui.latency_presenter import SERVICE_SERIES, VARIANT_SERIES
from canary_tui.ui.widgets.latency_chart import WAITING, LatencyChart
from ui_builders import FakeController, snapshot, until

BUNDLED = Path(__file__).resolve().parents[2] / "themes"


class NoDataYet(FakeController):
    """A controller whose history is empty until `plotting` is set."""

    plotting = False

    def chart(self, columns: int, fields: Sequence[str] | None = None) -> ChartData:
        if not self.plotting:
            self.chart_calls.append(columns)
            return EMPTY_CHART
        return super().chart(columns, fields)


async def test_no_data_no_plotext_then_data_draws() -> None:
    controller = NoDataYet(snapshot("healthy"))
    app = CanaryApp(controller, poll=False, theme_dirs=[BUNDLED])
    async with app.run_test(size=(120, 40)) as pilot:
        chart = app.query_one("#chart", LatencyChart)
        await until(pilot, lambda: bool(controller.chart_calls))
        await pilot.pause()
        assert chart._plot is None and chart.builds == 0
        assert any(WAITING in strip.text for strip in chart.render_lines(chart.region.reset_offset))
        controller.plotting = True
        app._draw_chart(chart)
        assert chart._plot is None  # not inside the handler that brought the data: after that frame
        await until(pilot, lambda: chart.builds > 0)
        assert chart._plot is not None and chart.builds == 1
        drawn = "\n".join(strip.text for strip in chart.render_lines(chart.region.reset_offset))
        assert WAITING not in drawn and "500" in drawn  # the 500 ms line's tick: a real plot


class ServiceOnly(FakeController):
    """A controller whose history holds only the whole-service latencies (a server that does not split by variant)."""

    def chart(self, columns: int, fields: Sequence[str] | None = None) -> ChartData:
        data = super().chart(columns)
        self.chart_fields[-1] = None if fields is None else tuple(fields)  # what the dashboard asked for
        service = tuple(replace(s, name=s.name.removeprefix("canary_")) for s in data.series if s.name.startswith("canary_"))
        return data if fields is None else replace(data, series=tuple(s for s in service if s.name in fields))


async def test_the_dashboard_asks_only_for_the_series_it_draws() -> None:
    """A redraw downsamples the canary and stable latencies and nothing else; without them, then the service's."""
    split = FakeController(snapshot("healthy"))
    app = CanaryApp(split, poll=False, theme_dirs=[BUNDLED])
    async with app.run_test(size=(120, 40)) as pilot:
        chart = app.query_one("#chart", LatencyChart)
        await until(pilot, lambda: chart._view is not None and bool(chart._view.series))
        assert split.chart_fields and set(split.chart_fields) == {VARIANT_SERIES}
        assert [s.label for s in chart._view.series][:3] == ["canary P50", "canary P95", "canary P99"]
    whole = ServiceOnly(snapshot("healthy"))
    app = CanaryApp(whole, poll=False, theme_dirs=[BUNDLED])
    async with app.run_test(size=(120, 40)) as pilot:
        chart = app.query_one("#chart", LatencyChart)
        await until(pilot, lambda: chart._view is not None and bool(chart._view.series))
        # the redraw that drew asked for the variants, then the service's (an earlier one may have given way to it)
        assert whole.chart_fields[-2:] == [VARIANT_SERIES, SERVICE_SERIES]
        assert set(whole.chart_fields) == {VARIANT_SERIES, SERVICE_SERIES}
        assert [s.label for s in chart._view.series] == ["P50", "P95", "P99"]
