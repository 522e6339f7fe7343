"""`releases` and `report` as subprocesses on a release the controller rolled back over real HTTP (simulator)."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from cli_harness import FAST_HEALTH, assert_clean, audit_lines, canary_tui, cli_env, fixed_rates, write_config


@pytest.fixture
def rolled_back(simulator_factory, tmp_path):
    """checkpoint, then `ramp 10` into a canary failing 30% of its requests: the controller rolls it back by itself."""
    sim = simulator_factory(scenario="healthy", token="test-token", seed=7, **FAST_HEALTH)
    fixed_rates(sim, canary_error_rate=0.3)
    env = cli_env(tmp_path, write_config(tmp_path, sim.url))
    done = canary_tui(["checkpoint", "staging", "--note", "before v-next"], env)
    assert done.returncode == 0, done.stderr
    done = canary_tui(["ramp", "staging", "10", "--yes", "--probe", "3", "--settle", "8"], env)
    assert done.returncode == 1, (done.stdout, done.stderr)
    assert sim.state.canary_percent == 0
    return sim, env


def test_report_of_a_rolled_back_release_names_trigger_metrics_and_checkpoint(rolled_back, tmp_path):
    sim, env = rolled_back
    records = audit_lines(tmp_path)
    checkpoint_id = next(r["checkpoint_id"] for r in records if r["action"] == "checkpoint" and r["outcome"] == "ok")
    auto = [r for r in records if r["action"] == "rollback" and r["outcome"] == "ok"]
    assert auto and auto[-1]["trigger"] == "auto", auto
    at_trigger = auto[-1]["at_trigger"]  # the metrics when the rollback was asked for: the failing gate or the trip, and the counts
    assert (at_trigger.get("failing_gates") or at_trigger.get("trips")) and at_trigger["window_canary_errors"] > 0, at_trigger
    version = auto[-1]["canary_version"]

    listed = canary_tui(["releases", "staging", "--json"], env)
    assert listed.returncode == 0, listed.stderr
    rows = json.loads(listed.stdout)
    assert rows[0]["canary_version"] == version and rows[0]["outcome"] == "rolled back" and rows[0]["checkpoint_id"] == checkpoint_id

    out = tmp_path / "incident.md"
    done = canary_tui(["report", "staging", "--out", str(out)], env)
    assert done.returncode == 0, done.stderr
    markdown = out.read_text()
    assert markdown.startswith(f"# [INCIDENT] Rollback from {version}\n")
    assert "**Trigger**: auto — rolled back by cli@test from 10%" in markdown and "**Reason**: ramp stage check failed" in markdown
    assert "### Metrics at the trigger" in markdown and "| window_canary_errors | " in markdown and "| gate canary errors failing |" in markdown
    assert checkpoint_id in markdown and "## Before / after" in markdown and "## Audit excerpt" in markdown
    assert f"gh issue create --title '[INCIDENT] Rollback from {version}' --body-file {out}" in done.stderr
    assert_clean(done)


def test_report_json_validates_against_the_documented_schema(rolled_back, tmp_path):
    _sim, env = rolled_back
    done = canary_tui(["report", "staging", "--format", "json"], env)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    schema = json.loads((Path(__file__).parents[2] / "docs" / "report-schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.validate(report, schema)
    assert report["release"]["outcome"] == "rolled back" and report["incident"]["checkpoint_id"]
    canary = report["comparison"]["columns"][1]
    assert canary["name"] == "canary 10%" and canary["samples"] > 0
    assert canary["figures"]["error_rate"]["level"] == "critical"  # 30% errors: the Wilson interval is far above 5%
    assert report["success_rate"] == {"last": 10, "completed": 0, "rolled_back": 1, "rate": 0.0}
    bad = dict(report, success_rate={"last": 10})
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, schema)


def test_report_without_a_release_exits_1(tmp_path, simulator_factory):
    env = cli_env(tmp_path, write_config(tmp_path, "http://127.0.0.1:9"))
    done = canary_tui(["report", "staging"], env)
    assert done.returncode == 1 and "no release of staging in its audit log" in done.stderr
    assert_clean(done)
