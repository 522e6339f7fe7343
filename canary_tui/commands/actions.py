"""`rollback`, `pause`, `resume` and `checkpoint`: one-shot actions on the shared controller.

Exit 0 done (a rollback only once 0% is confirmed by read-back), 1 refused or
failed (reason on stderr), 2 usage or config error. `--json` prints one object.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from canary_tui.controller.model import ActionResult, Trigger

if TYPE_CHECKING:
    from canary_tui.config import Config, EnvironmentConfig

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
DEFAULT_ROLLBACK_TIMEOUT_S = 600.0


def add_parser(subparsers: argparse._SubParsersAction) -> list[str]:
    """Register rollback, pause, resume and checkpoint."""
    rb = subparsers.add_parser("rollback", help="roll the canary back to 0%% now (exit 0 once confirmed)",
                               description="Set the canary to 0% unconditionally, retrying until a read-back shows 0%. "
                                           "Several targets are rolled back in parallel; exit 0 only when every one is confirmed.")
    rb.add_argument("targets", metavar="TARGET", nargs="*",
                    help="environment name (ENV: every region, in parallel), ENV/REGION, or a URL; several at once")
    rb.add_argument("--all", dest="all_targets", action="store_true", help="roll back every configured target, in parallel")
    rb.add_argument("--note", default=None, help="why (kept in the server's history and the audit log)")
    rb.add_argument("--timeout", type=_non_negative, default=DEFAULT_ROLLBACK_TIMEOUT_S, metavar="S",
                    help=f"give up (exit 1) if 0%% is not confirmed within S seconds; 0 = keep trying (default {DEFAULT_ROLLBACK_TIMEOUT_S:g})")
    rb.add_argument("--json", action="store_true", help="print one JSON object (a list for several targets)")
    rb.set_defaults(run=run_rollback)
    for name, verb in (("pause", "put the ramp on hold"), ("resume", "clear the hold")):
        p = subparsers.add_parser(name, help=verb, description=f"{verb[0].upper()}{verb[1:]} (compare-and-set on the current percent).")
        p.add_argument("target", metavar="TARGET", help="environment name from the config, or a URL")
        p.add_argument("--note", default=None, help="why (kept in the server's history and the audit log)")
        p.add_argument("--json", action="store_true", help="print one JSON object")
        p.set_defaults(run=run_pause if name == "pause" else run_resume)
    cp = subparsers.add_parser("checkpoint", help="create a rollback checkpoint", description="POST a rollback checkpoint with a note.")
    cp.add_argument("target", metavar="TARGET", help="environment name from the config, or a URL")
    cp.add_argument("--note", default=None, help="checkpoint note (default: 'checkpoint by ACTOR')")
    cp.add_argument("--json", action="store_true", help="print one JSON object")
    cp.set_defaults(run=run_checkpoint)
    return ["rollback", "pause", "resume", "checkpoint"]


def _non_negative(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected seconds, got {text!r}") from None
    if not value >= 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return value


@asynccontextmanager
async def configured_session(
    args: argparse.Namespace, *, config: Config | None = None, env: EnvironmentConfig | None = None,
) -> AsyncIterator[tuple[Config, Any]]:
    """Config → environment → client → controller (exit 2 on config or credential errors), as (config, controller); closed after.

    The controller consults the promotion pipeline (core/pipeline.py) through one heartbeat fetch of each upstream target.
    """
    from canary_tui.commands.common import client_for, load_config_or_exit, resolve_target_or_exit
    from canary_tui.controller.factory import build_controller
    from canary_tui.controller.fleet import pipeline_guard, states_from_clients
    from canary_tui.core.clock import SystemClock

    config = config or load_config_or_exit(args)
    env = env or resolve_target_or_exit(config, args.target)
    client = client_for(env)
    auto_rollback = False if getattr(args, "no_auto_rollback", False) else None
    guard = pipeline_guard(env, config, states_from_clients(config, client_for, SystemClock()))
    notifications = notifications_or_exit(config)
    controller = build_controller(env, config, client=client, auto_rollback=auto_rollback, advance_guard=guard)
    notifications.attach(controller, env)
    for event in list(controller.events):  # those found while it was built, then those to come (a dashboard logs them)
        _store_problems_to_stderr(event)
    unsubscribe = controller.subscribe(on_event=_store_problems_to_stderr)
    try:
        yield config, controller
        await controller.wait_idle()  # an automatic rollback the command set off is seen through
    finally:
        await client.aclose()
        await notifications.aclose()  # after the result: the messages in flight are delivered or given up
        unsubscribe()


def notifications_or_exit(config: Config) -> Any:
    """The process's notifications (canary_tui/notify), or exit 2 naming the problem (apprise missing, a URL unreadable)."""
    from canary_tui.commands.common import report_config_error
    from canary_tui.config import ConfigError
    from canary_tui.notify.attach import Notifications

    try:
        return Notifications(config)
    except ConfigError as exc:
        report_config_error(exc)
        raise SystemExit(EXIT_USAGE) from None


def _store_problems_to_stderr(event: Any) -> None:
    """A history-store problem (corrupt, read-only, held by another process) as one stderr line: the command goes on without it."""
    from canary_tui.controller.recording import EVENT_KIND

    if event.kind == EVENT_KIND:
        sys.stderr.write(f"canary-tui: history store: {event.message}\n")
    notify_problems_to_stderr(event)


