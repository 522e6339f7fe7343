"""Screenshots of the fleet overview at 80×24 and 160×48: all healthy, one critical, one stale, during and after rollback-all."""

from __future__ import annotations

import pytest
from fleet_builders import fleet
from ui_builders import until

from canary_tui.controller.target_verdict import TargetVerdict

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((160, 48), id="160x48")]
STATES = {
    "all-healthy": {},
    "one-critical": {"production/eu-west-1": "critical"},
    "one-stale": {"production/ap-southeast-1": "stale"},
}


async def drawn(pilot) -> None:
    """Wait until every target's row is drawn with its latest news (bounded)."""
    app = pilot.app
    await until(pilot, lambda: len(app.rows) == 4 and app.selection_settled and not app.redraw_pending)
    await pilot.pause()


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("state", list(STATES))
def test_fleet_state(snap_compare, state: str, size: tuple[int, int]) -> None:
    app, _ = fleet(STATES[state])
    assert snap_compare(app, terminal_size=size, run_before=drawn)


@pytest.mark.parametrize("size", SIZES)
def test_fleet_rollback_all_confirmation(snap_compare, size: tuple[int, int]) -> None:
    async def confirm(pilot) -> None:
        await drawn(pilot)
        await pilot.press("X")
        await pilot.pause()

    app, _ = fleet({"production/eu-west-1": "critical"})
    assert snap_compare(app, terminal_size=size, run_before=confirm)


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("phase", ["during", "after"])
def test_fleet_rollback_all(snap_compare, phase: str, size: tuple[int, int]) -> None:
    app, controllers = fleet({"production/eu-west-1": "critical"}, held=True)

    async def rollback_all(pilot) -> None:
        await drawn(pilot)
        await pilot.press("X", "y")
        await until(pilot, lambda: all(state.in_flight for state in app.targets.values()))
        await until(pilot, lambda: all(row.verdict is TargetVerdict.CRITICAL for row in app.rows) and not app.redraw_pending)
        if phase == "after":
            controllers[0].release.set()  # type: ignore[attr-defined]
            await until(pilot, lambda: all(row.verdict is TargetVerdict.ROLLED_BACK for row in app.rows) and not any(s.in_flight for s in app.targets.values()))
        await until(pilot, lambda: not app.redraw_pending)
        await pilot.pause()  # the footer's dimmed keys follow the in-flight state

    assert snap_compare(app, terminal_size=size, run_before=rollback_all)


@pytest.mark.parametrize("size", SIZES)
def test_fleet_drill_down(snap_compare, size: tuple[int, int]) -> None:
    async def open_target(pilot) -> None:
        await drawn(pilot)
        await pilot.press("enter")
        await until(pilot, lambda: getattr(pilot.app.screen, "snapshot", None) is not None)
        await pilot.pause()

    app, _ = fleet({"production/eu-west-1": "critical"})
    assert snap_compare(app, terminal_size=size, run_before=open_target)
