"""The fleet's commands: `watch A B` and `--all` open the overview (one target the single view); `simulator --fleet` serves four targets."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from canary_tui.cli import build_parser
from canary_tui.mission.client import MissionClient, Timeouts

CONFIG = """
[environments.staging]
url = "https://staging.mc.example"

[environments.production]
url = "https://prod.mc.example"
"""

REGIONS = """
[environments.staging]
url = "https://staging.mc.example"

[environments.production]
url = "https://mission-{region}.example"
regions = ["us-east-1", "eu-west-1"]
after = "staging"
"""


@pytest.fixture
def launched(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """A config with two environments; the dashboard and the overview replaced by recorders of what they were given."""
    path = tmp_path / "config.toml"
    path.write_text(CONFIG)
    seen: dict[str, Any] = {"config": path}

    async def fake_fleet(make_controllers: Any, **options: Any) -> int:
        controllers = make_controllers()
        seen["fleet"] = [name for name, _ in controllers]
        seen["guarded"] = [name for name, controller in controllers if controller.advance_guard is not None]
        for _, controller in controllers:
            await controller.client.aclose()
        return 0

    async def fake_dashboard(make_controller: Any, *, close: Any = None, **options: Any) -> int:
        controller = make_controller()
        seen["single"] = options.get("environment_label")
        seen["guarded"] = controller.advance_guard is not None
        if close is not None:
            await close()
        return 0

    import canary_tui.ui.launch as launch

    monkeypatch.setattr(launch, "run_fleet", fake_fleet)
    monkeypatch.setattr(launch, "run_dashboard", fake_dashboard)
    return seen


def _watch(seen: dict[str, Any], *argv: str) -> int:
    args = build_parser().parse_args(["--config", str(seen["config"]), "watch", *argv])
    return int(args.run(args))


def test_several_targets_open_the_overview_in_command_line_order(launched: dict[str, Any]) -> None:
    assert _watch(launched, "production", "staging") == 0
    assert launched["fleet"] == ["production", "staging"] and "single" not in launched


def test_all_opens_every_configured_target(launched: dict[str, Any]) -> None:
    assert _watch(launched, "--all") == 0
    assert launched["fleet"] == ["staging", "production"]


def test_one_target_is_the_single_dashboard_as_before(launched: dict[str, Any]) -> None:
    assert _watch(launched, "staging") == 0
    assert launched["single"] == "staging" and "fleet" not in launched


def test_an_environment_with_regions_opens_the_overview_of_its_regions_each_under_the_pipeline(launched: dict[str, Any]) -> None:
    launched["config"].write_text(REGIONS)
    assert _watch(launched, "production") == 0
    assert launched["fleet"] == ["production/us-east-1", "production/eu-west-1"]
    assert launched["guarded"] == ["production/us-east-1", "production/eu-west-1"]  # production follows staging


def test_one_region_alone_is_the_single_dashboard_under_the_pipeline(launched: dict[str, Any]) -> None:
    launched["config"].write_text(REGIONS)
    assert _watch(launched, "production/eu-west-1") == 0
    assert launched["single"] == "production/eu-west-1" and launched["guarded"] is True


def test_an_unknown_target_among_several_exits_2(launched: dict[str, Any]) -> None:
    assert _watch(launched, "staging", "nowhere") == 2
    assert "fleet" not in launched


def test_simulator_fleet_serves_four_targets_on_their_own_ports(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CANARY_TUI_")} | {"CANARY_TUI_CONFIG_DIR": str(tmp_path)}
    proc = subprocess.Popen([sys.executable, "-m", "canary_tui", "simulator", "--fleet", "--port", "0", "--seed", "3"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        lines: list[str] = []
        assert proc.stdout is not None
        while not lines or not lines[-1].startswith("Press Ctrl+C"):
            line = proc.stdout.readline()
            assert line, proc.stderr.read() if proc.stderr else "no output"
            lines.append(line.strip())
        targets = {line.split()[0]: line.split(" at ")[1] for line in lines if " at http" in line}
        assert list(targets) == ["staging", "production/us-east-1", "production/eu-west-1", "production/ap-southeast-1"]
        assert len(set(targets.values())) == 4
        assert "error-spike" in next(line for line in lines if line.startswith("production/eu-west-1"))

        async def read_all() -> dict[str, tuple[str, int]]:
            out = {}
            for name, url in targets.items():
                async with MissionClient(url, timeouts=Timeouts(1.0, 2.0, 3.0)) as client:
                    heartbeat = await client.heartbeat()
                out[name] = (heartbeat.deployment.environment, heartbeat.deployment.canary_percent)
            return out

        seen = asyncio.run(read_all())
        assert seen["staging"] == ("staging", 50)
        assert all(seen[name] == ("production", 10) for name in targets if name != "staging")
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            assert proc.wait(timeout=15) == 0
        finally:
            if proc.poll() is None:
                proc.kill()
