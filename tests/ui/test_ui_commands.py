"""`watch` and `demo`: registered, usage errors exit 2 with one line, the demo's plan."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

from canary_tui.cli import build_parser
from canary_tui.commands.demo import demo_plan
from canary_tui.controller.model import RampState, Trigger
from ui_builders import FakeController, snapshot

CLI = [sys.executable, "-m", "canary_tui"]


def isolated(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CANARY_TUI_")}
    env.update(CANARY_TUI_CONFIG_DIR=str(tmp_path / "cfg"), CANARY_TUI_STATE_DIR=str(tmp_path / "state"), CANARY_TUI_LOG_DIR=str(tmp_path / "log"))
    return env


def test_watch_and_demo_are_registered() -> None:
    parser = build_parser()
    args = parser.parse_args(["watch", "staging", "--read-only"])
    assert args.targets == ["staging"] and args.read_only and callable(args.run)
    args = parser.parse_args(["demo", "--scenario", "error-spike", "--speed", "2"])
    assert args.scenario == "error-spike" and args.speed == 2.0 and not args.read_only


def test_watch_unknown_target_exits_2_without_traceback(tmp_path: Path) -> None:
    result = subprocess.run([*CLI, "watch", "nowhere"], capture_output=True, text=True, env=isolated(tmp_path), timeout=60)
    assert result.returncode == 2
    assert "nowhere" in result.stderr and "Traceback" not in result.stderr


def test_demo_rejects_a_bad_speed_and_scenario(tmp_path: Path) -> None:
    result = subprocess.run([*CLI, "demo", "--speed", "0"], capture_output=True, text=True, env=isolated(tmp_path), timeout=60)
    assert result.returncode == 2 and "--speed" in result.stderr and "Traceback" not in result.stderr
    result = subprocess.run([*CLI, "demo", "--scenario", "nope"], capture_output=True, text=True, env=isolated(tmp_path), timeout=60)
    assert result.returncode == 2 and "Traceback" not in result.stderr


def test_demo_plan_is_compressed_and_scales_with_speed() -> None:
    plan = demo_plan()
    assert [s.percent for s in plan.stages] == [10, 50, 100]
    assert sum(s.bake_s for s in plan.stages) <= 180
    assert demo_plan(3.0).stages[0].bake_s == 15.0
