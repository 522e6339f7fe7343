"""Commands on several targets. `rollback production` (or `rollback a b`, `rollback --all`): all in parallel.

Each target has its own controller, which retries until a trusted read-back shows 0%; a line is printed per target
as its result lands; exit 0 only when every target is confirmed at 0%, else 1 (2 usage or config error).
`ramp production 10`: each region in list (wave) order, stopping at the first whose ramp fails.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from canary_tui.controller.model import ActionResult, Snapshot, Trigger

if TYPE_CHECKING:
    from canary_tui.config import Config, EnvironmentConfig

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def several_targets(args: argparse.Namespace) -> tuple[Config, list[EnvironmentConfig]] | None:
    """The config and targets when the command line names several (or an ENV with regions, or --all); None for one
    target, which is then `args.target` for the single-target path."""
    from canary_tui.commands.common import fail, load_config_or_exit, resolve_targets_or_exit

    names: list[str] = list(getattr(args, "targets", None) or [])
    all_targets = bool(getattr(args, "all_targets", False))
    if not names and not all_targets:
        fail(f"{args.command}: name a TARGET (or several) or --all", EXIT_USAGE)
    if all_targets and names:
        fail(f"{args.command}: give TARGETs or --all, not both", EXIT_USAGE)
    config = load_config_or_exit(args)
    if not all_targets and len(names) == 1:
        env = config.environments.get(names[0])
        if env is None or not env.regions:
            args.target = names[0]
            return None
    return config, resolve_targets_or_exit(config, names, all_targets=all_targets)


async def each_in_order(
    args: argparse.Namespace, config: Config, targets: list[EnvironmentConfig],
    run_one: Callable[[argparse.Namespace, Config, EnvironmentConfig], Awaitable[int]],
) -> int:
    """Run a one-target command on each target in order, stopping at the first that does not exit 0; --json: one list."""
    from canary_tui.commands.common import print_json

    args.collected = []  # each run adds its JSON document here instead of printing it
    code = EXIT_OK
    for index, env in enumerate(targets):
        code = await run_one(args, config, env)
        if code != EXIT_OK:
            skipped = [t.name for t in targets[index + 1:]]
            if skipped:
                sys.stderr.write(f"canary-tui: {args.command} stopped at {env.name}; not ramped: {', '.join(skipped)}\n")
            break
    if args.json:
        print_json(args.collected)
    return code


class _Timed:
    """A controller whose rollback reads the server first (best effort) and gives up after `timeout_s` (None: never)."""

    def __init__(self, controller: Any, timeout_s: float | None) -> None:
        self.controller = controller
        self.timeout_s = timeout_s

    @property
    def snapshot(self) -> Snapshot:
        return self.controller.snapshot

    async def rollback(self, trigger: Trigger, note: str | None = None) -> ActionResult:
        ctl = self.controller

        async def read_then_roll_back() -> ActionResult:
            await ctl.refresh()  # best effort: the rollback itself is unconditional
            return await ctl.rollback(trigger, note)

        try:
            return await asyncio.wait_for(read_then_roll_back(), timeout=self.timeout_s)
        except TimeoutError:
            await ctl.aclose(abandon_rollback=True)
            stage = ctl.snapshot.stage
            return ActionResult("rollback", False, f"0% not confirmed within {self.timeout_s:g} s (every attempt is in the audit log)",
                                stage.percent if stage else None, 0)


async def rollback_targets(args: argparse.Namespace, config: Config, targets: list[EnvironmentConfig]) -> int:
    """Roll back every target in parallel; a line each as it lands, then the count; exit 0 only when all are confirmed."""
    from canary_tui.commands.actions import notifications_or_exit, notify_problems_to_stderr, result_doc
    from canary_tui.commands.common import client_for, one_line, paint, print_json
    from canary_tui.controller.factory import build_controller
    from canary_tui.controller.fleet import all_ok, rollback_each

    clients = {env.name: client_for(env) for env in targets}
    controllers = {env.name: build_controller(env, config, client=clients[env.name]) for env in targets}
    notifications = notifications_or_exit(config)
    for env in targets:
        notifications.attach(controllers[env.name], env)
        controllers[env.name].subscribe(on_event=notify_problems_to_stderr)
    timeout_s = args.timeout or None

    def landed(target: str, result: ActionResult) -> None:
        if args.json:
            return
        if result.ok:
            sys.stdout.write(paint(f"✅ {target}: {result.message}", "green") + "\n")
            sys.stdout.flush()
        else:
            sys.stderr.write(f"canary-tui: {target}: {one_line(result.message)}\n")
            sys.stderr.flush()

    try:
        timed = {name: _Timed(ctl, timeout_s) for name, ctl in controllers.items()}
        results = await rollback_each(timed, Trigger.CLI, args.note or "rollback (cli)", on_result=landed)
        await asyncio.gather(*(ctl.wait_idle() for ctl in controllers.values()))
    finally:
        await asyncio.gather(*(client.aclose() for client in clients.values()), return_exceptions=True)
        await notifications.aclose()
    ok = all_ok(results)
    code = EXIT_OK if ok else EXIT_FAILED
    if args.json:
        environment = {env.name: env.environment for env in targets}
        print_json([result_doc(name, environment[name], result) for name, result in results.items()])
    else:
        done = sum(r.ok for r in results.values())
        line = f"{done} of {len(results)} targets rolled back to 0% (confirmed by read-back)"
        sys.stdout.write((paint("🔄 " + line, "green") if ok else line) + "\n")
        sys.stdout.flush()
    if not ok:
        failed = ", ".join(name for name, r in results.items() if not r.ok)
        sys.stderr.write(f"canary-tui: rollback not confirmed for: {failed}\n")
    return code
