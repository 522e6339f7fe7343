"""`ramp` and `status` read the controller's decision: a subprocess against the seeded simulator over real HTTP.

The simulator's canary and stable fail at fixed rates (cli_harness.fixed_rates); its speed gives each
window enough requests for the levels to speak from their intervals.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import pytest
from cli_harness import FAST_HEALTH, assert_clean, audit_lines, canary_tui, cli_env, fixed_rates, write_config

STABLE_ERROR_RATE = 0.0005
STATUS_RUNS = 30
STATUS_PARALLEL = 6


def _sim(simulator_factory, canary_error_rate: float, *, speed: float, percent: int = 0, seed: int = 31):
    server = simulator_factory(scenario="healthy", faults=True, token="test-token", seed=seed, speed=speed,
                               initial_percent=percent, **FAST_HEALTH)
    fixed_rates(server, canary_error_rate=canary_error_rate, stable_error_rate=STABLE_ERROR_RATE)
    return server


@pytest.mark.parametrize("canary_error_rate", [0.50, 0.03], ids=["50pct", "3pct"])
def test_ramp_rolls_back_a_bad_canary_and_confirms(simulator_factory, tmp_path, canary_error_rate):
    sim = _sim(simulator_factory, canary_error_rate, speed=50)
    env = cli_env(tmp_path, write_config(tmp_path, sim.url))
    done = canary_tui(["ramp", "staging", "10", "--yes", "--settle", "2", "--probe", "0", "--json"], env)
    doc = json.loads(done.stdout)
    assert done.returncode == 1, (doc, done.stderr)
    assert doc["rolled_back"] is True and doc["current_percent"] == 0 and doc["stage_check"]["ok"] is False
    assert doc["levels"]["canary_errors"] == "critical"
    assert sim.state.canary_percent == 0
    assert [c.percent for c in sim.state.history] == [10, 0]
    rollback = [r for r in audit_lines(tmp_path) if r["action"] == "rollback"]
    assert rollback and rollback[-1]["outcome"] == "ok"  # confirmed by a trusted read-back
    assert "rolled back to 0%" in done.stderr
    assert_clean(done)


def test_ramp_on_a_healthy_canary_stands_and_says_evidence_is_accumulating(simulator_factory, tmp_path):
    sim = _sim(simulator_factory, STABLE_ERROR_RATE, speed=50)
    env = cli_env(tmp_path, write_config(tmp_path, sim.url))
    done = canary_tui(["ramp", "staging", "10", "--yes", "--settle", "2", "--probe", "100", "--rate", "200"], env)
    assert done.returncode == 0, (done.stdout, done.stderr)
    assert "set to 10%; evidence still accumulating — monitor for 2m" in done.stdout.splitlines()
    assert "✔ probe P95 < 500 ms" in done.stdout  # 0 of 100 slower: the probe's gate passes on its interval
    assert sim.state.canary_percent == 10 and [c.percent for c in sim.state.history] == [10]
    assert_clean(done)
    strict = canary_tui(["ramp", "staging", "10", "--yes", "--settle", "1", "--probe", "0", "--strict"], env)
    assert strict.returncode == 1 and "(--strict)" in strict.stderr
    assert sim.state.canary_percent == 10


@pytest.mark.parametrize(("canary_error_rate", "settle_s"), [(STABLE_ERROR_RATE, "2"), (0.50, "4")], ids=["healthy", "50pct"])
def test_ramp_json_decision_is_the_status_json_decision(simulator_factory, tmp_path, canary_error_rate, settle_s):
    sim = _sim(simulator_factory, canary_error_rate, speed=100)
    env = cli_env(tmp_path, write_config(tmp_path, sim.url))
    ramp = canary_tui(["ramp", "staging", "10", "--yes", "--settle", settle_s, "--probe", "0", "--no-auto-rollback", "--json"], env)
    status = canary_tui(["status", "staging", "--window", settle_s, "--json"], env)
    ramp_decision, status_decision = json.loads(ramp.stdout)["decision"], json.loads(status.stdout)["decision"]
    assert sim.state.canary_percent == 10  # nothing rolled back: both judged the same state
    assert ramp_decision is not None and status_decision is not None
    assert set(ramp_decision) == set(status_decision) == {"kind", "reason", "fallback", "evidence"}
    assert ramp_decision["kind"] == status_decision["kind"] == ("rollback" if canary_error_rate > 0.05 else "inconclusive")
    assert ramp_decision["fallback"] == status_decision["fallback"]
    assert set(ramp_decision["evidence"]) == set(status_decision["evidence"])
    if canary_error_rate < 0.05:  # no count in the reason: the same words
        assert ramp_decision["reason"] == status_decision["reason"]
    assert status.returncode == (2 if canary_error_rate > 0.05 else 0), status.stdout


@pytest.mark.parametrize(("canary_error_rate", "expected_exit"), [(0.004, 1), (STABLE_ERROR_RATE, 0)], ids=["0.4pct", "healthy"])
def test_status_gives_the_same_exit_code_on_an_unchanging_system(simulator_factory, tmp_path, canary_error_rate, expected_exit):
    sim = _sim(simulator_factory, canary_error_rate, speed=1000, percent=10)
    env = cli_env(tmp_path, write_config(tmp_path, sim.url))

    def once(_: int) -> tuple[int, str]:
        done = canary_tui(["status", "staging", "--window", "2"], env, timeout_s=120)
        return done.returncode, done.stdout.splitlines()[0] if done.stdout else done.stderr

    with ThreadPoolExecutor(STATUS_PARALLEL) as pool:
        results = list(pool.map(once, range(STATUS_RUNS)))
    codes = [code for code, _ in results]
    assert codes == [expected_exit] * STATUS_RUNS, [r for r in results if r[0] != expected_exit][:3]


def test_threshold_overrides_move_status_levels(simulator_factory, tmp_path):
    sim = _sim(simulator_factory, 0.015, speed=600, percent=50)
    seed_env = cli_env(tmp_path, write_config(tmp_path, sim.url))
    seed = json.loads(canary_tui(["status", "staging", "--window", "1", "--json"], seed_env).stdout)
    lenient_home = tmp_path / "lenient"
    lenient_home.mkdir()
    lenient_env = cli_env(lenient_home, write_config(lenient_home, sim.url, extra="[thresholds]\nerror_rate_pct = [0.5, 20]\n"))
    lenient = json.loads(canary_tui(["status", "staging", "--window", "1", "--json"], lenient_env).stdout)
    assert seed["levels"]["canary_errors"] == "critical" and seed["level"] == "critical" and seed["exit_code"] == 2
    assert lenient["levels"]["canary_errors"] == "warning" and lenient["level"] == "warning" and lenient["exit_code"] == 1
    assert "error_rate=" in seed["summary"] or seed["error_rate"] is not None


def test_threshold_overrides_move_ramp_levels_and_gates(simulator_factory, tmp_path):
    sim = _sim(simulator_factory, 0.03, speed=50)
    args = ["ramp", "staging", "10", "--yes", "--settle", "2", "--probe", "0", "--no-auto-rollback", "--json"]
    seed = json.loads(canary_tui(args, cli_env(tmp_path, write_config(tmp_path, sim.url))).stdout)
    sim.state.set_canary(0, None, None, "reset for the next run", "test")
    lenient_home = tmp_path / "lenient"
    lenient_home.mkdir()
    config = write_config(lenient_home, sim.url, extra="[thresholds]\nerror_rate_pct = [0.5, 20]\n")
    lenient = json.loads(canary_tui(args, cli_env(lenient_home, config)).stdout)
    assert seed["levels"]["canary_errors"] == "critical" and lenient["levels"]["canary_errors"] == "warning"
    seed_gates = {g["name"]: g["status"] for g in seed["gates"]}
    lenient_gates = {g["name"]: g["status"] for g in lenient["gates"]}
    assert seed_gates["errors < 1%"] == "fail" and lenient_gates["errors < 20%"] == "pass"


def test_the_controllers_own_rollback_while_settling_is_joined_not_repeated(simulator_factory, tmp_path):
    sim = _sim(simulator_factory, 0.50, speed=50)
    env = cli_env(tmp_path, write_config(tmp_path, sim.url))
    done = canary_tui(["ramp", "staging", "10", "--yes", "--settle", "6", "--probe", "100", "--json"], env)
    doc = json.loads(done.stdout)
    assert done.returncode == 1 and doc["rolled_back"] is True and doc["decision"]["kind"] == "rollback", doc
    assert "probe" not in doc  # decided while settling: no probe after a rollback decision
    assert [c.percent for c in sim.state.history] == [10, 0]
    oks = [r for r in audit_lines(tmp_path) if r["action"] == "rollback" and r["outcome"] == "ok"]
    assert len(oks) == 1 and oks[0]["trigger"] == "auto"
