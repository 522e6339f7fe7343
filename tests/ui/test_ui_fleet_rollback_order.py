"""The overview's R: the rollback's request leaves before the rows are redrawn, and the row says so right after.

Two seeded simulators over loopback HTTP, real controllers, the overview under Pilot (no polling after the first
poll and no ticking, so the only redraws are the ones R asks for).
"""

from __future__ import annotations

from pathlib import Path

from canary_tui.config import Config, EnvironmentConfig
from canary_tui.controller.factory import build_controller
from canary_tui.controller.model import ConnectionState
from canary_tui.mission.client import MissionClient, Timeouts
from canary_tui.mission.credentials import Secret
from canary_tui.ui.fleet_app import FleetApp
from ui_builders import SentWatcher, until

BUNDLED = Path(__file__).resolve().parents[2] / "themes"
NAMES = ("staging", "production/us-east-1")


async def test_R_on_the_overview_sends_before_the_rows_are_redrawn(simulator_factory) -> None:
    sims, clients, controllers = {}, [], []
    for index, name in enumerate(NAMES):
        sims[name] = simulator_factory(scenario="healthy", token="test-token", seed=7 + index, initial_percent=10)
        client = MissionClient(sims[name].url, token=Secret("test-token"), timeouts=Timeouts(1.0, 2.0, 3.0))
        clients.append(client)
        env = EnvironmentConfig(name=name, url=sims[name].url, auto_advance=False, auto_rollback=False)
        controllers.append((name, build_controller(env, Config(), client=client, audit=False)))
    app = FleetApp(controllers, poll_interval_s=60.0, tick_interval_s=0, theme_dirs=[BUNDLED])
    try:
        async with app.run_test(size=(160, 48)) as pilot:
            await until(pilot, lambda: all(s.snapshot is not None and s.snapshot.connection == ConnectionState.LIVE
                                           for s in app.targets.values()))
            await until(pilot, lambda: not app._render_pending)
            target = app.targets[app.selected]
            renders: list[str] = []
            render_fleet = app.render_fleet

            def counted() -> None:
                renders.append(target.note)
                render_fleet()

            app.render_fleet = counted
            watcher = SentWatcher(target.controller.runner.actuator, lambda: len(renders))
            target.controller.runner.actuator = watcher
            await pilot.press("R")
            await until(pilot, lambda: sims[target.name].state.canary_percent == 0)
            assert watcher.seen_at_sent[:1] == [0]  # nothing redrawn ahead of the request's write
            await until(pilot, lambda: target.note.startswith("✔"))
            assert renders and renders[0] == "↺ rolling back…"  # the first redraw after it says so
        assert not app.crashed
    finally:
        for _, controller in controllers:
            await controller.aclose()
        for client in clients:
            await client.aclose()
