"""`canary-tui ramp` as a subprocess: the seed's output, confirmation rules, the controller's stage check and rollback."""

from __future__ import annotations

import json

import pytest
from cli_harness import FAST_HEALTH, assert_clean, audit_lines, canary_tui, cli_env, write_config


@pytest.fixture
def simulator(simulator_factory):
    """The healthy simulator with faults and the test token, answering /api/health fast."""
    return simulator_factory(scenario="healthy", faults=True, token="test-token", seed=7, **FAST_HEALTH)


@pytest.fixture
def slow_health_simulator(simulator_factory):
    """The healthy simulator with its natural ~120 ms /api/health latency."""
    return simulator_factory(scenario="healthy", faults=True, token="test-token", seed=7)


def test_refuses_without_yes_when_stdin_is_not_a_tty(simulator, tmp_path):
    env = cli_env(tmp_path, write_config(tmp_path, simulator.url))
    done = canary_tui(["ramp", "staging", "10"], env)
    assert done.returncode == 1
    assert "pass --yes" in done.stderr
    assert simulator.state.canary_percent == 0 and simulator.state.counters["canary_posts"] == 0
    assert_clean(done)


def test_ramp_to_10_prints_the_seed_output_and_audits(simulator, tmp_path):
    env = cli_env(tmp_path, write_config(tmp_path, simulator.url))
    done = canary_tui(["ramp", "staging", "10", "--yes", "--probe", "5", "--settle", "1"], env)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    for expected in ("🚀 Ghost Recon Canary Ramp Controller", "📊 Stage 1: 10% Canary Deployment", "Setting canary to 10% in staging...",
                     "✅ Canary updated to 10%", "Checking metrics (watching for 1 s through the controller)...",
                     "Running P95 latency test (5 requests, open-loop at 20/s)...", "Current canary percentage: 10%"):
        assert expected in lines, (expected, lines)
    assert any(line.startswith("✅ Heartbeat OK - Response time: ") for line in lines)
    assert any(line.startswith("  ") and " Errors: " in line for line in lines)
    assert any(line.startswith("  P50 Latency: ") for line in lines) and any(line.startswith("  P99 Latency: ") for line in lines)
    assert any(line.startswith("P95 Latency: ") and line.endswith("ms") for line in lines)
    assert any(line.startswith("Decision: ") for line in lines)
    assert "set to 10%; evidence still accumulating — monitor for 2m" in lines
    assert simulator.state.canary_percent == 10 and simulator.state.history[-1].actor == "cli@test"
    records = audit_lines(tmp_path)
    assert [(r["action"], r["outcome"], r["trigger"]) for r in records] == [("set-percent", "attempt", "cli"), ("set-percent", "ok", "cli")]
    assert "test-token" not in json.dumps(records)
    assert_clean(done)


def test_json_output_is_one_parsable_object(simulator, tmp_path):
    env = cli_env(tmp_path, write_config(tmp_path, simulator.url))
    done = canary_tui(["ramp", "staging", "50", "--yes", "--probe", "3", "--settle", "1", "--json"], env)
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert doc["ok"] and doc["target_percent"] == 50 and doc["current_percent"] == 50 and doc["from_percent"] == 0
    assert doc["probe"]["n"] == 3 and doc["probe"]["p95_ms"] > 0 and doc["stage_check"] == {"ok": True, "failures": []}
    assert doc["decision"]["kind"] in ("inconclusive", "hold") and doc["outcome"] == "inconclusive"
    assert doc["probe"]["gate"]["status"] == "hold"  # 3 requests cannot show a P95: low data, never a pass


