"""Run canary-tui as a subprocess against an in-process simulator, with an isolated config and state dir."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

TOKEN = "test-token"
ANSI = "\x1b["


#: /api/health answers in ~2 ms instead of ~120 ms: probe P95s far below 500 ms even on a loaded machine
FAST_HEALTH = {"health_latency_scale": 0.02}


def write_config(tmp_path: Path, url: str, extra: str = "", env_extra: str = "") -> Path:
    """A config with one environment `staging` on `url`, a quick plan and actor cli@test."""
    path = tmp_path / "config.toml"
    path.write_text(
        'actor = "cli@test"\n'
        f"{extra}\n"
        "[plans.quick]\n"
        'stages = [{ percent = 10, bake = "2m" }, { percent = 50, bake = "2m" }, { percent = 100, bake = "2m" }]\n'
        "[environments.staging]\n"
        f'url = "{url}"\n'
        'plan = "quick"\n'
        "read_timeout_s = 1.0\n"
        f"{env_extra}\n"
    )
    return path


def cli_env(tmp_path: Path, config: Path | None, **extra: str) -> dict[str, str]:
    """Environment for the child: isolated dirs, the token, no colour unless a test asks."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CANARY_TUI_", "NO_COLOR", "OPS_TOKEN", "HEARTBEAT_SECRET"))}
    env.update(CANARY_TUI_STATE_DIR=str(tmp_path / "state"), CANARY_TUI_CONFIG_DIR=str(tmp_path / "cfg"), OPS_TOKEN=TOKEN)
    if config is not None:
        env["CANARY_TUI_CONFIG"] = str(config)
    env.update(extra)
    return env


def canary_tui(args: list[str], env: dict[str, str], timeout_s: float = 60.0, stdin: str | None = "") -> subprocess.CompletedProcess[str]:
    """`python -m canary_tui ARGS` with stdin from a pipe (never a TTY)."""
    return subprocess.run([sys.executable, "-m", "canary_tui", *args], capture_output=True, text=True, env=env,
                          timeout=timeout_s, input=stdin)


def audit_lines(tmp_path: Path, environment: str = "staging") -> list[dict[str, Any]]:
    """The audit records the child wrote."""
    path = tmp_path / "state" / "audit" / f"{environment}.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def assert_clean(done: subprocess.CompletedProcess[str]) -> None:
    """No traceback and no colour codes (stdout is a pipe)."""
    assert "Traceback" not in done.stderr and "Traceback" not in done.stdout
    assert ANSI not in done.stdout and ANSI not in done.stderr


def fixed_rates(server: Any, *, canary_error_rate: float, stable_error_rate: float = 0.0005) -> None:
    """Make a started simulator's canary and stable fail at fixed rates, forever (its healthy latency kept).

    Set before the first heartbeat: the scenario is a test's, the traffic stays seeded.
    """
    from canary_tui.simulator.scenarios import BASELINE, Scenario
    from canary_tui.simulator.traffic import VariantProfile

    stable = VariantProfile(stable_error_rate, BASELINE.median_ms, BASELINE.sigma)
    canary = VariantProfile(canary_error_rate, BASELINE.median_ms, BASELINE.sigma)

    class FixedRates(Scenario):
        name = "fixed-rates"

        def profiles(self, second: int, anchors: Any) -> tuple[VariantProfile, VariantProfile]:
            return stable, canary

    server.state.scenario = FixedRates(server.options.seed)
