"""Fixtures: `canary-tui serve` as a subprocess on a loopback port against counting simulators, always stopped."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from web_harness import ACCESS_TOKEN, OPS_TOKEN, CountedSimulator, RequestCounter, Served, free_port, wait_listening

from canary_tui.simulator import SimulatorOptions, SimulatorServer


@pytest.fixture
def counted_simulators() -> Iterator[Callable[..., CountedSimulator]]:
    """`make(name)`: a healthy simulator at 10%, paused, whose every request is counted; all stopped at teardown."""
    started: list[SimulatorServer] = []

    def make(**options: Any) -> CountedSimulator:
        server = SimulatorServer(SimulatorOptions(**{"scenario": "healthy", "seed": 7, "initial_percent": 10, "token": None, **options}))
        server.state.set_canary(None, None, True, "paused by the test", "test")  # a verdict that holds still: paused
        counter = RequestCounter(server.app)
        server.app = counter  # type: ignore[assignment]  # wrapped before start: uvicorn serves the wrapper
        started.append(server)
        return CountedSimulator(server, counter, server.start())

    yield make
    for server in started:
        server.stop()


@pytest.fixture
def serve(tmp_path: Path, counted_simulators: Callable[..., CountedSimulator]) -> Iterator[Callable[..., Served]]:
    """`serve(names, token=True)`: `canary-tui serve` on a free loopback port, one simulator per target; stopped at teardown."""
    running: list[subprocess.Popen[str]] = []

    def start(names: list[str], *, token: bool = True) -> Served:
        simulators = {name: counted_simulators() for name in names}
        config = tmp_path / "config.toml"
        config.write_text('actor = "web@test"\n' + "".join(
            f'[environments.{name}]\nurl = "{sim.url}"\nread_timeout_s = 1.0\n' for name, sim in simulators.items()))
        port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("CANARY_TUI_", "OPS_TOKEN", "HEARTBEAT_SECRET"))}
        env.update(CANARY_TUI_STATE_DIR=str(tmp_path / "state"), CANARY_TUI_CONFIG_DIR=str(tmp_path / "cfg"), OPS_TOKEN=OPS_TOKEN)
        args = [sys.executable, "-m", "canary_tui", "--config", str(config), "serve", *names, "--port", str(port)]
        if token:
            env["WEB_TOKEN"] = ACCESS_TOKEN
            args += ["--token-env", "WEB_TOKEN"]
        process = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        running.append(process)
        wait_listening(port, process)
        return Served(f"http://127.0.0.1:{port}/", process, simulators)

    yield start
    for process in running:
        process.terminate()  # SIGTERM: textual-serve stops its sessions and exits
        try:
            process.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()
