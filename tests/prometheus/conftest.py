"""One real Prometheus for the module, scraping seeded simulators (healthy, latency regression, error spike) every second."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from prom_harness import PrometheusServer

from canary_tui.simulator import SimulatorOptions, SimulatorServer

#: simulated seconds per clock second: the scenarios' regressions start within seconds
SPEED = 20.0
#: job name -> (scenario, speed, initial percent); "ramp" and "run" are the ones the command tests change
JOBS = {"healthy": ("healthy", 1.0, 50), "latency": ("latency-regression", SPEED, 50), "errors": ("error-spike", SPEED, 50),
        "ramp": ("healthy", 1.0, 0), "run": ("error-spike", SPEED, 10)}


@dataclass
class Stack:
    """Started simulators by job name and the Prometheus scraping them."""

    prometheus: PrometheusServer
    simulators: dict[str, SimulatorServer]


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The shared stack; every process and server is stopped at teardown."""
    simulators: dict[str, SimulatorServer] = {}
    prometheus: PrometheusServer | None = None
    try:
        for job, (scenario, speed, percent) in JOBS.items():
            server = SimulatorServer(SimulatorOptions(scenario=scenario, seed=7, token="test-token", initial_percent=percent,
                                                      speed=speed, health_latency_scale=0.02))
            simulators[job] = server
            server.start()
        prometheus = PrometheusServer(tmp_path_factory.mktemp("prometheus"), {job: s.url or "" for job, s in simulators.items()})
        prometheus.start()
        yield Stack(prometheus, simulators)
    finally:
        if prometheus is not None:
            prometheus.stop()
        for server in simulators.values():
            server.stop()
