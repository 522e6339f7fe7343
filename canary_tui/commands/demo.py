"""`canary-tui demo`: the dashboard on the embedded simulator, with a ramp compressed into minutes."""

from __future__ import annotations

import argparse
import secrets
import sys
from typing import TYPE_CHECKING

from canary_tui.core.plans import RampPlan, Stage

if TYPE_CHECKING:
    from canary_tui.config import Config

#: demo bake per stage at speed 1 (seconds); divided by --speed
DEMO_BAKE_S = 45.0


def demo_plan(speed: float = 1.0) -> RampPlan:
    """10 → 50 → 100 with short bakes, so a whole ramp plays out in a few minutes."""
    bake_s = max(5.0, DEMO_BAKE_S / speed)
    return RampPlan("demo", (Stage(10, bake_s), Stage(50, bake_s), Stage(100, bake_s)))


def add_parser(subparsers: argparse._SubParsersAction) -> list[str]:
    """Register `demo`."""
    from canary_tui.simulator import SCENARIOS

    parser = subparsers.add_parser(
        "demo", help="open the dashboard on a built-in simulator",
        description="Start the embedded Mission Control simulator on loopback and open the dashboard on it. "
        "Stages bake for 45 s and advance automatically, so a full ramp (or a regression and its auto-rollback) plays out in minutes.")
    parser.add_argument("--scenario", default="healthy", choices=list(SCENARIOS), help="what the canary does (default healthy)")
    parser.add_argument("--speed", type=float, default=1.0, help="simulated seconds per real second (default 1)")
    parser.add_argument("--seed", type=int, default=7, help="traffic seed (default 7)")
    parser.add_argument("--read-only", action="store_true", help="show everything, accept no key that changes the deployment")
    parser.add_argument("--fleet", action="store_true",
                        help="the fleet overview on staging plus production in 3 regions, one simulator each (eu-west-1 regresses)")
    parser.set_defaults(run=_run)
    return ["demo"]


def _run(args: argparse.Namespace) -> int:
    """Start the simulator, run the dashboard against it, stop the simulator whatever happens."""
    if not args.speed > 0 or args.speed > 1000:
        sys.stderr.write("canary-tui: error: --speed must be above 0 and at most 1000\n")
        return 2
    from canary_tui.config import EnvironmentConfig
    from canary_tui.controller.factory import build_controller
    from canary_tui.mission.client import MissionClient
    from canary_tui.mission.credentials import Secret
    from canary_tui.simulator import SimulatorOptions, SimulatorServer
    from canary_tui.ui.launch import run_blocking, run_dashboard

    if args.fleet:
        return _run_fleet(args)
    token, secret = secrets.token_hex(16), secrets.token_hex(16)
    server = SimulatorServer(SimulatorOptions(scenario=args.scenario, speed=args.speed, seed=args.seed, token=token, secret=secret, initial_percent=10, requests_per_s=1000.0))
    try:
        url = server.start()
    except Exception as exc:  # noqa: BLE001 - one line, never a traceback
        sys.stderr.write(f"canary-tui: error: cannot start the simulator: {exc}\n")
        return 1
    try:
        config = _config_or_default(args)
        env = EnvironmentConfig(name=f"demo:{args.scenario}", url=url, plan=demo_plan(args.speed), auto_advance=True, auto_rollback=True)
        holder: dict[str, MissionClient] = {}

        def make_controller() -> object:
            client = MissionClient(url, token=Secret(token), secret=Secret(secret))
            holder["client"] = client
            # the demo's 45 s stages cannot gather the evidence a 24 h bake does: advance on the seed's gates
            return build_controller(env, config, client=client, read_only=args.read_only, audit=False, advance_on_seed_gates=True)

        async def close() -> None:
            if "client" in holder:
                await holder["client"].aclose()

        return run_blocking(
            run_dashboard(
                make_controller,
                close=close,
                read_only=args.read_only,
                theme=config.theme,
                keymap=config.keymap,
                poll_interval_s=min(config.poll_interval_s, 1.0),
                environment_label=f"demo ({args.scenario})",
            )
        )
    finally:
        server.stop()


def _run_fleet(args: argparse.Namespace) -> int:
    """Start the simulated fleet, run the overview on it, stop every simulator whatever happens."""
    from canary_tui.config import EnvironmentConfig
    from canary_tui.controller.factory import build_controller
    from canary_tui.mission.client import MissionClient
    from canary_tui.mission.credentials import Secret
    from canary_tui.simulator import SimulatorOptions
    from canary_tui.simulator.fleet import SimulatorFleet
    from canary_tui.ui.launch import run_blocking, run_fleet

    token, secret = secrets.token_hex(16), secrets.token_hex(16)
    fleet = SimulatorFleet(SimulatorOptions(speed=args.speed, seed=args.seed, token=token, secret=secret, requests_per_s=1000.0))
    try:
        urls = fleet.start()
    except Exception as exc:  # noqa: BLE001 - one line, never a traceback
        sys.stderr.write(f"canary-tui: error: cannot start the simulated fleet: {exc}\n")
        return 1
    try:
        config = _config_or_default(args)
        clients: list[MissionClient] = []

        def make_controllers() -> list[tuple[str, object]]:
            out: list[tuple[str, object]] = []
            for name, url in urls.items():
                env = EnvironmentConfig(name=name, url=url, plan=demo_plan(args.speed), auto_advance=True, auto_rollback=True)
                client = MissionClient(url, token=Secret(token), secret=Secret(secret))
                clients.append(client)
                out.append((name, build_controller(env, config, client=client, read_only=args.read_only, audit=False, advance_on_seed_gates=True)))
            return out

        async def close() -> None:
            for client in clients:
                await client.aclose()

        return run_blocking(run_fleet(make_controllers, close=close, read_only=args.read_only, theme=config.theme,
                                      keymap=config.keymap, poll_interval_s=min(config.poll_interval_s, 1.0)))
    finally:
        fleet.stop()


def _config_or_default(args: argparse.Namespace) -> Config:
    """The user's config for theme and keys; the defaults when it is broken (a demo needs none of its environments)."""
    from canary_tui.commands.common import load_config_or_exit
    from canary_tui.config import Config

    try:
        return load_config_or_exit(args)
    except SystemExit:
        return Config()
