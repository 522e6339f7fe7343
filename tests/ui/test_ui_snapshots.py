"""Screenshots of the dashboard in each state, the confirm dialog and each theme, at 80×24 and 160×48."""

from __future__ import annotations

from pathlib import Path

import pytest

from canary_tui.ui.app import CanaryApp
from canary_tui.ui.widgets.latency_chart import LatencyChart
from ui_builders import FakeController, snapshot

BUNDLED = Path(__file__).resolve().parents[2] / "themes"
SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((160, 48), id="160x48")]
STATES = ["healthy", "warning", "critical", "stale", "unreachable", "paused", "rolled-back", "low-data"]
THEMES = ["canary-dark", "canary-light", "canary-high-contrast", "canary-colourblind"]


def app_for(kind: str, theme: str = "canary-dark", **kwargs) -> CanaryApp:
    """A dashboard on a fixed snapshot: no polling, no live clock, bundled themes only."""
    return CanaryApp(FakeController(snapshot(kind)), theme=theme, poll=False, theme_dirs=[BUNDLED], **kwargs)


async def settled(pilot) -> None:
    """Wait until the snapshot is drawn and the chart built (bounded)."""
    app = pilot.app
    for _ in range(200):
        if app.snapshot is not None and app.query_one("#chart", LatencyChart).builds >= 1:
            break
        await pilot.pause(0.01)
    await pilot.pause()
    assert app.snapshot is not None


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("kind", STATES)
def test_state(snap_compare, kind: str, size: tuple[int, int]) -> None:
    assert snap_compare(app_for(kind), terminal_size=size, run_before=settled)


@pytest.mark.parametrize("size", SIZES)
def test_read_only(snap_compare, size: tuple[int, int]) -> None:
    assert snap_compare(app_for("healthy", read_only=True), terminal_size=size, run_before=settled)


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("kind", ["eligible", "critical"])
def test_confirm_dialog(snap_compare, kind: str, size: tuple[int, int]) -> None:
    async def open_dialog(pilot) -> None:
        await settled(pilot)
        await pilot.press("A")
        await pilot.pause()

    assert snap_compare(app_for(kind), terminal_size=size, run_before=open_dialog)


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("theme", THEMES)
def test_theme(snap_compare, theme: str, size: tuple[int, int]) -> None:
    assert snap_compare(app_for("critical", theme=theme), terminal_size=size, run_before=settled)


def test_help_screen(snap_compare) -> None:
    async def open_help(pilot) -> None:
        await settled(pilot)
        await pilot.press("question_mark")
        await pilot.pause()

    assert snap_compare(app_for("healthy"), terminal_size=(80, 24), run_before=open_help)