def test_failed_stage_check_rolls_back(slow_health_simulator, tmp_path):
    config = write_config(tmp_path, slow_health_simulator.url, extra="[thresholds]\np95_ms = [5, 750]\n")
    done = canary_tui(["ramp", "staging", "10", "--yes", "--probe", "4", "--settle", "1"], cli_env(tmp_path, config))
    assert done.returncode == 1
    assert "✖ probe P95 < 5 ms: 4/4 probe requests slower than 5 ms" in done.stdout and "Rolling back to 0%..." in done.stdout
    assert "stage check failed: " in done.stderr and "probe P95 < 5 ms" in done.stderr and "rolled back to 0%" in done.stderr
    assert slow_health_simulator.state.canary_percent == 0
    assert [c.percent for c in slow_health_simulator.state.history] == [10, 0]
    rollback = [r for r in audit_lines(tmp_path) if r["action"] == "rollback"]
    assert rollback[0]["trigger"] == "auto" and rollback[-1]["outcome"] == "ok"
    assert_clean(done)


def test_no_auto_rollback_reports_but_keeps_the_stage(slow_health_simulator, tmp_path):
    config = write_config(tmp_path, slow_health_simulator.url, extra="[thresholds]\np95_ms = [5, 750]\n")
    done = canary_tui(["ramp", "staging", "10", "--yes", "--probe", "4", "--settle", "1", "--no-auto-rollback", "--json"], cli_env(tmp_path, config))
    assert done.returncode == 1
    doc = json.loads(done.stdout)
    assert doc["stage_check"]["ok"] is False and doc["rolled_back"] is False
    assert "--no-auto-rollback" in done.stderr
    assert slow_health_simulator.state.canary_percent == 10


def test_percent_zero_is_the_emergency_rollback(simulator, tmp_path):
    simulator.state.set_canary(50, None, None, "", "someone")
    done = canary_tui(["ramp", "staging", "0", "--yes"], cli_env(tmp_path, write_config(tmp_path, simulator.url)))
    assert done.returncode == 0, done.stderr
    assert "🔄 Emergency Rollback: 0% Canary" in done.stdout and "Canary disabled. All traffic to stable." in done.stdout
    assert simulator.state.canary_percent == 0


def test_usage_and_config_errors_exit_2_without_traceback(simulator, tmp_path):
    env = cli_env(tmp_path, write_config(tmp_path, simulator.url))
    for args in (["ramp", "staging", "101", "--yes"], ["ramp", "staging", "ten"], ["ramp", "nowhere", "10", "--yes"], ["ramp"]):
        done = canary_tui(args, env)
        assert done.returncode == 2, (args, done.stderr)
        assert_clean(done)
    bad = tmp_path / "bad.toml"
    bad.write_text("[environments.staging]\nurl = 'http://example.com'\n")
    done = canary_tui(["ramp", "staging", "10", "--yes"], cli_env(tmp_path, bad))
    assert done.returncode == 2 and "config error" in done.stderr
    assert_clean(done)


def test_sequential_flag_runs_the_seeds_loop(simulator, tmp_path):
    env = cli_env(tmp_path, write_config(tmp_path, simulator.url))
    done = canary_tui(["ramp", "staging", "10", "--yes", "--probe", "3", "--settle", "0", "--sequential"], env)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert "Running P95 latency test (3 requests)..." in lines and "..." in lines
    assert simulator.state.counters["health"] == 3
    done = canary_tui(["ramp", "staging", "10", "--yes", "--probe", "3", "--settle", "0", "--json"], env)
    assert json.loads(done.stdout)["probe"]["method"] == "open-loop"


def test_help_documents_the_exit_codes(tmp_path):
    env = cli_env(tmp_path, None)
    ramp = canary_tui(["ramp", "--help"], env)
    status = canary_tui(["status", "--help"], env)
    assert ramp.returncode == 0 and status.returncode == 0
    flat_ramp, flat_status = " ".join(ramp.stdout.split()), " ".join(status.stdout.split())
    assert "exit codes: 0 set and the stage stands" in flat_ramp and "inconclusive with --strict" in flat_ramp and "--settle SECONDS" in flat_ramp
    assert "exit codes: 0 OK, 1 WARNING, 2 CRITICAL" in flat_status and "3 UNKNOWN" in flat_status and "--window SECONDS" in flat_status
