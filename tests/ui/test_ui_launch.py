"""Start-up: the first poll goes out before the app, so a quick server is live in the very first frame."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest

from canary_tui.config import Config, EnvironmentConfig
from canary_tui.controller.factory import build_controller
from canary_tui.controller.model import ConnectionState
from canary_tui.mission.client import MissionClient, Timeouts
from canary_tui.ui import launch
from canary_tui.ui.app import CanaryApp
from ui_builders import FakeController, snapshot, until

BUNDLED = Path(__file__).resolve().parents[2] / "themes"


async def test_the_app_takes_over_a_finished_first_poll_without_polling_again() -> None:
    controller = FakeController(snapshot())
    first = asyncio.ensure_future(controller.refresh())
    await first
    app = CanaryApp(controller, poll_interval_s=60.0, theme_dirs=[BUNDLED], first_poll=first)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: app.polls == 1)
        assert app.snapshot is controller.current
        assert controller.refreshes == 1  # the loop awaited the given poll; its next one is 60 s away


async def test_a_slow_first_poll_carries_on_inside_the_app() -> None:
    controller = FakeController(snapshot(), hang_refresh=asyncio.Event())
    first = asyncio.ensure_future(controller.refresh())
    app = CanaryApp(controller, poll_interval_s=60.0, theme_dirs=[BUNDLED], first_poll=first)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(0.1)
        assert app.polls == 0 and not first.done()
        controller.hang_refresh.set()
        await until(pilot, lambda: app.polls == 1)
        assert controller.refreshes == 1


@pytest.fixture
def recorded_start(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """run_dashboard with an app that records what it was handed and leaves at once."""
    seen: dict[str, Any] = {}

    async def run_async(self: CanaryApp) -> None:
        seen["first_poll"] = self._first_poll
        seen["done_at_start"] = self._first_poll is not None and self._first_poll.done()
        seen["started_at"] = time.monotonic()

    monkeypatch.setattr(CanaryApp, "run_async", run_async)
    return seen


async def _run(sim: Any, recorded: dict[str, Any]) -> float:
    client = MissionClient(sim.url, timeouts=Timeouts(1.0, 5.0, 5.0))
    env = EnvironmentConfig(name="sim", url=sim.url, auto_advance=False, auto_rollback=False)
    holder: dict[str, Any] = {}

    def make() -> Any:
        holder["controller"] = build_controller(env, Config(), client=client, audit=False, read_only=True)
        return holder["controller"]

    started = time.monotonic()
    assert await launch.run_dashboard(make, close=client.aclose, theme_dirs=[BUNDLED]) == 0
    return recorded["started_at"] - started


async def test_a_quick_server_is_live_before_the_app_starts(simulator_factory, recorded_start, monkeypatch) -> None:
    monkeypatch.setattr(launch, "FIRST_SNAPSHOT_WAIT_S", 10.0)  # "quick" whatever the load on this machine
    sim = simulator_factory(scenario="healthy", seed=7, initial_percent=10)
    await _run(sim, recorded_start)
    assert recorded_start["done_at_start"]
    snapshot = recorded_start["first_poll"].result()
    assert snapshot.connection == ConnectionState.LIVE and snapshot.heartbeat.deployment.canary_percent == 10


async def test_a_hanging_server_holds_the_first_frame_back_only_briefly(simulator_factory, recorded_start) -> None:
    sim = simulator_factory(scenario="healthy", seed=7, faults=True)
    sim.inject_fault("delay", count=-1, seconds=3.0)
    waited_s = await _run(sim, recorded_start)
    assert not recorded_start["done_at_start"]
    assert launch.FIRST_SNAPSHOT_WAIT_S <= waited_s < launch.FIRST_SNAPSHOT_WAIT_S + 1.5
    assert recorded_start["first_poll"].cancelled()  # the app left before taking it over: nothing dangles
    sim.clear_faults()
