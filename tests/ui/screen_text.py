"""The dashboard as the terminal shows it, as plain text lines, for tests that read what the operator reads."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ui_builders import FakeController

from canary_tui.ui.app import CanaryApp
from canary_tui.ui.widgets.latency_chart import LatencyChart

BUNDLED = Path(__file__).resolve().parents[2] / "themes"


def screen_lines(app: CanaryApp) -> list[str]:
    """Every row of the current screen, as plain text."""
    return [strip.text for strip in app.screen._compositor.render_strips()]


async def settled(pilot: Any) -> None:
    """Wait until the snapshot is drawn and the chart built (bounded)."""
    app = pilot.app
    for _ in range(300):
        if app.snapshot is not None and app.query_one("#chart", LatencyChart).builds >= 1:
            break
        await pilot.pause(0.01)
    await pilot.pause()
    await pilot.pause()
    assert app.snapshot is not None


def app_on(controller: FakeController, **kwargs: Any) -> CanaryApp:
    """A dashboard on a fake controller: no polling, bundled themes only."""
    return CanaryApp(controller, poll=False, theme_dirs=[BUNDLED], **kwargs)
