"""What the web tests share: counting simulators, a running `canary-tui serve`, free ports, the tokens and the artifacts folder."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from canary_tui.simulator import SimulatorServer

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




def descendants(pid: int) -> list[int]:
    """Every process below `pid` (Linux /proc): textual-serve's shell and the session it runs per browser."""
    found: list[int] = []
    pending = [pid]
    while pending:
        parent = pending.pop()
        for task in Path(f"/proc/{parent}/task").glob("*"):
            try:
                children = [int(word) for word in (task / "children").read_text().split()]
            except OSError:
                continue
            found += children
            pending += children
    return found


def process_environ(pid: int) -> dict[str, str]:
    """A process's environment as it started (empty once it is gone)."""
    try:
        raw = Path(f"/proc/{pid}/environ").read_bytes()
    except OSError:
        return {}
    pairs = (entry.decode(errors="replace").partition("=") for entry in raw.split(b"\0") if entry)
    return {name: value for name, _, value in pairs}


def process_cmdline(pid: int) -> list[str]:
    """A process's argv (empty once it is gone)."""
    try:
        return [part.decode(errors="replace") for part in Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0") if part]
    except OSError:
        return []
