"""The fleet from the command line: staging plus production in 3 regions, 4 simulators over real HTTP on loopback.

status of several targets (worst exit code), rollback of every region in parallel, the promotion pipeline guard
on ramp (and its audited override), ramp of every region, and audit filtered by target.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from cli_harness import FAST_HEALTH, TOKEN, assert_clean, audit_lines, canary_tui, cli_env, fixed_rates

REGIONS = ("us-east-1", "eu-west-1", "ap-southeast-1")
REGION_TARGETS = [f"production/{r}" for r in REGIONS]
ALL_TARGETS = ["staging", *REGION_TARGETS]
STABLE_ERROR_RATE = 0.0005
#: how long a test waits for a condition (a bake to pass) before failing
WAIT_S = 30.0


def write_fleet_config(tmp_path: Path, sims: dict[str, Any], production_extra: str = "") -> Path:
    """staging (1 s bakes) and production after staging, its regions a table of loopback URLs."""
    path = tmp_path / "config.toml"
    regions = "".join(f'{r} = "{sims[f"production/{r}"].url}"\n' for r in REGIONS)
    path.write_text(
        'actor = "cli@test"\n'
        "[plans.tiny]\n"
        'stages = [{ percent = 10, bake = "1s" }, { percent = 50, bake = "1s" }, { percent = 100, bake = "1s" }]\n'
        "[plans.quick]\n"
        'stages = [{ percent = 10, bake = "2m" }, { percent = 50, bake = "2m" }, { percent = 100, bake = "2m" }]\n'
        "[environments.staging]\n"
        f'url = "{sims["staging"].url}"\n'
        'plan = "tiny"\n'
        "read_timeout_s = 1.0\n"
        "[environments.production]\n"
        'plan = "quick"\n'
        'after = "staging"\n'
        "read_timeout_s = 1.0\n"
        f"{production_extra}\n"
        "[environments.production.regions]\n"
        f"{regions}"
    )
    return path


@pytest.fixture
def fleet(simulator_factory):
    """`fleet(percent=0, speed=50, **by_target)`: one started simulator per target, each on its own loopback port."""

    def make(percent: int = 0, speed: float = 50) -> dict[str, Any]:
        return {
            target: simulator_factory(scenario="healthy", faults=True, token=TOKEN, seed=41 + i, speed=speed,
                                      initial_percent=percent, environment=target.split("/")[0], **FAST_HEALTH)
            for i, target in enumerate(ALL_TARGETS)
        }

    return make


def test_status_all_json_lists_every_target_and_exits_with_the_worst_level(fleet, tmp_path):
    sims = fleet(percent=10, speed=1000)
    for target, sim in sims.items():
        fixed_rates(sim, canary_error_rate=0.5 if target == "production/eu-west-1" else STABLE_ERROR_RATE,
                    stable_error_rate=STABLE_ERROR_RATE)
    env = cli_env(tmp_path, write_fleet_config(tmp_path, sims))
    done = canary_tui(["status", "--all", "--window", "2", "--json"], env, timeout_s=120)
    docs = json.loads(done.stdout)
    assert [d["target"] for d in docs] == ALL_TARGETS
    levels = {d["target"]: d["level"] for d in docs}
    assert levels["production/eu-west-1"] == "critical", levels
    assert all(level in ("ok", "unknown") for target, level in levels.items() if target != "production/eu-west-1"), levels
    assert done.returncode == 2 and all(d["exit_code"] == (2 if d["level"] == "critical" else d["exit_code"]) for d in docs)
    assert_clean(done)
    text = canary_tui(["status", "production", "--window", "1"], env, timeout_s=120)
    lines = text.stdout.splitlines()
    assert [line.split(": ")[0].split(" - ")[1] for line in lines] == REGION_TARGETS, lines
    assert lines[1].startswith("CANARY CRITICAL - production/eu-west-1: canary 10% (v0.5.0)"), lines
    assert len(lines) == 3 and text.returncode == 2


def test_rollback_production_rolls_back_every_region_in_parallel_and_leaves_staging(fleet, tmp_path):
    sims = fleet(percent=50)
    env = cli_env(tmp_path, write_fleet_config(tmp_path, sims))
    done = canary_tui(["rollback", "production", "--note", "incident 42", "--json"], env)
    assert done.returncode == 0, done.stderr
    docs = json.loads(done.stdout)
    assert [d["target"] for d in docs] == REGION_TARGETS and all(d["ok"] and d["environment"] == "production" for d in docs)
    assert [sims[t].state.canary_percent for t in REGION_TARGETS] == [0, 0, 0]
    assert sims["staging"].state.canary_percent == 50
    # read back by another command: every region shows 0%
    status = json.loads(canary_tui(["status", "production", "--window", "0.5", "--json"], env).stdout)
    assert [d["canary_percent"] for d in status] == [0, 0, 0]
    for target in REGION_TARGETS:
        records = audit_lines(tmp_path, target.replace("/", "_"))
        assert records[-1]["outcome"] == "ok" and records[-1]["target"] == target and records[-1]["environment"] == "production"
    assert_clean(done)


def test_rollback_of_two_servers_on_one_host_by_url_rolls_back_both(fleet, tmp_path):
    """Ad-hoc URL targets are named by host and port: once named by host alone, the second was dropped and 0 returned."""
    sims = fleet(percent=50)
    urls = [sims[t].url for t in REGION_TARGETS[:2]]
    env = cli_env(tmp_path, None)  # no config: the URLs alone, with OPS_TOKEN
    done = canary_tui(["rollback", *urls, "--json"], env)
    assert done.returncode == 0, done.stderr
    docs = json.loads(done.stdout)
    assert [d["target"] for d in docs] == [url.removeprefix("http://") for url in urls] and all(d["ok"] for d in docs)
    assert [sims[t].state.canary_percent for t in REGION_TARGETS] == [0, 0, 50]
    assert_clean(done)


def test_rollback_exits_1_when_one_region_refuses_and_the_others_still_land(fleet, tmp_path):
    sims = fleet(percent=50)
    sims["production/eu-west-1"].inject_fault("status", count=-1, paths=["/api/ghost/canary"], status=401)
    env = cli_env(tmp_path, write_fleet_config(tmp_path, sims))
    done = canary_tui(["rollback", "production", "--timeout", "20"], env)
    assert done.returncode == 1
    assert [sims[t].state.canary_percent for t in REGION_TARGETS] == [0, 50, 0]
    assert "✅ production/us-east-1: rolled back to 0%" in done.stdout and "✅ production/ap-southeast-1" in done.stdout
    assert "canary-tui: production/eu-west-1: rollback failed" in done.stderr
    assert "2 of 3 targets rolled back to 0% (confirmed by read-back)" in done.stdout
    assert "rollback not confirmed for: production/eu-west-1" in done.stderr
    assert_clean(done)
    every = canary_tui(["rollback", "--all", "--timeout", "20"], env)
    assert every.returncode == 1 and sims["staging"].state.canary_percent == 0


def _ramp(env: dict[str, str], target: str, percent: int, *extra: str):
    return canary_tui(["ramp", target, str(percent), "--yes", "--settle", "0", "--probe", "0", *extra], env)


def test_pipeline_guard_refuses_production_until_staging_completes_and_the_override_is_audited(fleet, tmp_path):
    sims = fleet(percent=0)
    env = cli_env(tmp_path, write_fleet_config(tmp_path, sims))
    refused = _ramp(env, "production/us-east-1", 10)
    assert refused.returncode == 1
    assert "promotion pipeline: staging has not completed v0.5.0: staging at 0%" in refused.stderr
    assert "Canary not changed (refused)" in refused.stdout and "Failed" not in refused.stdout
    assert sims["production/us-east-1"].state.canary_percent == 0
    assert_clean(refused)

    override = _ramp(env, "production/eu-west-1", 10, "--override-pipeline", "--note", "hotfix")
    assert sims["production/eu-west-1"].state.canary_percent == 10, override.stderr
    done = [r for r in audit_lines(tmp_path, "production_eu-west-1") if r["action"] == "set-percent" and r["outcome"] == "ok"]
    assert done and done[-1]["override"] is True and done[-1]["note"] == "hotfix (override)"
    assert done[-1]["pipeline_override"] == "staging has not completed v0.5.0: staging at 0%"

    assert _ramp(env, "staging", 100).returncode in (0, 1)  # set; its stage judgment is not this test's
    staging = sims["staging"].state
    assert staging.canary_percent == 100
    halfway = _ramp(env, "production/us-east-1", 10)
    if halfway.returncode == 1:  # within staging's 1 s bake: refused for the bake, not the percent
        assert "staging at 100%, bake" in halfway.stderr or "staging at 100%" in halfway.stderr
    deadline = time.monotonic() + WAIT_S
    while time.time() < staging.updated_at_s + 1.0 and time.monotonic() < deadline:  # staging's last bake is met
        time.sleep(0.05)
    allowed = _ramp(env, "production/us-east-1", 10)
    assert sims["production/us-east-1"].state.canary_percent == 10, allowed.stderr
    assert "promotion pipeline" not in allowed.stderr
    records = [r for r in audit_lines(tmp_path, "production_us-east-1") if r["action"] == "set-percent" and r["outcome"] == "ok"]
    assert records and "override" not in records[-1]

    # a rollback of staging since: production may not go further
    assert canary_tui(["rollback", "staging"], env).returncode == 0
    again = _ramp(env, "production/us-east-1", 50)
    assert again.returncode == 1 and "staging has not completed v0.5.0: staging at 0%" in again.stderr
    assert sims["production/us-east-1"].state.canary_percent == 10


def test_ramp_env_ramps_every_region_in_order_and_audit_filters_by_target(fleet, tmp_path):
    sims = fleet(percent=0)
    sims["staging"].state.set_canary(100, None, None, "", "alice")
    env = cli_env(tmp_path, write_fleet_config(tmp_path, sims))
    deadline = time.monotonic() + WAIT_S
    while time.time() < sims["staging"].state.updated_at_s + 1.0 and time.monotonic() < deadline:
        time.sleep(0.05)
    done = canary_tui(["ramp", "production", "10", "--yes", "--settle", "0", "--probe", "0", "--json"], env, timeout_s=120)
    docs = json.loads(done.stdout)
    assert [d["target"] for d in docs] == REGION_TARGETS and all(d["updated"] for d in docs), done.stderr
    assert [sims[t].state.canary_percent for t in REGION_TARGETS] == [10, 10, 10]
    assert canary_tui(["rollback", "staging"], env).returncode == 0

    def audit(*target: str) -> list[dict[str, Any]]:
        out = canary_tui(["audit", *target, "--json"], env)
        assert out.returncode == 0, out.stderr
        return [json.loads(line) for line in out.stdout.splitlines()]

    assert {r["target"] for r in audit("production")} == set(REGION_TARGETS)
    assert {r["target"] for r in audit("production/eu-west-1")} == {"production/eu-west-1"}
    assert {r["target"] for r in audit("staging")} == {"staging"}
    assert {r["target"] for r in audit()} == {"staging", *REGION_TARGETS}
    text = canary_tui(["audit", "production/us-east-1"], env)
    assert all(" production/us-east-1 cli@test " in line for line in text.stdout.splitlines())


def test_ramp_env_with_waves_stops_at_the_region_whose_previous_region_has_not_baked(fleet, tmp_path):
    sims = fleet(percent=0)
    sims["staging"].state.set_canary(100, None, None, "", "alice")
    env = cli_env(tmp_path, write_fleet_config(tmp_path, sims, production_extra="waves = true"))
    deadline = time.monotonic() + WAIT_S
    while time.time() < sims["staging"].state.updated_at_s + 1.0 and time.monotonic() < deadline:
        time.sleep(0.05)
    done = canary_tui(["ramp", "production", "10", "--yes", "--settle", "0", "--probe", "0"], env, timeout_s=120)
    assert done.returncode == 1
    assert [sims[t].state.canary_percent for t in REGION_TARGETS] == [10, 0, 0]
    assert "waves: production/us-east-1 has not baked 10% of v0.5.0" in done.stderr
    assert "ramp stopped at production/eu-west-1; not ramped: production/ap-southeast-1" in done.stderr
