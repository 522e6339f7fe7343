"""The typed ports: the real controller and client, and the dashboard's fake controller, satisfy them.

The assignments are checked by mypy (`MYPYPATH=tests/ui:tests/controller mypy tests/controller/test_controller_ports.py`);
the isinstance checks catch a missing member at run time too.
"""

from __future__ import annotations

import sys
from pathlib import Path

from canary_tui.controller.controller import RampController
from canary_tui.controller.ports import ControllerClient, DashboardController
from canary_tui.core.clock import ManualClock
from canary_tui.mission.client import MissionClient

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "ui"))

from controller_harness import make_client, make_controller
from ui_builders import FakeController, snapshot


def test_the_dashboards_fake_controller_is_a_dashboard_controller() -> None:
    fake: DashboardController = FakeController(snapshot("healthy"))
    assert isinstance(fake, DashboardController)


async def test_the_real_controller_and_client_satisfy_the_ports(tmp_path: Path) -> None:
    clock = ManualClock()
    async with make_client("http://127.0.0.1:9", clock) as client:
        typed_client: ControllerClient = client
        assert isinstance(typed_client, MissionClient)
        controller: RampController = make_controller(client, clock, tmp_path)
        dashboard: DashboardController = controller
        assert isinstance(dashboard, DashboardController)
