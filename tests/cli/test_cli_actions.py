"""`rollback`, `pause`, `resume`, `checkpoint` and `audit` as subprocesses against the simulator."""

from __future__ import annotations

import json
import re

import pytest
from cli_harness import FAST_HEALTH, assert_clean, audit_lines, canary_tui, cli_env, write_config


@pytest.fixture
def simulator(simulator_factory):
    """The healthy simulator with faults and the test token, answering /api/health fast."""
    return simulator_factory(scenario="healthy", faults=True, token="test-token", seed=7, **FAST_HEALTH)



def test_rollback_exits_0_once_confirmed(simulator, tmp_path):
    simulator.state.set_canary(50, None, None, "", "alice")
    done = canary_tui(["rollback", "staging", "--note", "pager"], cli_env(tmp_path, write_config(tmp_path, simulator.url)))
    assert done.returncode == 0, done.stderr
    assert "0% confirmed by read-back" in done.stdout
    assert simulator.state.canary_percent == 0 and simulator.state.history[-1].note == "pager"
    assert_clean(done)


def test_rollback_through_503s_and_a_timeout(simulator, tmp_path):
    simulator.state.set_canary(10, None, None, "", "alice")
    simulator.inject_fault("status", count=3, paths=["/api/ghost/canary"], status=503)
    simulator.inject_fault("hang", count=1, paths=["/api/ghost/canary"])
    done = canary_tui(["rollback", "staging", "--json"], cli_env(tmp_path, write_config(tmp_path, simulator.url)))
    simulator.clear_faults()
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["ok"] is True
    assert simulator.state.canary_percent == 0
    http = [r for r in audit_lines(tmp_path) if r.get("http_attempt")]
    assert [r["outcome"] for r in http] == ["http-failed"] * 4 + ["sent"]


def test_rollback_at_0_percent_says_it_was_already_there(simulator, tmp_path):
    env = cli_env(tmp_path, write_config(tmp_path, simulator.url))
    simulator.state.set_canary(10, None, None, "", "alice")
    done = canary_tui(["rollback", "staging"], env)
    assert done.returncode == 0 and "Canary disabled. All traffic to stable (0% confirmed by read-back)." in done.stdout
    again = canary_tui(["rollback", "staging"], env)
    assert again.returncode == 0 and "Canary was already at 0%. All traffic to stable (0% confirmed by read-back)." in again.stdout
    assert simulator.state.canary_percent == 0


def test_rollback_gives_up_with_exit_1_when_nothing_answers(simulator_factory, tmp_path):
    sim = simulator_factory(scenario="healthy", token="test-token", seed=7)
    url = sim.url
    sim.stop()  # connection refused from now on
    done = canary_tui(["rollback", "staging", "--timeout", "1"], cli_env(tmp_path, write_config(tmp_path, url)))
    assert done.returncode == 1
    assert "not confirmed within 1 s" in done.stderr
    outcomes = [r["outcome"] for r in audit_lines(tmp_path)]
    assert outcomes[0] == "attempt" and outcomes[-1] == "abandoned"
    assert_clean(done)


def test_rollback_with_a_bad_token_fails_fast(simulator, tmp_path):
    simulator.state.set_canary(10, None, None, "", "alice")
    env = cli_env(tmp_path, write_config(tmp_path, simulator.url), OPS_TOKEN="wrong")
    done = canary_tui(["rollback", "staging"], env, timeout_s=30)
    assert done.returncode == 1 and "401" in done.stderr and "wrong" not in done.stderr
    assert simulator.state.canary_percent == 10


def test_pause_resume_and_checkpoint(simulator, tmp_path):
    simulator.state.set_canary(10, None, None, "", "alice")
    env = cli_env(tmp_path, write_config(tmp_path, simulator.url))
    done = canary_tui(["pause", "staging"], env)
    assert done.returncode == 0 and simulator.state.paused and "Ramp paused at 10%" in done.stdout
    done = canary_tui(["resume", "staging", "--json"], env)
    assert done.returncode == 0 and not simulator.state.paused
    doc = json.loads(done.stdout)  # the same shape as rollback's for several targets
    assert (doc["action"], doc["target"], doc["environment"], doc["ok"]) == ("resume", "staging", "staging", True)
    done = canary_tui(["checkpoint", "staging", "--note", "pre-v0.5.0-deployment"], env)
    assert done.returncode == 0 and "ckpt-0001" in done.stdout
    assert simulator.state.checkpoints[0].note == "pre-v0.5.0-deployment"
    assert [r["action"] for r in audit_lines(tmp_path) if r["outcome"] == "ok"] == ["pause", "resume", "checkpoint"]


