"""Embedded Mission Control: a real HTTP server on loopback with scenarios and faults (the contract's twin).

The server and the faults (uvicorn, Starlette) load on first use, so the CLI can list
the scenarios without paying for them (`canary-tui watch` never starts a simulator).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from canary_tui.simulator.options import LATENCY_LE_MS, SimulatorOptions
from canary_tui.simulator.scenarios import SCENARIOS

if TYPE_CHECKING:
    from canary_tui.simulator.faults import FAULT_PARAMS
    from canary_tui.simulator.server import SimulatorServer

__all__ = ["FAULT_PARAMS", "LATENCY_LE_MS", "SCENARIOS", "SimulatorOptions", "SimulatorServer"]


def __getattr__(name: str) -> Any:
    """SimulatorServer and FAULT_PARAMS, imported when first asked for."""
    if name == "SimulatorServer":
        from canary_tui.simulator.server import SimulatorServer

        return SimulatorServer
    if name == "FAULT_PARAMS":
        from canary_tui.simulator.faults import FAULT_PARAMS

        return FAULT_PARAMS
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
