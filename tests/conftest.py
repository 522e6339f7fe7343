"""Shared fixtures: started simulators on loopback ephemeral ports, always stopped at teardown."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from canary_tui.simulator import SimulatorOptions, SimulatorServer

#: the variables through which httpx (trust_env) would route a request through a proxy, in both cases
PROXY_ENV_VARS = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")


@pytest.fixture(autouse=True)
def _no_proxy_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test starts without proxy variables: a CI machine's proxy must not route loopback test traffic."""
    for name in PROXY_ENV_VARS:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


@pytest.fixture
def simulator_factory() -> Iterator[Callable[..., SimulatorServer]]:
    """`simulator_factory(**options) -> SimulatorServer`, started; every one is stopped at teardown."""
    servers: list[SimulatorServer] = []

    def make(**options: Any) -> SimulatorServer:
        server = SimulatorServer(SimulatorOptions(**options))
        servers.append(server)
        server.start()
        return server

    yield make
    for server in servers:
        server.stop()


@pytest.fixture
def simulator(simulator_factory: Callable[..., SimulatorServer]) -> SimulatorServer:
    """A started healthy simulator with faults enabled, token "test-token", seed 7."""
    return simulator_factory(scenario="healthy", faults=True, token="test-token", seed=7)
