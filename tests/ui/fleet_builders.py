"""Fleet overview fixtures: four fake targets in named states, and a fake whose rollback waits to be released."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ui_builders import FakeController, snapshot

from canary_tui.controller.model import ActionResult, RampState, Snapshot
from canary_tui.ui.fleet_app import FleetApp

BUNDLED = Path(__file__).resolve().parents[2] / "themes"
NAMES = ("staging", "production/us-east-1", "production/eu-west-1", "production/ap-southeast-1")


def named(kind: str, name: str) -> Snapshot:
    """A named state of ui_builders, as target `name`."""
    return replace(snapshot(kind), environment=name)


def rolled_back(snap: Snapshot) -> Snapshot:
    """What a target looks like once its rollback was read back: 0%, rolled back."""
    hb = snap.heartbeat
    assert hb is not None
    zero = replace(hb, deployment=replace(hb.deployment, canary_percent=0))
    return replace(named("rolled-back", snap.environment), heartbeat=zero, deployment=zero.deployment, ramp=RampState.ROLLED_BACK)


@dataclass
class HeldRollbackController(FakeController):
    """A fake whose rollback stays in flight until `release` is set, then publishes the rolled-back state."""

    release: asyncio.Event | None = None

    async def rollback(self, trigger: Any, note: str | None = None) -> ActionResult:
        self.calls.append(("rollback", {"trigger": trigger, "note": note}))
        self.publish(replace(self.current, ramp=RampState.ROLLING_BACK, action_in_flight="rollback"))
        if self.release is not None:
            await self.release.wait()
        self.publish(rolled_back(self.current))
        return ActionResult("rollback", True, "rolled back to 0% (confirmed)", to_percent=0)


def fleet(kinds: dict[str, str] | None = None, *, held: bool = False, **options: Any) -> tuple[FleetApp, list[FakeController]]:
    """The overview on four fake targets (all healthy unless `kinds` says otherwise); no polling, bundled themes."""
    kinds = kinds or {}
    release = asyncio.Event() if held else None
    controllers: list[FakeController] = []
    for name in NAMES:
        snap = named(kinds.get(name, "healthy"), name)
        controller = HeldRollbackController(snap, environment=name, release=release) if held else FakeController(snap, environment=name)
        controllers.append(controller)
    app = FleetApp([(c.environment, c) for c in controllers], poll=False, theme_dirs=[BUNDLED], tick_interval_s=0, **options)
    return app, controllers