def notify_problems_to_stderr(event: Any) -> None:
    """A notification that failed or was held back, as one stderr line (the command goes on)."""
    from canary_tui.notify.attach import EVENT_KIND

    if event.kind == EVENT_KIND and event.level != "info":
        sys.stderr.write(f"canary-tui: {event.message}\n")


@asynccontextmanager
async def controller_session(args: argparse.Namespace) -> AsyncIterator[Any]:
    """configured_session's controller alone."""
    async with configured_session(args) as (_config, controller):
        yield controller


def guarded(body: Callable[[argparse.Namespace], Coroutine[Any, Any, int]]) -> Callable[[argparse.Namespace], int]:
    """Run an async command body; any unexpected error becomes one stderr line and exit 1, never a traceback."""

    def run(args: argparse.Namespace) -> int:
        try:
            return asyncio.run(body(args))
        except SystemExit:
            raise
        except KeyboardInterrupt:
            raise
        except Exception as exc:  # noqa: BLE001 - the CLI reports, it never crashes
            from canary_tui.commands.common import one_line

            sys.stderr.write(f"canary-tui: {args.command}: internal error ({type(exc).__name__}: {one_line(exc)})\n")
            return EXIT_FAILED

    return run


def result_doc(target: str, environment: str, result: ActionResult, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """An action's JSON object: the target it acted on and its environment (production for production/eu-west-1)."""
    return {
        "target": target, "environment": environment, "action": result.action, "ok": result.ok, "conflict": result.conflict,
        "message": result.message, "from_percent": result.from_percent, "to_percent": result.to_percent,
        "exit_code": EXIT_OK if result.ok else EXIT_FAILED, **(extra or {}),
    }


def report(args: argparse.Namespace, ctl: Any, result: ActionResult, text_ok: str, extra: dict[str, Any] | None = None) -> int:
    """Print the result (text or JSON); failures also go to stderr. Returns the exit code."""
    from canary_tui.commands.common import one_line, paint, print_json

    code = EXIT_OK if result.ok else EXIT_FAILED
    if getattr(args, "json", False):
        audit = getattr(ctl, "audit", None)  # it names the target's environment as its records do
        print_json(result_doc(ctl.environment, getattr(audit, "environment", ctl.environment), result, extra))
    elif result.ok:
        sys.stdout.write(paint("✅ " + text_ok, "green") + "\n")
    if not result.ok:
        message = one_line(result.message)
        # the controller's messages already name the action ("rollback failed: …"): never say it twice
        prefix = "" if message.startswith(f"{result.action} ") else f"{result.action} {'refused' if result.conflict else 'failed'}: "
        sys.stderr.write(f"canary-tui: {prefix}{message}\n")
    sys.stdout.flush()
    return code


async def _rollback(args: argparse.Namespace) -> int:
    from canary_tui.commands.actions_fleet import rollback_targets, several_targets

    targets = several_targets(args)
    if targets is not None:
        return await rollback_targets(args, *targets)
    async with controller_session(args) as ctl:
        await ctl.refresh()  # best effort: the rollback itself is unconditional
        timeout_s = args.timeout or None
        try:
            result = await asyncio.wait_for(ctl.rollback(Trigger.CLI, note=args.note or "rollback (cli)"), timeout=timeout_s)
        except TimeoutError:
            await ctl.aclose(abandon_rollback=True)
            result = ActionResult("rollback", False, f"0% not confirmed within {args.timeout:g} s (every attempt is in the audit log)", ctl.snapshot.stage.percent if ctl.snapshot.stage else None, 0)
        if not args.json and result.ok:
            sys.stdout.write("🔄 Emergency Rollback: 0% Canary\n")
        done = "Canary was already at 0%" if result.from_percent == 0 else "Canary disabled"
        return report(args, ctl, result, f"{done}. All traffic to stable (0% confirmed by read-back).")


async def _pause_or_resume(args: argparse.Namespace, pause: bool) -> int:
    async with controller_session(args) as ctl:
        snap = await ctl.refresh()
        action = ctl.pause if pause else ctl.resume
        if snap.heartbeat is None:
            result = ActionResult(args.command, False, f"cannot read the current state ({snap.connection_error})")
        else:
            result = await action(Trigger.CLI, note=args.note)
        percent = ctl.snapshot.stage.percent if ctl.snapshot.stage else "?"
        word = "paused" if pause else "resumed"
        return report(args, ctl, result, f"Ramp {word} at {percent}%")


async def _checkpoint(args: argparse.Namespace) -> int:
    async with controller_session(args) as ctl:
        await ctl.refresh()
        note = args.note or f"checkpoint by {ctl.actor}"
        result = await ctl.checkpoint(note, Trigger.CLI)
        checkpoint_id = result.message.split()[1] if result.ok else None
        return report(args, ctl, result, f"Checkpoint {checkpoint_id} created: {note}", {"checkpoint_id": checkpoint_id, "note": note})


run_rollback = guarded(_rollback)
run_pause = guarded(lambda args: _pause_or_resume(args, True))
run_resume = guarded(lambda args: _pause_or_resume(args, False))
run_checkpoint = guarded(_checkpoint)
