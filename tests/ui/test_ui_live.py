"""Every key path end to end: the real app, the real controller, the seeded simulator over loopback HTTP."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from textual.widgets import Input

from canary_tui.config import Config, EnvironmentConfig
from canary_tui.controller.factory import build_controller
from canary_tui.controller.model import ConnectionState
from canary_tui.core.plans import RampPlan, Stage
from canary_tui.mission.client import MissionClient, Timeouts
from canary_tui.mission.credentials import Secret
from canary_tui.ui.app import CanaryApp
from canary_tui.ui.screens.checkpoint_note import CheckpointNote
from canary_tui.ui.screens.confirm_advance import ConfirmAdvance
from ui_builders import until

BUNDLED = Path(__file__).resolve().parents[2] / "themes"
PLAN = RampPlan("test", (Stage(10, 3600.0), Stage(50, 3600.0), Stage(100, 3600.0)))
SIZE = (120, 40)


@asynccontextmanager
async def dashboard(simulator_factory, *, read_only: bool = False, **sim_options) -> AsyncIterator[tuple[CanaryApp, object, object]]:
    """A started simulator at 10%, a controller on it and the app under Pilot; everything closed after."""
    sim = simulator_factory(scenario="healthy", faults=True, token="test-token", seed=7, initial_percent=10, **sim_options)
    client = MissionClient(sim.url, token=Secret("test-token"), timeouts=Timeouts(1.0, 2.0, 3.0))
    env = EnvironmentConfig(name="sim", url=sim.url, plan=PLAN, auto_advance=False, auto_rollback=False)
    controller = build_controller(env, Config(), client=client, audit=False, read_only=read_only)
    app = CanaryApp(controller, read_only=read_only, poll_interval_s=0.2, theme_dirs=[BUNDLED])
    try:
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: app.snapshot is not None and app.snapshot.connection == ConnectionState.LIVE)
            yield app, pilot, sim
        assert not app.crashed
    finally:
        await controller.aclose()
        await client.aclose()


async def test_R_lands_zero_on_the_server(simulator_factory) -> None:
    async with dashboard(simulator_factory) as (app, pilot, sim):
        assert sim.state.canary_percent == 10
        await pilot.press("R")
        await until(pilot, lambda: sim.state.canary_percent == 0)
        assert sim.state.history[-1].percent == 0


async def test_A_cancel_leaves_the_server_alone(simulator_factory) -> None:
    async with dashboard(simulator_factory) as (app, pilot, sim):
        await pilot.press("A")
        await until(pilot, lambda: isinstance(app.screen, ConfirmAdvance))
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, ConfirmAdvance))
        await pilot.pause(0.3)
        assert sim.state.canary_percent == 10 and sim.state.history == []


async def test_A_confirm_with_typed_percent_lands_the_next_stage(simulator_factory) -> None:
    async with dashboard(simulator_factory) as (app, pilot, sim):
        await pilot.press("A")
        await until(pilot, lambda: isinstance(app.screen, ConfirmAdvance))
        screen = app.screen
        assert screen.needs_override  # the bake is not done: the gate holds
        screen.query_one("#override", Input).focus()
        await pilot.press("5", "0", "enter")
        await until(pilot, lambda: sim.state.canary_percent == 50)


async def test_P_pauses_and_resumes(simulator_factory) -> None:
    async with dashboard(simulator_factory) as (app, pilot, sim):
        await pilot.press("P")
        await until(pilot, lambda: sim.state.paused is True)
        await until(pilot, lambda: not app.in_flight and app.snapshot.heartbeat.deployment.paused)
        await pilot.press("P")
        await until(pilot, lambda: sim.state.paused is False)
        assert sim.state.canary_percent == 10


async def test_c_creates_a_checkpoint_with_the_note(simulator_factory) -> None:
    async with dashboard(simulator_factory) as (app, pilot, sim):
        await pilot.press("c")
        await until(pilot, lambda: isinstance(app.screen, CheckpointNote))
        await pilot.press(*"before-50", "enter")
        await until(pilot, lambda: len(sim.state.checkpoints) == 1)
        assert sim.state.checkpoints[0].note == "before-50"


async def test_read_only_refuses_every_mutating_key(simulator_factory) -> None:
    async with dashboard(simulator_factory, read_only=True) as (app, pilot, sim):
        for key in ("A", "P", "R", "c"):
            await pilot.press(key)
        await pilot.pause(0.5)
        assert sim.state.canary_percent == 10 and not sim.state.paused
        assert sim.state.history == [] and sim.state.checkpoints == []


async def test_R_while_the_confirm_modal_is_open(simulator_factory) -> None:
    async with dashboard(simulator_factory) as (app, pilot, sim):
        await pilot.press("A")
        await until(pilot, lambda: isinstance(app.screen, ConfirmAdvance))
        await pilot.press("R")
        await until(pilot, lambda: sim.state.canary_percent == 0)


async def test_R_goes_out_at_once_while_the_heartbeat_hangs(simulator_factory) -> None:
    async with dashboard(simulator_factory) as (app, pilot, sim):
        sim.inject_fault("delay", count=-1, seconds=10.0)
        refreshes_before = app.polls
        await pilot.pause(0.5)  # the next heartbeat is now in flight and hanging
        started = time.monotonic()
        await pilot.press("space")
        assert app.frozen  # keys react while the fetch hangs
        await pilot.press("R")
        await until(pilot, lambda: sim.state.canary_percent == 0, timeout_s=5.0)
        elapsed_s = time.monotonic() - started
        assert elapsed_s < 2.0, f"rollback took {elapsed_s:.2f} s behind a hanging heartbeat"
        assert app.polls <= refreshes_before + 1
        sim.clear_faults()


async def test_unreachable_then_recovers_by_itself(simulator_factory) -> None:
    async with dashboard(simulator_factory) as (app, pilot, sim):
        sim.inject_fault("drop", count=-1)
        await until(pilot, lambda: app.snapshot.connection in (ConnectionState.STALE, ConnectionState.UNREACHABLE))
        await pilot.pause(0.1)
        gates = str(app.query_one("#gates").render())
        heartbeat = str(app.query_one("#heartbeat").render())
        assert "HOLD" in gates
        assert ("STALE" in heartbeat or "UNREACHABLE" in heartbeat) and "old" in heartbeat
        sim.clear_faults()
        await until(pilot, lambda: app.snapshot.connection == ConnectionState.LIVE)
        await pilot.pause(0.1)
        assert "HOLD" not in str(app.query_one("#gates").render())
