"""`canary-tui demo`: the dashboard on the embedded simulator, with a ramp compressed into minutes."""

from __future__ import annotations

import argparse
import asyncio
import secrets
import sys
from typing import Any

from canary_tui.core.plans import RampPlan, Stage

#: demo bake per stage at speed 1 (seconds); divided by --speed
DEMO_BAKE_S = 45.0


def demo_plan(speed: float = 1.0) -> RampPlan:
    """10 → 50 → 100 with short bakes, so a whole ramp plays out in a few minutes."""
    bake_s = max(5.0, DEMO_BAKE_S / speed)
    return RampPlan("demo", (Stage(10, bake_s), Stage(50, bake_s), Stage(100, bake_s)))


class DemoAutopilot:
    """Plays the operator in the demo: once a stage's bake is done and no gate fails, it advances.

    The judgment's comparative gates can stay "evidence still accumulating" for many minutes on
    the simulator's traffic, so when gates only HOLD the autopilot advances with an override (as an
    operator typing the percent would), and says so in the note. It never advances on a failing
    gate, a rollback verdict, stale data, a pause, or after a rollback (0%).
    """

    def __init__(self, controller: Any) -> None:
        self.controller = controller
        self._task: asyncio.Task[Any] | None = None

    def start(self) -> None:
        """Listen to the controller's snapshots."""
        self.controller.subscribe(on_snapshot=self._on_snapshot)

    @staticmethod
    def wants_to_advance(snapshot: Any) -> bool | None:
        """None: do not advance; False: advance normally (ELIGIBLE); True: advance with an override (gates hold)."""
        from canary_tui.controller.model import ConnectionState, RampState
        from canary_tui.core.verdicts import DecisionKind, GateStatus

        hb, stage = snapshot.heartbeat, snapshot.stage
        if snapshot.action_in_flight or hb is None or stage is None or snapshot.connection is not ConnectionState.LIVE:
            return None
        if hb.deployment.canary_percent == 0 or hb.deployment.paused or stage.next_percent is None:
            return None
        if snapshot.ramp is RampState.ELIGIBLE:
            return False
        if snapshot.ramp is not RampState.BAKING or stage.bake_remaining_s is None or stage.bake_remaining_s > 0:
            return None
        if any(g.status is GateStatus.FAIL for g in snapshot.gates):
            return None
        if snapshot.decision is not None and snapshot.decision.kind is DecisionKind.ROLLBACK:
            return None
        return True

    def _on_snapshot(self, snapshot: Any) -> None:
        """Advance once per stage; never while anything else is in flight."""
        from canary_tui.controller.model import Trigger

        override = self.wants_to_advance(snapshot)
        if override is None or (self._task and not self._task.done()):
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        note = "demo autopilot: bake met, gates green" if not override else "demo autopilot: bake met, no gate failing (holds overridden)"
        self._task = loop.create_task(self.controller.advance(Trigger.AUTO, note=note, override=override))


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
    parser.set_defaults(run=_run)
    return ["demo"]


def _run(args: argparse.Namespace) -> int:
    """Start the simulator, run the dashboard against it, stop the simulator whatever happens."""
    if not args.speed > 0 or args.speed > 1000:
        sys.stderr.write("canary-tui: error: --speed must be above 0 and at most 1000\n")
        return 2
    from canary_tui.config import Config, EnvironmentConfig
    from canary_tui.controller.factory import build_controller
    from canary_tui.mission.client import MissionClient
    from canary_tui.mission.credentials import Secret
    from canary_tui.simulator import SimulatorOptions, SimulatorServer
    from canary_tui.ui.launch import run_blocking, run_dashboard

    token, secret = secrets.token_hex(16), secrets.token_hex(16)
    server = SimulatorServer(SimulatorOptions(scenario=args.scenario, speed=args.speed, seed=args.seed, token=token, secret=secret, initial_percent=10, requests_per_s=1000.0))
    try:
        url = server.start()
    except Exception as exc:  # noqa: BLE001 - one line, never a traceback
        sys.stderr.write(f"canary-tui: error: cannot start the simulator: {exc}\n")
        return 1
    try:
        try:
            from canary_tui.commands.common import load_config_or_exit

            config = load_config_or_exit(args)
        except SystemExit:
            config = Config()
        env = EnvironmentConfig(name=f"demo:{args.scenario}", url=url, plan=demo_plan(args.speed), auto_advance=True, auto_rollback=True)
        holder: dict[str, MissionClient] = {}

        def make_controller() -> object:
            client = MissionClient(url, token=Secret(token), secret=Secret(secret))
            holder["client"] = client
            controller = build_controller(env, config, client=client, read_only=args.read_only, audit=False)
            if not args.read_only:
                DemoAutopilot(controller).start()
            return controller

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
