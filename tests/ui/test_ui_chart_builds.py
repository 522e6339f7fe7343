"""The chart's plots are built in a separate process (the event loop stays free for R), and look the same as built in the app."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import signal
from pathlib import Path

from textual_plotext import Plot

from canary_tui.ui.app import CanaryApp
from canary_tui.ui.widgets.ansi_strips import ansi_strips
from canary_tui.ui.widgets.chart_builds import ChartBuilds
from canary_tui.ui.widgets.chart_plot import build_ansi
from canary_tui.ui.widgets.latency_chart import LatencyChart
from canary_tui.ui.widgets.view_models import ChartView
from ui_builders import FakeController, snapshot, until

BUNDLED = Path(__file__).resolve().parents[2] / "themes"


def _slower(view: ChartView, factor: float, version: int) -> ChartView:
    """The same view with every latency times `factor`: a plot that differs visibly (its axis grows)."""
    series = tuple(dataclasses.replace(s, values_ms=tuple(None if v is None else v * factor for v in s.values_ms)) for s in view.series)
    return dataclasses.replace(view, series=series, version=version)


def _rows(chart: LatencyChart) -> list[str]:
    return [strip.text for strip in chart.render_lines(chart.region.reset_offset)]


def _built_here(chart: LatencyChart) -> list[str]:
    """The current view built in this process on a fresh figure: what the worker's plot must equal."""
    return [strip.text for strip in ansi_strips(build_ansi(Plot(), chart._spec()), chart.size.width)][: chart.size.height]


async def _first_plot(pilot: object, app: CanaryApp) -> LatencyChart:
    chart = app.query_one("#chart", LatencyChart)
    await until(pilot, lambda: chart.builds > 0 and chart._view is not None and chart._view.series != ())
    return chart


async def test_a_redraw_goes_to_the_worker_and_shows_the_same_plot_as_built_in_the_app() -> None:
    builds = ChartBuilds()
    app = CanaryApp(FakeController(snapshot("healthy")), poll=False, theme_dirs=[BUNDLED], chart_builds=builds)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            chart = await _first_plot(pilot, app)
            assert builds.submitted == 0  # the first plot is built in the app: on screen with the first data
            first = _rows(chart)
            assert chart._view is not None
            old_key = chart._cache_key
            chart.show(_slower(chart._view, 4.0, 10_001))  # the build goes out at once; the old plot stays meanwhile
            assert builds.broken is None
            assert chart.building and chart._cache_key == old_key and builds.submitted == 1
            await until(pilot, lambda: not chart.building and chart._cache_key != old_key, timeout_s=30)
            await pilot.pause()
            assert _rows(chart) != first
            assert _rows(chart) == _built_here(chart)
    finally:
        builds.close()


async def test_the_worker_builds_at_a_lower_cpu_priority_than_the_app() -> None:
    builds = ChartBuilds()
    builds.start()
    try:
        app = CanaryApp(FakeController(snapshot("healthy")), poll=False, theme_dirs=[BUNDLED], chart_builds=builds)
        async with app.run_test(size=(80, 24)) as pilot:
            await until(pilot, lambda: bool(builds.worker_pids()), timeout_s=30)
            own = os.getpriority(os.PRIO_PROCESS, 0)
            await until(pilot, lambda: all(os.getpriority(os.PRIO_PROCESS, pid) > own for pid in builds.worker_pids()), timeout_s=30)
            if hasattr(os, "SCHED_IDLE"):  # Linux: a key press's wake-up takes the CPU from a build at once
                await until(pilot, lambda: all(os.sched_getscheduler(pid) == os.SCHED_IDLE for pid in builds.worker_pids()), timeout_s=30)
    finally:
        builds.close()


async def test_a_killed_worker_leaves_the_chart_drawing_in_the_app() -> None:
    builds = ChartBuilds()
    app = CanaryApp(FakeController(snapshot("healthy")), poll=False, theme_dirs=[BUNDLED], chart_builds=builds)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            chart = await _first_plot(pilot, app)
            await until(pilot, lambda: bool(builds.worker_pids()), timeout_s=30)
            for pid in builds.worker_pids():
                os.kill(pid, signal.SIGKILL)
            assert chart._view is not None
            chart.show(_slower(chart._view, 3.0, 20_001))
            chart.render_line(0)
            await until(pilot, lambda: builds.broken is not None and not chart.building, timeout_s=30)
            chart.show(_slower(chart._view, 5.0, 20_002))
            await pilot.pause()
            assert _rows(chart) == _built_here(chart)  # built in the app, at once
            assert not builds.worker_pids()
    finally:
        builds.close()


async def test_closing_stops_the_worker() -> None:
    builds = ChartBuilds()
    builds.start()
    app = CanaryApp(FakeController(snapshot("healthy")), poll=False, theme_dirs=[BUNDLED], chart_builds=builds)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: bool(builds.worker_pids()), timeout_s=30)
        pids = builds.worker_pids()
        builds.close()

        def gone() -> bool:
            for pid in pids:
                try:
                    os.kill(pid, 0)
                except ProcessLookupError:
                    continue
                try:
                    if os.waitpid(pid, os.WNOHANG)[0] == 0:
                        return False
                except ChildProcessError:
                    continue
            return True

        await until(pilot, gone, timeout_s=30)
    assert builds.worker_pids() == []


class Gated(FakeController):
    """A controller whose 'rollback sent' gate the test opens and closes (closed: a rollback waits to be sent)."""

    def __init__(self, current) -> None:
        super().__init__(current)
        self.gate = asyncio.Event()
        self.gate.set()

    async def until_rollback_sent(self) -> None:
        await self.gate.wait()


async def test_a_plot_back_from_the_worker_waits_while_a_rollback_waits_to_be_sent() -> None:
    """Turning the plot into strips costs the loop ~1 ms: it goes a few rows at a time, after R's request."""
    builds = ChartBuilds()
    controller = Gated(snapshot("healthy"))
    app = CanaryApp(controller, poll=False, theme_dirs=[BUNDLED], chart_builds=builds)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            chart = await _first_plot(pilot, app)
            assert chart._view is not None
            old_key = chart._cache_key
            controller.gate.clear()
            chart.show(_slower(chart._view, 4.0, 10_001))
            await until(pilot, lambda: chart._landing is not None, timeout_s=30)  # the plot is back from the worker
            await pilot.pause(0.1)
            assert chart.building and chart._cache_key == old_key  # held back: the last plot stays on screen
            controller.gate.set()
            await until(pilot, lambda: not chart.building and chart._cache_key != old_key)
            await pilot.pause()
            assert _rows(chart) == _built_here(chart)
    finally:
        builds.close()
