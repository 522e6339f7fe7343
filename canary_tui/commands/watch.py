"""`canary-tui watch TARGET... | --all [--read-only]`: the dashboard on one target, the fleet overview on several."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from canary_tui.commands.common import load_config_or_exit, report_config_error


def add_parser(subparsers: argparse._SubParsersAction) -> list[str]:
    """Register `watch`."""
    parser = subparsers.add_parser(
        "watch", help="open the dashboard on an environment (several: the fleet overview)",
        description="Open the live dashboard on a configured environment (by name) or a Mission Control URL. "
        "Several targets (or --all) open the fleet overview: one row per target, Enter opens one.")
    parser.add_argument("targets", metavar="TARGET", nargs="*",
                        help="environment name (ENV means all its regions), ENV/REGION, or a URL; several: the fleet overview")
    parser.add_argument("--all", dest="all_targets", action="store_true", help="every configured environment")
    parser.add_argument("--read-only", action="store_true", help="show everything, accept no key that changes the deployment")
    # internal: the session `canary-tui serve` starts per browser; read-only, no token, no mutating key at all
    parser.add_argument("--served", action="store_true", help=argparse.SUPPRESS)
    parser.set_defaults(run=_run)
    return ["watch"]


def _run(args: argparse.Namespace) -> int:
    """Load config, resolve the targets, run the dashboard or the overview; config problems exit 2, never a traceback."""
    from canary_tui.commands.actions import notifications_or_exit
    from canary_tui.config import ConfigError, resolve_targets
    from canary_tui.controller.factory import build_controller
    from canary_tui.ui.launch import run_blocking, run_dashboard

    config = load_config_or_exit(args)
    names = [name for name in args.targets if name]
    if not names and not args.all_targets:
        sys.stderr.write("canary-tui: error: watch needs a TARGET (or several, or --all)\n")
        return 2
    try:
        envs = resolve_targets(config, names, all_targets=args.all_targets)  # an environment with regions: all of them
    except ConfigError as exc:
        report_config_error(exc)
        return 2
    if args.served:  # a viewer: read-only, and it sends no notification nor reads a notify URL's secret
        from dataclasses import replace

        from canary_tui.config_model import NotifySettings

        args.read_only = True
        config = replace(config, notify=NotifySettings())
    if len(envs) > 1:
        return _run_fleet(args, config, envs)
    env = envs[0]
    holder: dict[str, object] = {}
    notifications = notifications_or_exit(config)

    def make_controller() -> object:
        if args.served:  # a viewer: no pipeline guard, no token resolved
            controller = build_controller(env, config, read_only=True, with_token=False)
        else:
            controller = build_controller(env, config, read_only=args.read_only, advance_guard=_guard(env, config, {}))
        notifications.attach(controller, env)
        holder["client"] = controller.client
        return controller

    async def close() -> None:
        client = holder.get("client")
        if client is not None and hasattr(client, "aclose"):
            await client.aclose()
        await notifications.aclose()

    async def main() -> int:
        try:
            return await run_dashboard(
                make_controller,
                close=close,
                read_only=args.read_only,
                served=args.served,
                theme=config.theme,
                keymap=config.keymap,
                poll_interval_s=config.poll_interval_s,
                environment_label=env.name,
            )
        except ConfigError as exc:
            report_config_error(exc)
            return 2

    return run_blocking(main())


def _run_fleet(args: argparse.Namespace, config: Any, envs: list[Any]) -> int:
    """The fleet overview: one controller per target, each polled on its own."""
    from canary_tui.commands.actions import notifications_or_exit
    from canary_tui.config import ConfigError
    from canary_tui.controller.factory import build_controller
    from canary_tui.ui.launch import run_blocking, run_fleet

    clients: list[Any] = []
    notifications = notifications_or_exit(config)

    def make_controllers() -> list[tuple[str, Any]]:
        out = []
        watched: dict[str, Any] = {}
        for env in envs:
            controller = build_controller(env, config, read_only=args.read_only, with_token=not args.served)
            notifications.attach(controller, env)
            clients.append(controller.client)
            out.append((env.name, controller))
            watched[env.name] = controller
        for env in envs if not args.served else ():  # each consults the promotion pipeline on the fleet's own snapshots where it watches upstream
            watched[env.name].advance_guard = _guard(env, config, watched)
        return out

    async def close() -> None:
        for client in clients:
            if hasattr(client, "aclose"):
                await client.aclose()
        await notifications.aclose()

    async def main() -> int:
        try:
            return await run_fleet(make_controllers, close=close, read_only=args.read_only, served=args.served, theme=config.theme,
                                   keymap=config.keymap, poll_interval_s=config.poll_interval_s)
        except ConfigError as exc:
            report_config_error(exc)
            return 2

    return run_blocking(main())


def _guard(env: Any, config: Any, watched: dict[str, Any]) -> Any:
    """The promotion-pipeline guard for `env`: upstream targets read from `watched` controllers, else fetched once each."""
    from canary_tui.commands.common import client_for
    from canary_tui.controller.fleet import pipeline_guard, states_from_clients, states_watched_or_fetched
    from canary_tui.core.clock import SystemClock

    return pipeline_guard(env, config, states_watched_or_fetched(watched, states_from_clients(config, client_for, SystemClock())))
