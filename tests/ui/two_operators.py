"""Two operators on one seeded simulator over loopback HTTP: operator 1 runs the dashboard, operator 2 a bare controller."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from canary_tui.controller.audit import AuditLog, read_audit
from canary_tui.controller.controller import RampController
from canary_tui.core.clock import Clock, SystemClock
from canary_tui.core.plans import RampPlan, Stage
from canary_tui.core.rules import SeedRollbackRule
from canary_tui.core.thresholds import ThresholdTable
from canary_tui.mission.actuators import ApiActuator
from canary_tui.mission.client import MissionClient, RetryPolicy, Timeouts
from canary_tui.mission.credentials import Secret
from canary_tui.ui.app import CanaryApp
from ui_builders import until

BUNDLED = Path(__file__).resolve().parents[2] / "themes"
TOKEN = "test-token"
PLAN = RampPlan("test", (Stage(10, 3600.0), Stage(50, 3600.0), Stage(100, 3600.0)))
SIZE = (120, 40)
CANARY_VERSION = "v0.5.0"  # the simulator's default canary


@dataclass
class Operators:
    """The app (operator 1, under Pilot), both controllers and the simulator they share."""

    app: CanaryApp
    pilot: Any
    sim: Any
    ctl1: RampController
    ctl2: RampController

    def audit1(self) -> list[dict[str, object]]:
        """Operator 1's audit records (less a checkpoint written by the harness)."""
        assert self.ctl1.audit is not None
        return [r for r in read_audit(self.ctl1.audit.path).records if r.get("checkpoint_id") != "ckpt-harness"]

    def notices(self) -> list[str]:
        """The toasts the dashboard showed, oldest first."""
        return [str(n.message) for n in self.app._notifications]


def make_controller(url: str, actor: str, clock: Clock, tmp_path: Path, *, token: str | None = TOKEN, checkpoint: bool = True,
                    read_s: float = 2.0) -> tuple[RampController, MissionClient]:
    """A real controller and client for `actor`, auditing under tmp_path (optionally with a checkpoint for the canary)."""
    client = MissionClient(url, token=Secret(token) if token else None, timeouts=Timeouts(1.0, read_s, read_s + 1.0),
                           retry=RetryPolicy(attempts=2, base_s=0.01, cap_s=0.02, jitter=False), clock=clock)
    audit = AuditLog("sim", path=tmp_path / f"{actor}.jsonl", clock=clock)
    if checkpoint:
        audit.record(actor=actor, action="checkpoint", outcome="ok", trigger="cli", note=f"pre-{CANARY_VERSION}",
                     checkpoint_id="ckpt-harness", canary_version=CANARY_VERSION)
    controller = RampController(
        environment="sim", plan=PLAN, client=client, actuator=ApiActuator(client, has_token=token is not None), actor=actor, clock=clock, audit=audit,
        thresholds=ThresholdTable.seed(), rules=(SeedRollbackRule(),), auto_rollback=False, rollback_backoff_s=(0.05, 0.1),
    )
    return controller, client


@asynccontextmanager
async def two_operators(simulator_factory, tmp_path: Path, *, initial_percent: int = 10, clock: Clock | None = None,
                        poll: bool = True, token1: str | None = TOKEN, checkpoint: bool = True, read_s: float = 2.0,
                        wait_live: bool = True, **sim_options: Any) -> AsyncIterator[Operators]:
    """oncall-1's dashboard and oncall-2's controller on one simulator; operator 1 has seen one heartbeat before the app starts."""
    sim = simulator_factory(scenario="healthy", faults=True, token=TOKEN, seed=7, initial_percent=initial_percent, **sim_options)
    clock = clock or SystemClock()
    ctl1, client1 = make_controller(sim.url, "oncall-1", clock, tmp_path, token=token1, checkpoint=checkpoint, read_s=read_s)
    ctl2, client2 = make_controller(sim.url, "oncall-2", clock, tmp_path, checkpoint=checkpoint)
    await ctl1.refresh()
    await ctl2.refresh()
    app = CanaryApp(ctl1, poll_interval_s=0.1, theme_dirs=[BUNDLED], poll=poll, tick_interval_s=0.05)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: app.snapshot is not None and (app.snapshot.heartbeat is not None or not wait_live))
            yield Operators(app, pilot, sim, ctl1, ctl2)
            sim.clear_faults()
            await ctl1.wait_idle()
            await until(pilot, lambda: not app.in_flight)
        assert not app.crashed
    finally:
        sim.clear_faults()
        for controller in (ctl1, ctl2):
            await controller.aclose()
        for client in (client1, client2):
            await client.aclose()
