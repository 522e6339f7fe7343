"""`canary-tui run` as a subprocess against the simulator over real HTTP: auto-rollback, SIGTERM, two instances, faults."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from cli_harness import ANSI, TOKEN, audit_lines, canary_tui, cli_env, write_config

from canary_tui.controller.headless import EVENT_FIELDS

WAIT_S = 60.0


class RunProcess:
    """A `canary-tui run --json` child whose stdout lines are collected by a thread, for waits on conditions."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "canary_tui", "run", "--json", *args], env=env, text=True,
                                     stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.events: list[dict[str, Any]] = []
        self.raw: list[str] = []
        self._changed = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            with self._changed:
                self.raw.append(line)
                self.events.append(json.loads(line))
                self._changed.notify_all()
        with self._changed:
            self._changed.notify_all()

    def wait_for(self, predicate: Callable[[dict[str, Any]], bool], what: str, timeout_s: float = WAIT_S) -> dict[str, Any]:
        """The first event satisfying `predicate`, waiting for it (fails with the log so far)."""
        deadline = time.monotonic() + timeout_s
        with self._changed:
            while True:
                for event in self.events:
                    if predicate(event):
                        return event
                left = deadline - time.monotonic()
                if left <= 0 or (self.proc.poll() is not None and not self._reader.is_alive()):
                    pytest.fail(f"no {what} in run's output:\n{''.join(self.raw)}\nstderr: {self._stderr_if_done()}")
                self._changed.wait(min(left, 0.5))

    def _stderr_if_done(self) -> str:
        return self.proc.stderr.read() if self.proc.poll() is not None and self.proc.stderr else "(still running)"

    def stop(self, signum: int = signal.SIGTERM, timeout_s: float = WAIT_S) -> tuple[int, str]:
        """Send `signum`, wait for the exit; (exit code, stderr)."""
        self.proc.send_signal(signum)
        code = self.proc.wait(timeout=timeout_s)
        self._reader.join(timeout_s)
        assert self.proc.stderr is not None
        return code, self.proc.stderr.read()

    @property
    def instance(self) -> str:
        return str(self.wait_for(lambda e: e["kind"] == "start", "start line")["instance"])

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


@pytest.fixture
def runs() -> Iterator[Callable[[list[str], dict[str, str]], RunProcess]]:
    """`runs(args, env) -> RunProcess`, each killed at teardown if still running."""
    started: list[RunProcess] = []

    def start(args: list[str], env: dict[str, str]) -> RunProcess:
        started.append(process := RunProcess(args, env))
        return process

    yield start
    for process in started:
        process.kill()


def _kind(kind: str, text: str = "") -> Callable[[dict[str, Any]], bool]:
    return lambda e: e["kind"] == kind and text in e["message"]


def _clean(stderr: str, process: RunProcess) -> None:
    assert "Traceback" not in stderr and not any("Traceback" in line for line in process.raw)
    assert ANSI not in "".join(process.raw)


def _spiking(simulator_factory: Any, **options: Any) -> Any:
    """error-spike at 60× speed: canary errors jump to 8% two real seconds after the canary goes live."""
    return simulator_factory(scenario="error-spike", token=TOKEN, seed=7, speed=60, faults=True, **options)


def test_run_rolls_back_the_error_spike_and_exits_0_on_sigterm(simulator_factory, tmp_path: Path, runs) -> None:
    sim = _spiking(simulator_factory, initial_percent=10)
    run = runs(["staging"], cli_env(tmp_path, write_config(tmp_path, sim.url)))
    instance = run.instance
    assert instance.startswith("run@") and instance.endswith(f":{run.proc.pid}")
    run.wait_for(_kind("auto-rollback", "auto-rollback triggered"), "auto-rollback trigger")
    acted = run.wait_for(_kind("rolled-back"), "rolled-back line")
    assert acted["message"] == f"rolled back to 0% by {instance} (this instance)" and acted["actor"] == instance
    run.wait_for(_kind("auto-rollback", "rollback confirmed"), "confirmation")
    code, stderr = run.stop()
    assert code == 0, stderr
    _clean(stderr, run)
    assert run.events[-1]["kind"] == "stop"
    assert all(tuple(event) == EVENT_FIELDS for event in run.events)
    assert sim.state.canary_percent == 0 and [(c.actor, c.percent) for c in sim.state.history] == [(instance, 0)]
    ok = [r for r in audit_lines(tmp_path) if r["action"] == "rollback" and r["outcome"] == "ok"]
    assert len(ok) == 1 and ok[0]["trigger"] == "auto" and ok[0]["actor"] == instance


def test_sigterm_finishes_the_rollback_in_flight_then_exits_0(simulator_factory, tmp_path: Path, runs) -> None:
    sim = _spiking(simulator_factory, initial_percent=10)
    sim.inject_fault("status", count=-1, paths=["/api/ghost/canary"], status=503)  # every rollback POST fails until cleared
    run = runs(["staging"], cli_env(tmp_path, write_config(tmp_path, sim.url)))
    run.wait_for(_kind("auto-rollback", "not confirmed"), "a failed rollback attempt")
    run.proc.send_signal(signal.SIGTERM)
    run.wait_for(_kind("shutdown", "finishing the rollback in flight"), "shutdown waiting for the rollback")
    assert run.proc.poll() is None and sim.state.canary_percent == 10
    sim.clear_faults()
    code = run.proc.wait(timeout=WAIT_S)
    run._reader.join(WAIT_S)
    assert code == 0
    assert sim.state.canary_percent == 0
    outcomes = [r["outcome"] for r in audit_lines(tmp_path) if r["action"] == "rollback"]
    assert outcomes[0] == "attempt" and "retry" in outcomes and outcomes[-1] == "ok"
    kinds = [e["kind"] for e in run.events]
    assert kinds.index("shutdown") < kinds.index("rolled-back") < kinds.index("stop")


