"""The checkpoint note belongs to the canary version on show when it opened: a new version meanwhile sends nothing."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from canary_tui.ui.app import CanaryApp
from canary_tui.ui.screens.checkpoint_note import CheckpointNote
from ui_builders import FakeController, snapshot, until

BUNDLED = Path(__file__).resolve().parents[2] / "themes"


async def test_a_new_canary_version_under_the_checkpoint_dialog_makes_it_invalid() -> None:
    controller = FakeController(snapshot("healthy"))
    app = CanaryApp(controller, poll=False, theme_dirs=[BUNDLED])
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: app.snapshot is not None)
        await pilot.press("c")
        await until(pilot, lambda: isinstance(app.screen, CheckpointNote))
        dialog = app.screen
        await pilot.press(*"pre-v0.5.0")
        snap = controller.current
        newer = replace(snap.heartbeat.deployment, canary_version="v0.6.0", updated_by="oncall-2")
        controller.publish(replace(snap, heartbeat=replace(snap.heartbeat, deployment=newer), deployment=newer))
        await until(pilot, lambda: dialog.stale_reason is not None)
        assert "oncall-2" in dialog.stale_reason and "v0.5.0 → v0.6.0" in dialog.stale_reason
        await pilot.press("enter")
        await pilot.pause(0.1)
        assert app.screen is dialog and controller.calls == []


async def test_a_percent_change_does_not_matter_to_a_checkpoint() -> None:
    controller = FakeController(snapshot("healthy"))
    app = CanaryApp(controller, poll=False, theme_dirs=[BUNDLED])
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: app.snapshot is not None)
        await pilot.press("c")
        await until(pilot, lambda: isinstance(app.screen, CheckpointNote))
        await pilot.press(*"pre-v0.5.0")
        snap = controller.current
        moved = replace(snap.heartbeat.deployment, canary_percent=50)
        controller.publish(replace(snap, heartbeat=replace(snap.heartbeat, deployment=moved), deployment=moved))
        await pilot.pause(0.1)
        await pilot.press("enter")
        await until(pilot, lambda: [name for name, _ in controller.calls] == ["checkpoint"])
