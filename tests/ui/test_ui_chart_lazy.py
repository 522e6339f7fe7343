"""The chart says it is waiting, and loads plotext only once there is data to plot, after that frame is out."""

from __future__ import annotations

from pathlib import Path

from canary_tui.controller.chart import EMPTY_CHART, ChartData
from canary_tui.ui.app import CanaryApp
from canary_tui.ui.widgets.latency_chart import WAITING, LatencyChart
from ui_builders import FakeController, snapshot, until

BUNDLED = Path(__file__).resolve().parents[2] / "themes"


class NoDataYet(FakeController):
    """A controller whose history is empty until `plotting` is set."""

    plotting = False

    def chart(self, columns: int) -> ChartData:
        if not self.plotting:
            self.chart_calls.append(columns)
            return EMPTY_CHART
        return super().chart(columns)


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
