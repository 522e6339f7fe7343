"""Embedded Mission Control: a real HTTP server on loopback with scenarios and faults (the contract's twin)."""

from canary_tui.simulator.faults import FAULT_PARAMS
from canary_tui.simulator.options import LATENCY_LE_MS, SimulatorOptions
from canary_tui.simulator.scenarios import SCENARIOS
from canary_tui.simulator.server import SimulatorServer

__all__ = ["FAULT_PARAMS", "LATENCY_LE_MS", "SCENARIOS", "SimulatorOptions", "SimulatorServer"]
