"""A chart redraw under way gives way to R: the rollback's request leaves first, and the redraw goes on after it.

The real app and controller against the seeded simulator over loopback HTTP.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from canary_tui.config import Config, EnvironmentConfig
from canary_tui.controller.factory import build_controller
from canary_tui.controller.model import ConnectionState
from canary_tui.mission.client import MissionClient, Timeouts
from canary_tui.mission.credentials import Secret
from canary_tui.ui.app import CanaryApp
from canary_tui.ui.widgets.latency_chart import LatencyChart
from ui_builders import SentWatcher, until

BUNDLED = Path(__file__).resolve().parents[2] / "themes"


async def test_a_chart_redraw_under_way_gives_way_to_R(simulator_factory) -> None:
    sim = simulator_factory(scenario="healthy", faults=True, token="test-token", seed=7, initial_percent=10)
    client = MissionClient(sim.url, token=Secret("test-token"), timeouts=Timeouts(1.0, 2.0, 3.0))
    env = EnvironmentConfig(name="sim", url=sim.url, auto_advance=False, auto_rollback=False)
    controller = build_controller(env, Config(), client=client, audit=False)
    app = CanaryApp(controller, poll_interval_s=60.0, theme_dirs=[BUNDLED])
    try:
        async with app.run_test(size=(160, 48)) as pilot:
            chart = app.query_one("#chart", LatencyChart)
            await until(pilot, lambda: app.snapshot is not None and app.snapshot.connection == ConnectionState.LIVE)
            await until(pilot, lambda: chart._view is not None and bool(chart._view.series))
            shown = chart._view
            watcher = SentWatcher(controller.runner.actuator, lambda: chart._view)
            controller.runner.actuator = watcher
            steps_read: list[object] = []
            chart_steps = controller.chart_steps

            def counted(columns, fields=None):
                for step in chart_steps(columns, fields):
                    steps_read.append(step)
                    yield step

            controller.chart_steps = counted
            app.dashboard.draw_chart(chart)
            for _ in range(100):  # a few turns of the loop: until the redraw has read its first series
                if steps_read:
                    break
                await asyncio.sleep(0)
            assert steps_read == [None] and not app.dashboard._chart_redraw.done()  # under way, a series read
            await pilot.press("R")
            await until(pilot, lambda: sim.state.canary_percent == 0)
            assert watcher.seen_at_sent and watcher.seen_at_sent[0] is shown  # the request left before the redraw went on
            await until(pilot, lambda: chart._view is not shown)  # and the redraw went on once it had
            assert app.dashboard._chart_redraw.done() and steps_read[-1] is not None
        assert not app.crashed
    finally:
        await controller.aclose()
        await client.aclose()
