"""The interactive `ramp` acts on what the operator confirmed: a change between the question and the answer is refused.

stdin is a pseudo-terminal (the confirmation is asked only on a TTY); the other actor changes the
simulator between the question on stderr and the typed answer. The request carries the percent the
question named (compare-and-set): the server answers 409 and nothing changes.
"""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time

import pytest
from cli_harness import FAST_HEALTH, assert_clean, audit_lines, cli_env, write_config

PROMPT = b"[y/N] "


@pytest.fixture
def simulator(simulator_factory):
    """The healthy simulator at 10%, with the test token, answering /api/health fast."""
    return simulator_factory(scenario="healthy", faults=True, token="test-token", seed=7, initial_percent=10, **FAST_HEALTH)


def _ask(args: list[str], env: dict[str, str]) -> tuple[subprocess.Popen[bytes], int, bytes]:
    """Start `canary-tui ARGS` with a pty for stdin; wait for the question on stderr. Returns (process, pty master, question)."""
    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "canary_tui", *args], stdin=slave, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=env)
    os.close(slave)
    asked = b""
    deadline = time.monotonic() + 30
    assert proc.stderr is not None
    while not asked.endswith(PROMPT):
        assert time.monotonic() < deadline and proc.poll() is None, asked
        ready, _, _ = select.select([proc.stderr], [], [], 0.5)
        if ready:
            asked += os.read(proc.stderr.fileno(), 4096)
    return proc, master, asked


def _answer(proc: subprocess.Popen[bytes], master: int, text: str) -> tuple[str, str]:
    """Type the answer and collect the rest of the output."""
    os.write(master, text.encode())
    try:
        out, err = proc.communicate(timeout=60)
    finally:
        os.close(master)
    return out.decode(), err.decode()


def test_a_change_between_question_and_answer_is_refused_by_compare_and_set(simulator, tmp_path):
    env = cli_env(tmp_path, write_config(tmp_path, simulator.url))
    proc, master, asked = _ask(["ramp", "staging", "50", "--settle", "0", "--probe", "0"], env)
    assert b"from 10% to 50%" in asked
    simulator.state.set_canary(0, None, None, "emergency rollback", "oncall-2")  # the other operator, meanwhile
    out, err = _answer(proc, master, "y\n")
    assert proc.returncode == 1, (out, err)
    assert "changed by oncall-2 to 0%" in err and "nothing changed" in err
    assert simulator.state.canary_percent == 0
    assert [(c.percent, c.actor) for c in simulator.state.history] == [(0, "oncall-2")]  # nothing of ours landed
    assert simulator.state.counters["conflicts"] == 1
    records = audit_lines(tmp_path)
    assert [(r["action"], r["outcome"]) for r in records] == [("set-percent", "attempt"), ("set-percent", "conflict")]
    assert (records[-1]["from"], records[-1]["to"]) == (10, 50)  # conditioned on the 10% the question named
    assert "Traceback" not in out + err


def test_an_unchanged_deployment_is_set_once_confirmed(simulator, tmp_path):
    env = cli_env(tmp_path, write_config(tmp_path, simulator.url))
    proc, master, _ = _ask(["ramp", "staging", "50", "--settle", "0", "--probe", "0"], env)
    out, err = _answer(proc, master, "y\n")
    assert proc.returncode == 0, (out, err)
    assert simulator.state.canary_percent == 50 and [(c.percent, c.actor) for c in simulator.state.history] == [(50, "cli@test")]


def test_anything_but_yes_sends_nothing(simulator, tmp_path):
    env = cli_env(tmp_path, write_config(tmp_path, simulator.url))
    proc, master, _ = _ask(["ramp", "staging", "50", "--settle", "0", "--probe", "0"], env)
    out, err = _answer(proc, master, "\n")
    assert proc.returncode == 1 and "not confirmed" in err
    assert simulator.state.counters["canary_posts"] == 0 and simulator.state.canary_percent == 10
    done = subprocess.CompletedProcess([], proc.returncode, out, err)
    assert_clean(done)
