"""`ramp` and `rollback` on a Prometheus-backed environment, as subprocesses: unchanged by where the figures come from."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

from prom_harness import env_toml, wait_for, write_config


def cli_env(tmp_path, config) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CANARY_TUI_", "OPS_TOKEN"))}
    env.update(CANARY_TUI_STATE_DIR=str(tmp_path / "state"), CANARY_TUI_CONFIG=str(config), OPS_TOKEN="test-token")
    return env


def test_ramp_then_rollback_through_prometheus(stack, tmp_path) -> None:
    sim = stack.simulators["ramp"]
    config = write_config(tmp_path, env_toml("ramp", sim.url, stack.prometheus.url, "ramp"))
    env = cli_env(tmp_path, config)

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        done = subprocess.run([sys.executable, "-m", "canary_tui", *args], capture_output=True, text=True, env=env, timeout=120)
        assert "Traceback" not in done.stderr, done.stderr
        return done

    try:
        ramped = cli("ramp", "ramp", "10", "--yes", "--probe", "3", "--settle", "3", "--json")
        assert ramped.returncode == 0, (ramped.stdout, ramped.stderr)
        assert sim.state.canary_percent == 10
        doc = json.loads(ramped.stdout)
        assert doc["ok"] and doc["current_percent"] == 10 and doc["outcome"] in ("passed", "inconclusive")
        rolled = cli("rollback", "ramp", "--note", "done")
        assert rolled.returncode == 0, (rolled.stdout, rolled.stderr)
        assert sim.state.canary_percent == 0
    finally:
        sim.state.set_canary(0, None, False, "test cleanup", "test")


def test_run_rolls_back_the_error_spike_judged_through_prometheus(stack, tmp_path) -> None:
    sim = stack.simulators["run"]
    config = write_config(tmp_path, env_toml("run", sim.url, stack.prometheus.url, "run", auto_rollback=True))
    proc = subprocess.Popen([sys.executable, "-m", "canary_tui", "run", "run", "--json"], env=cli_env(tmp_path, config), text=True,
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        wait_for(lambda: sim.state.canary_percent == 0, 60.0, "the headless watcher's auto-rollback")
        proc.send_signal(signal.SIGTERM)
        stdout, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    assert proc.returncode == 0 and "Traceback" not in stderr, stderr
    events = [json.loads(line) for line in stdout.splitlines()]
    triggered = [e["message"] for e in events if e["kind"] == "auto-rollback" and "triggered" in e["message"]]
    assert triggered and "error rate" in triggered[0], events
    assert any(e["kind"] == "auto-rollback" and "rollback confirmed" in e["message"] for e in events), events
