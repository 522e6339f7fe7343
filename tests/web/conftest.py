"""`canary-tui serve` as a subprocess on a loopback port against counting simulators; Debian's chromium through Playwright."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from canary_tui.simulator import SimulatorOptions, SimulatorServer

ROOT = Path(__file__).resolve().parents[2]
#: screenshots the browser tests keep (git-ignored); CI collects the folder
ARTIFACTS = Path(os.environ.get("CANARY_TUI_TEST_ARTIFACTS", ROOT / "test-artifacts")) / "web"
ACCESS_TOKEN = "web-view-access-token"
OPS_TOKEN = "mission-control-ops-token"
#: how long `serve` may take to listen
LISTEN_TIMEOUT_S = 20.0


class RequestCounter:
    """An ASGI wrapper counting every request the simulator receives by method, authorized or not."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.methods: Counter[str] = Counter()
        self.posts: list[str] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope.get("type") == "http":
            self.methods[scope["method"]] += 1
            if scope["method"] != "GET":
                self.posts.append(scope["path"])
        await self.app(scope, receive, send)


@dataclass
class CountedSimulator:
    """A started simulator, its request counter, and the deployment as the test set it up."""

    server: SimulatorServer
    counter: RequestCounter
    url: str = ""

    def deployment(self) -> tuple[int, bool, str]:
        """(canary percent, paused, canary version) as the simulator holds them now."""
        state = self.server.state
        return state.canary_percent, state.paused, self.server.options.canary_version


@dataclass
class Served:
    """A running `canary-tui serve`: its URL, its process, and the simulators it shows."""

    url: str
    process: subprocess.Popen[str]
    simulators: dict[str, CountedSimulator] = field(default_factory=dict)


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_listening(port: int, process: subprocess.Popen[str], timeout_s: float = LISTEN_TIMEOUT_S) -> None:
    """Until something accepts on the port; fail with the server's output if it exits first."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"serve exited {process.returncode}: {process.communicate()[1]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"serve did not listen on {port} within {timeout_s:g} s")


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
