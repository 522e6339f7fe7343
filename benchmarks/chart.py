"""Figure 2: chart redraw cost with 5 min, 1 h, 24 h and 72 h of 1 s samples.

One redraw = the dashboard's own DashboardScreen.redraw_chart (the series it draws, downsampled
to the chart's width, as a view with a new data version) + LatencyChart.plot_strips(), which
rebuilds the plotext figure — what the dashboard does on new data.
The app runs headless (App.run_test, 160x48, no polling); CPU time of this thread per
redraw, the cases interleaved round by round, median per case.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from benchmarks import Figure, at_most, median, reported
from benchmarks._feed import offline_controller

CASES: tuple[tuple[str, int], ...] = (("5 min", 300), ("1 h", 3600), ("24 h", 86_400), ("72 h", 259_200))
THEMES = Path(__file__).resolve().parents[1] / "themes"


async def _measure(quick: bool) -> dict[str, list[float]]:
    from canary_tui.ui.app import CanaryApp
    from canary_tui.ui.widgets.latency_chart import LatencyChart

    step_s = 5 if quick else 1  # the history keeps 5 s slots: 5 s samples fill the same slots
    rounds, repeats = (2, 5) if quick else (5, 20)
    controllers = {label: offline_controller(seconds, step_s)[0] for label, seconds in CASES}
    costs: dict[str, list[float]] = {label: [] for label, _ in CASES}
    for _ in range(rounds):
        for label, _seconds in CASES:
            controller = controllers[label]
            app = CanaryApp(controller, poll=False, theme_dirs=[THEMES], read_only=True)
            async with app.run_test(size=(160, 48)) as pilot:
                await pilot.pause()
                chart = app.query_one("#chart", LatencyChart)
                for _ in range(repeats):
                    started = time.thread_time()
                    await app.dashboard.redraw_chart(chart)
                    chart.plot_strips()
                    costs[label].append(time.thread_time() - started)
    return costs


def run(quick: bool) -> list[Figure]:
    costs = asyncio.run(_measure(quick))
    ms = {label: median(values) * 1000 for label, values in costs.items()}
    base = ms["5 min"]
    listing = ", ".join(f"{label} {value:.1f} ms" for label, value in ms.items())
    detail = f"median CPU ms per redraw at 160x48 ({len(costs['5 min'])} redraws per case): {listing}"
    figures = [at_most("chart redraw: 72 h / 5 min of history", ms["72 h"] / base, 1.2, "x", detail)]
    for label in ("1 h", "24 h"):
        figures.append(reported(f"chart redraw: {label} / 5 min of history", ms[label] / base, "x", "same run as above"))
    return figures
