"""The dashboard with notifications attached: R rolls back at once, the receiver hears it, the event log on screen says so."""

from __future__ import annotations

import sys
from pathlib import Path

from canary_tui.config import EnvironmentConfig, config_from_dict
from canary_tui.controller.factory import build_controller
from canary_tui.controller.model import ConnectionState
from canary_tui.core.plans import RampPlan, Stage
from canary_tui.mission.client import MissionClient, Timeouts
from canary_tui.mission.credentials import Secret
from canary_tui.notify.attach import Notifications
from canary_tui.ui.app import CanaryApp

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "ui"))
from screen_text import screen_lines
from ui_builders import until

BUNDLED = Path(__file__).resolve().parents[2] / "themes"
PLAN = RampPlan("test", (Stage(10, 3600.0), Stage(50, 3600.0), Stage(100, 3600.0)))


async def test_R_with_a_hanging_receiver_rolls_back_and_the_event_log_shows_each_delivery(simulator_factory, receiver) -> None:
    sim = simulator_factory(scenario="healthy", token="test-token", seed=7, initial_percent=10)
    config = config_from_dict({"actor": "ops@test", "notify": [{"url": receiver.url("ok")}, {"url": receiver.url("hang")}],
                               "notifications": {"timeout_s": 1, "retries": 0}})
    notifications = Notifications(config)
    client = MissionClient(sim.url, token=Secret("test-token"), timeouts=Timeouts(1.0, 2.0, 3.0))
    env = EnvironmentConfig(name="sim", url=sim.url, plan=PLAN, auto_advance=False, auto_rollback=False)
    controller = build_controller(env, config, client=client, audit=False)
    notifications.attach(controller, env)
    app = CanaryApp(controller, poll_interval_s=0.2, theme_dirs=[BUNDLED])
    try:
        async with app.run_test(size=(140, 45)) as pilot:
            await until(pilot, lambda: app.snapshot is not None and app.snapshot.connection == ConnectionState.LIVE)
            await pilot.press("R")
            await until(pilot, lambda: sim.state.canary_percent == 0)
            assert not receiver.release.is_set()  # landed whatever the hanging receiver does
            await until(pilot, lambda: any("notify rollback-confirmed" in line and "/ok: sent" in line for line in screen_lines(app)))
            await until(pilot, lambda: any(e.kind == "notify" and "/hang: failed" in e.message for e in controller.events), timeout_s=10)
        assert not app.crashed
    finally:
        receiver.release.set()
        await notifications.aclose(drain_s=5)
        await controller.aclose()
        await client.aclose()
    (message,) = receiver.fields("ok")
    assert message["event"] == "rollback-confirmed" and message["actor"] == "ops@test" and message["stage"] == "10% (stage 1 of 3)"
