"""The fleet overview end to end: four seeded simulators over loopback HTTP, real controllers, the app under Pilot."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from ui_builders import until

from canary_tui.config import Config, EnvironmentConfig
from canary_tui.controller.factory import build_controller
from canary_tui.controller.model import ConnectionState
from canary_tui.controller.target_verdict import TargetVerdict
from canary_tui.core.plans import RampPlan, Stage
from canary_tui.mission.client import MissionClient, Timeouts
from canary_tui.mission.credentials import Secret
from canary_tui.ui.fleet_app import FleetApp
from canary_tui.ui.screens.confirm_rollback_all import ConfirmRollbackAll

BUNDLED = Path(__file__).resolve().parents[2] / "themes"
PLAN = RampPlan("test", (Stage(10, 3600.0), Stage(50, 3600.0), Stage(100, 3600.0)))
NAMES = ("staging", "production/us-east-1", "production/eu-west-1", "production/ap-southeast-1")
#: every wait is bounded: well above a poll (0.2 s) and a request's total timeout (3 s)
WAIT_S = 15.0
#: what a hung request costs before its total timeout: anything waiting behind it would take longer than this
UNDER_THE_HANG_S = 2.5


@asynccontextmanager
async def fleet_of_four(simulator_factory) -> AsyncIterator[tuple[FleetApp, Any, dict[str, Any]]]:
    """Four simulators at 10%, one controller each, the overview under Pilot; everything closed after."""
    sims: dict[str, Any] = {}
    clients: list[MissionClient] = []
    controllers: list[tuple[str, Any]] = []
    for index, name in enumerate(NAMES):
        sim = simulator_factory(scenario="healthy", faults=True, token="test-token", seed=7 + index, initial_percent=10)
        sims[name] = sim
        client = MissionClient(sim.url, token=Secret("test-token"), timeouts=Timeouts(1.0, 2.0, 3.0))
        clients.append(client)
        env = EnvironmentConfig(name=name, url=sim.url, plan=PLAN, auto_advance=False, auto_rollback=False)
        controllers.append((name, build_controller(env, Config(), client=client, audit=False)))
    app = FleetApp(controllers, poll_interval_s=0.2, theme_dirs=[BUNDLED])
    try:
        async with app.run_test(size=(160, 48)) as pilot:
            await until(pilot, lambda: all(s.snapshot is not None and s.snapshot.connection == ConnectionState.LIVE for s in app.targets.values()), WAIT_S)
            yield app, pilot, sims
        assert not app.crashed
    finally:
        for sim in sims.values():
            sim.clear_faults()  # releases hung requests
        for _, controller in controllers:
            await controller.aclose(abandon_rollback=True)
        for client in clients:
            await client.aclose()


async def select(pilot: Any, app: FleetApp, name: str) -> None:
    """Move the selection to `name` with the arrow keys (bounded)."""
    for _ in range(2 * len(NAMES)):
        if app.selected == name:
            return
        names = [row.name for row in app.rows]
        await pilot.press("down" if names.index(name) > names.index(app.selected) else "up")
    assert app.selected == name


async def test_a_hung_target_holds_back_neither_R_on_another_nor_the_other_rows(simulator_factory) -> None:
    async with fleet_of_four(simulator_factory) as (app, pilot, sims):
        hung, target = "production/eu-west-1", "production/us-east-1"
        sims[hung].inject_fault("hang", count=-1)  # stops answering: every heartbeat request hangs until cleared
        hung_polls = app.targets[hung].polls
        await pilot.pause(0.3)  # its current poll is now stuck in the hang
        before = {name: app.targets[name].polls for name in NAMES}
        await select(pilot, app, target)
        await pilot.press("R")
        # R landed, read back, and the others polled three times, all before the hung request could even time out
        await until(pilot, lambda: sims[target].state.canary_percent == 0, UNDER_THE_HANG_S)
        await until(pilot, lambda: app.targets[target].note.startswith("✔"), UNDER_THE_HANG_S)
        await until(pilot, lambda: all(app.targets[name].polls >= before[name] + 3 for name in NAMES if name != hung), UNDER_THE_HANG_S)
        assert app.targets[hung].polls <= hung_polls + 1
        await until(pilot, lambda: next(r for r in app.rows if r.name == hung).verdict in (TargetVerdict.STALE, TargetVerdict.UNREACHABLE), WAIT_S)
        assert next(r for r in app.rows if r.name == target).verdict is TargetVerdict.ROLLED_BACK
        assert all(sims[name].state.canary_percent == 10 for name in NAMES if name != target)


async def test_rollback_all_leaves_all_four_at_zero_confirmed_by_read_back(simulator_factory) -> None:
    async with fleet_of_four(simulator_factory) as (app, pilot, sims):
        await pilot.press("X")
        await until(pilot, lambda: isinstance(app.screen, ConfirmRollbackAll))
        assert len(app.screen.lines) == 4  # type: ignore[attr-defined]
        assert all(sim.state.canary_percent == 10 for sim in sims.values())  # nothing before the confirmation
        await pilot.press("y")
        await until(pilot, lambda: all(sim.state.canary_percent == 0 for sim in sims.values()), WAIT_S)
        await until(pilot, lambda: all(state.note.startswith("✔") and not state.in_flight for state in app.targets.values()), WAIT_S)
        await until(pilot, lambda: all(row.verdict is TargetVerdict.ROLLED_BACK for row in app.rows), WAIT_S)
        for name, sim in sims.items():  # read back independently of the controllers
            async with MissionClient(sim.url, timeouts=Timeouts(1.0, 2.0, 3.0)) as reader:
                heartbeat = await reader.heartbeat()
            assert heartbeat.deployment.canary_percent == 0, name
