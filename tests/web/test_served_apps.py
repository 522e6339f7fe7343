"""The apps `serve` publishes (Textual Pilot, a real controller on a counting simulator): no mutating key or palette entry exists."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from web_harness import CountedSimulator

from canary_tui.config import Config, EnvironmentConfig
from canary_tui.controller.factory import build_controller
from canary_tui.core.actions import ACTIONS, FLEET_MUTATING_ACTIONS
from canary_tui.ui.commands_provider import CanaryCommands
from canary_tui.ui.serve_apps import ServedDashboard, ServedFleet

THEMES = Path(__file__).resolve().parents[2] / "themes"
#: every key the terminal dashboard binds to an action that changes a deployment
MUTATING_KEYS = sorted({key for spec in ACTIONS if spec.mutating for key in spec.keys})


@pytest.fixture(autouse=True)
def _isolated_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No crash log, theme or state outside tmp_path; no Mission Control token in the environment."""
    for name, sub in (("CANARY_TUI_CONFIG_DIR", "config"), ("CANARY_TUI_STATE_DIR", "state"), ("CANARY_TUI_LOG_DIR", "log")):
        monkeypatch.setenv(name, str(tmp_path / sub))
    monkeypatch.setenv("OPS_TOKEN", "must-not-be-used")


def _served_controller(sim: CountedSimulator, name: str = "staging") -> Any:
    """The controller `watch --served` builds: read-only, no token resolved."""
    env = EnvironmentConfig(name=name, url=sim.url)
    return build_controller(env, Config(), read_only=True, with_token=False, audit=False, store=False)


def _mutating_bindings(app: Any) -> list[str]:
    """Keys bound, anywhere in the app's map, to an action that changes a deployment."""
    return [key for key, bindings in app._bindings.key_to_bindings.items() for binding in bindings
            if binding.action.split("(")[0] in FLEET_MUTATING_ACTIONS]


async def _palette_titles(app: Any) -> list[str]:
    """What the command palette's canary provider offers now."""
    provider = CanaryCommands(app.screen)
    return [entry.title for entry in provider._available()]


async def test_the_served_dashboard_has_no_mutating_key_or_entry_and_its_keys_send_nothing(counted_simulators: Callable[..., CountedSimulator]) -> None:
    sim = counted_simulators()
    before = sim.deployment()
    controller = _served_controller(sim)
    assert controller.client.has_token is False  # the OPS_TOKEN in the environment was not even read
    app = ServedDashboard(controller, read_only=True, theme_dirs=[THEMES], poll_interval_s=0.1)
    async with app.run_test(size=(120, 40)) as pilot:
        for _ in range(200):
            if app.snapshot is not None and app.snapshot.heartbeat is not None:
                break
            await pilot.pause(0.02)
        assert app.snapshot is not None and app.snapshot.heartbeat is not None
        assert _mutating_bindings(app) == []
        assert not {"A", "P", "R", "ctrl+r", "c"} & {binding.key for binding in app.active_bindings.values() if binding.binding.action.split("(")[0] in FLEET_MUTATING_ACTIONS}
        titles = await _palette_titles(app)
        assert "Help: every key" in titles and not any(t.startswith(("Advance", "Pause", "Emergency", "Roll back", "Create")) for t in titles)
        for key in MUTATING_KEYS:
            await pilot.press(key)
        assert await app.run_action("rollback('palette')") is False  # refused by check_action, whatever calls it
        assert await app.run_action("advance") is False
        await pilot.pause(0.3)
        assert app.screen is app.dashboard  # no dialog opened
    await controller.aclose()
    assert sim.deployment() == before and sim.counter.posts == []


async def test_the_served_fleet_has_no_mutating_key_not_even_rollback_all(counted_simulators: Callable[..., CountedSimulator]) -> None:
    sims = {name: counted_simulators() for name in ("staging", "production")}
    controllers = [(name, _served_controller(sim, name)) for name, sim in sims.items()]
    app = ServedFleet(controllers, read_only=True, theme_dirs=[THEMES], poll_interval_s=0.1)
    async with app.run_test(size=(140, 40)) as pilot:
        for _ in range(200):
            if all(state.snapshot is not None for state in app.targets.values()):
                break
            await pilot.pause(0.02)
        assert _mutating_bindings(app) == []
        assert app.check_action("rollback_all", ()) is False
        titles = await _palette_titles(app)
        assert not any(t.startswith(("Advance", "Pause", "Emergency", "Roll back", "Create")) for t in titles)
        for key in MUTATING_KEYS:
            await pilot.press(key)
        await pilot.press("enter")  # the drill-down: still no mutating key there
        for key in MUTATING_KEYS:
            await pilot.press(key)
        await pilot.pause(0.3)
    for _, controller in controllers:
        await controller.aclose()
    for sim in sims.values():
        assert sim.counter.posts == []
        assert sim.deployment() == (10, True, "v0.5.0")