def test_a_second_signal_abandons_the_rollback_and_exits_1(simulator_factory, tmp_path: Path, runs) -> None:
    sim = _spiking(simulator_factory, initial_percent=10)
    sim.inject_fault("status", count=-1, paths=["/api/ghost/canary"], status=503)
    run = runs(["staging"], cli_env(tmp_path, write_config(tmp_path, sim.url)))
    run.wait_for(_kind("auto-rollback", "not confirmed"), "a failed rollback attempt")
    run.proc.send_signal(signal.SIGTERM)
    run.wait_for(_kind("shutdown", "finishing the rollback in flight"), "shutdown waiting for the rollback")
    code, stderr = run.stop(signal.SIGINT)
    assert code == 1, stderr
    _clean(stderr, run)
    assert audit_lines(tmp_path)[-1]["outcome"] == "abandoned"


def test_two_runs_on_one_target_roll_back_once_and_say_who_acted(simulator_factory, tmp_path: Path, runs) -> None:
    sim = _spiking(simulator_factory)
    env = cli_env(tmp_path, write_config(tmp_path, sim.url))
    first, second = runs(["staging"], env), runs(["staging"], env)
    for run in (first, second):
        run.wait_for(_kind("verdict", "IDLE"), "first heartbeat at 0%")
    sim.state.set_canary(10, None, None, "canary goes live", "alice")  # both watch it go live; errors spike 2 s later
    for run in (first, second):
        run.wait_for(lambda e: e["kind"] == "rolled-back", "rolled-back line")
    downs = [c for c in sim.state.history if c.percent == 0]
    assert len(downs) == 1, sim.state.history  # one POST changed the state; the other (if sent) changed nothing
    winner = downs[0].actor
    by_instance = {run.instance: run for run in (first, second)}
    assert set(by_instance) == {first.instance, second.instance} and winner in by_instance
    loser = next(name for name in by_instance if name != winner)
    assert by_instance[winner].wait_for(_kind("rolled-back"), "")["message"] == f"rolled back to 0% by {winner} (this instance)"
    said = by_instance[loser].wait_for(_kind("rolled-back"), "")
    assert said["message"].startswith(f"already rolled back by {winner}") and said["actor"] == winner and said["instance"] == loser
    for run in (first, second):
        code, stderr = run.stop()
        assert code == 0, stderr
    ok = [r for r in audit_lines(tmp_path) if r["action"] == "rollback" and r["outcome"] == "ok"]
    assert winner in {r["actor"] for r in ok}


def test_a_server_fault_is_stale_with_the_reason_and_watching_goes_on(simulator_factory, tmp_path: Path, runs) -> None:
    sim = simulator_factory(scenario="healthy", token=TOKEN, seed=7, faults=True, initial_percent=10)
    run = runs(["staging"], cli_env(tmp_path, write_config(tmp_path, sim.url)))
    run.wait_for(lambda e: e["kind"] == "verdict", "first verdict")
    sim.inject_fault("status", count=-1, status=500)  # every heartbeat answers 500 until cleared
    stale = run.wait_for(_kind("verdict", "STALE"), "STALE verdict")
    assert "500" in stale["message"] and stale["level"] == "warning"
    run.wait_for(_kind("poll-error", "500"), "poll error")
    sim.clear_faults()
    count = len(run.events)
    back = run.wait_for(lambda e: e["kind"] == "verdict" and run.events.index(e) >= count, "a verdict after recovery")
    assert "STALE" not in back["message"]
    code, stderr = run.stop(signal.SIGINT)
    assert code == 0, stderr
    _clean(stderr, run)
    assert sim.state.canary_percent == 10


def test_text_lines_by_default(simulator_factory, tmp_path: Path) -> None:
    sim = simulator_factory(scenario="healthy", token=TOKEN, seed=7)
    proc = subprocess.Popen([sys.executable, "-m", "canary_tui", "run", "staging", "--instance", "ci-job-7"], text=True,
                            env=cli_env(tmp_path, write_config(tmp_path, sim.url)), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        assert " staging INFO start: watching as ci-job-7 (auto-rollback on" in first
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=WAIT_S)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    assert proc.returncode == 0, err
    assert " staging INFO stopped after " in out.splitlines()[-1] and not out.lstrip().startswith("{")


@pytest.mark.parametrize(("extra", "args", "named"), [
    ('poll_interval_s = "fast"', ["staging"], "poll_interval_s"),
    ("", ["nowhere"], "nowhere"),
    ("", [], "TARGET"),
])
def test_bad_config_or_usage_exits_2_naming_it(simulator, tmp_path: Path, extra: str, args: list[str], named: str) -> None:
    done = canary_tui(["run", *args], cli_env(tmp_path, write_config(tmp_path, simulator.url, extra=extra)), timeout_s=30)
    assert done.returncode == 2, done.stdout + done.stderr
    assert named in done.stderr and "Traceback" not in done.stderr and done.stdout == ""


def test_without_a_token_it_watches_and_says_it_cannot_act(simulator, tmp_path: Path, runs) -> None:
    env = cli_env(tmp_path, write_config(tmp_path, simulator.url))
    del env["OPS_TOKEN"]
    run = runs(["staging"], env)
    start = run.wait_for(_kind("start"), "start line")
    assert start["level"] == "warning" and "cannot act" in start["message"]
    run.wait_for(lambda e: e["kind"] == "verdict", "a verdict: it watches anyway")
    code, stderr = run.stop()
    assert code == 0, stderr