def test_pause_fails_with_exit_1_when_unreachable(simulator_factory, tmp_path):
    sim = simulator_factory(scenario="healthy", token="test-token", seed=7)
    url = sim.url
    sim.stop()
    done = canary_tui(["pause", "staging"], cli_env(tmp_path, write_config(tmp_path, url)))
    assert done.returncode == 1 and "cannot read the current state" in done.stderr
    assert_clean(done)
    done = canary_tui(["pause", "staging", "--json"], cli_env(tmp_path, write_config(tmp_path, url)))
    assert done.returncode == 1 and json.loads(done.stdout)["ok"] is False


def test_audit_text_json_and_tail(simulator, tmp_path):
    env = cli_env(tmp_path, write_config(tmp_path, simulator.url))
    assert canary_tui(["ramp", "staging", "10", "--yes", "--probe", "0"], env).returncode == 0
    assert canary_tui(["rollback", "staging"], env).returncode == 0
    done = canary_tui(["audit", "staging"], env)
    assert done.returncode == 0
    lines = done.stdout.splitlines()
    assert any("cli@test set-percent 0%→10% (cli) ok" in line for line in lines)
    assert "cli@test rollback #1 10%→0% (cli) ok" in lines[-1]
    done = canary_tui(["audit", "--json", "--tail", "2"], env)
    records = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(records) == 2 and records[-1]["action"] == "rollback" and records[-1]["outcome"] == "ok"
    stamp = records[-1]["time"]  # the JSON keeps the time whole; the text reads it to the millisecond
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?Z", stamp)
    assert lines[-1].startswith(f"{stamp[:10]} {stamp[11:-1][:12]}Z staging ")
    # a torn last line (crash mid-write) is skipped, with a note on stderr
    path = tmp_path / "state" / "audit" / "staging.jsonl"
    with open(path, "ab") as f:
        f.write(b'{"action": "adv')
    done = canary_tui(["audit", "staging", "--json"], env)
    assert done.returncode == 0 and "skipped 1 torn" in done.stderr
    assert all(json.loads(line) for line in done.stdout.splitlines())
    done = canary_tui(["audit", "elsewhere"], env)  # a typo, or a name never used: said, not an empty success
    assert done.returncode == 2 and "no records for elsewhere, and it is no configured target (known: staging)" in done.stderr
    retired = {**json.loads(path.read_text().splitlines()[0]), "environment": "retired", "target": "retired"}
    (tmp_path / "state" / "audit" / "retired.jsonl").write_text(json.dumps(retired) + "\n")
    assert canary_tui(["audit", "retired"], env).returncode == 0  # an environment since removed from the config keeps its log
    broken = cli_env(tmp_path, write_config(tmp_path, simulator.url, extra="[thresholdz]\n"))
    done = canary_tui(["audit", "staging"], broken)
    assert done.returncode == 2 and "thresholdz" in done.stderr  # the config is checked like every other command's
    assert canary_tui(["audit", "--tail", "-1"], env).returncode == 2


def test_colour_only_on_a_tty_and_never_with_no_color(simulator, tmp_path):
    import os
    import pty
    import subprocess
    import sys

    simulator.state.set_canary(10, None, None, "", "alice")
    env = cli_env(tmp_path, write_config(tmp_path, simulator.url))

    def on_tty(extra: dict[str, str]) -> str:
        master, slave = pty.openpty()
        proc = subprocess.run([sys.executable, "-m", "canary_tui", "pause", "staging"], stdout=slave, stderr=subprocess.PIPE,
                              stdin=subprocess.DEVNULL, env={**env, **extra}, timeout=60)
        os.close(slave)
        out = b""
        while True:
            try:
                chunk = os.read(master, 4096)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
        os.close(master)
        assert proc.returncode == 0, proc.stderr
        return out.decode()

    assert "\x1b[" in on_tty({})
    assert canary_tui(["resume", "staging"], env).returncode == 0
    assert "\x1b[" not in on_tty({"NO_COLOR": "1"})
