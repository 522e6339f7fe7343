"""ctrl+r end to end: from a text field and from the command palette, the seeded simulator over loopback HTTP lands at 0%."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from canary_tui.config import Config, EnvironmentConfig
from canary_tui.controller.factory import build_controller
from canary_tui.controller.model import ConnectionState
from canary_tui.core.plans import RampPlan, Stage
from canary_tui.mission.client import MissionClient, Timeouts
from canary_tui.mission.credentials import Secret
from canary_tui.ui.app import CanaryApp
from canary_tui.ui.screens.checkpoint_note import CheckpointNote
from ui_builders import until

BUNDLED = Path(__file__).resolve().parents[2] / "themes"
PLAN = RampPlan("test", (Stage(10, 3600.0), Stage(50, 3600.0), Stage(100, 3600.0)))
SIZE = (120, 40)


@asynccontextmanager
async def dashboard(simulator_factory) -> AsyncIterator[tuple[CanaryApp, object, object]]:
    """A simulator at 10%, a real controller and client on it, the app under Pilot; everything closed after."""
    sim = simulator_factory(scenario="healthy", faults=True, token="test-token", seed=7, initial_percent=10)
    client = MissionClient(sim.url, token=Secret("test-token"), timeouts=Timeouts(1.0, 2.0, 3.0))
    env = EnvironmentConfig(name="sim", url=sim.url, plan=PLAN, auto_advance=False, auto_rollback=False)
    controller = build_controller(env, Config(), client=client, audit=False)
    app = CanaryApp(controller, poll_interval_s=0.2, theme_dirs=[BUNDLED])
    try:
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: app.snapshot is not None and app.snapshot.connection == ConnectionState.LIVE)
            yield app, pilot, sim
        assert not app.crashed
    finally:
        await controller.aclose()
        await client.aclose()


async def test_ctrl_r_from_the_checkpoint_note_field_lands_zero(simulator_factory) -> None:
    async with dashboard(simulator_factory) as (app, pilot, sim):
        await pilot.press("c")
        await until(pilot, lambda: isinstance(app.screen, CheckpointNote))
        await pilot.press(*"half-typed R")
        assert sim.state.canary_percent == 10
        await pilot.press("ctrl+r")
        await until(pilot, lambda: sim.state.canary_percent == 0)
        assert sim.state.history[-1].percent == 0 and "(ctrl+r)" in (sim.state.history[-1].note or "")
        assert sim.state.checkpoints == []  # the half-typed note was never sent


async def test_ctrl_r_from_the_open_command_palette_lands_zero(simulator_factory) -> None:
    async with dashboard(simulator_factory) as (app, pilot, sim):
        await pilot.press("ctrl+p")
        await until(pilot, lambda: type(app.screen).__name__ == "CommandPalette")
        await pilot.press(*"Refresh")
        assert sim.state.canary_percent == 10
        await pilot.press("ctrl+r")
        await until(pilot, lambda: sim.state.canary_percent == 0)
        assert "(ctrl+r)" in (sim.state.history[-1].note or "")
