"""`canary-tui simulator`: run the embedded Mission Control in the foreground until Ctrl+C."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from typing import Any

from canary_tui.commands.common import port_number
from canary_tui.simulator import SCENARIOS


def add_parser(subparsers: argparse._SubParsersAction) -> list[str]:
    """Register `simulator` and its options."""
    parser = subparsers.add_parser(
        "simulator", help="run a local Mission Control simulator",
        description="Serve the Mission Control API on loopback with a scenario, for demos and tests.")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=port_number, default=8787, help="port (default 8787; 0 picks a free one)")
    parser.add_argument("--scenario", default="healthy", choices=list(SCENARIOS), help="timeline to follow")
    parser.add_argument("--speed", type=float, default=1.0, help="simulated seconds per real second")
    parser.add_argument("--seed", type=int, default=0, help="traffic seed (same seed, same heartbeats)")
    parser.add_argument("--token", default=os.environ.get("OPS_TOKEN"),
                        help="bearer token required for changes (default $OPS_TOKEN; none: no auth)")
    parser.add_argument("--secret", default=os.environ.get("HEARTBEAT_SECRET"),
                        help="heartbeat signing secret (default $HEARTBEAT_SECRET; none: unsigned)")
    parser.add_argument("--faults", action="store_true", help="enable the /_control fault-injection endpoints")
    parser.add_argument("--fleet", action="store_true",
                        help="staging plus production in 3 regions, one server each on --port and the next ports "
                        "(0: free ones), each with its own scenario (--scenario is ignored)")
    parser.set_defaults(run=_run)
    return ["simulator"]


def _run(args: argparse.Namespace) -> int:
    """Start the server, print its URL, block until SIGINT/SIGTERM, stop cleanly."""
    if args.speed <= 0:
        sys.stderr.write("canary-tui: error: --speed must be positive\n")
        return 2
    from canary_tui.simulator import SimulatorOptions, SimulatorServer  # uvicorn loads only for this command

    options = SimulatorOptions(scenario=args.scenario, speed=args.speed, seed=args.seed, token=args.token,
                               secret=args.secret, faults=args.faults, host=args.host, port=args.port)
    server: Any
    if args.fleet:
        from canary_tui.simulator.fleet import SimulatorFleet

        server = SimulatorFleet(options)
    else:
        server = SimulatorServer(options)
    try:
        started = server.start()
    except (OSError, RuntimeError) as exc:
        detail = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)  # a fleet's names its member and port
        where = "fleet" if args.fleet else f"on {args.host}:{args.port}"
        sys.stderr.write(f"canary-tui: error: cannot start the simulator {where}: {detail}\n")
        return 1
    stop = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
    if args.fleet:
        print(f"Mission Control simulated fleet (speed {args.speed:g}, seed {args.seed}):", flush=True)
        for member in server.members:
            print(f"  {member.name:<26} {member.scenario:<12} at {started[member.name]}", flush=True)
    else:
        print(f"Mission Control simulator ({args.scenario}, speed {args.speed:g}, seed {args.seed}) at {started}", flush=True)
    print("Press Ctrl+C to stop.", flush=True)
    try:
        while not stop.wait(0.5) and server.running:
            pass
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    print("simulator stopped", flush=True)
    return 0
