"""`canary-tui watch TARGET [--read-only]`: the dashboard on a configured environment or a URL."""

from __future__ import annotations

import argparse

from canary_tui.commands.common import load_config_or_exit, report_config_error, resolve_target_or_exit


def add_parser(subparsers: argparse._SubParsersAction) -> list[str]:
    """Register `watch`."""
    parser = subparsers.add_parser(
        "watch", help="open the dashboard on an environment",
        description="Open the live dashboard on a configured environment (by name) or a Mission Control URL.")
    parser.add_argument("target", metavar="TARGET", help="environment name from the config, or an https URL")
    parser.add_argument("--read-only", action="store_true", help="show everything, accept no key that changes the deployment")
    parser.set_defaults(run=_run)
    return ["watch"]


def _run(args: argparse.Namespace) -> int:
    """Load config, resolve the target, run the dashboard; config problems exit 2, never a traceback."""
    from canary_tui.config import ConfigError
    from canary_tui.controller.factory import build_controller
    from canary_tui.ui.launch import run_blocking, run_dashboard

    config = load_config_or_exit(args)
    env = resolve_target_or_exit(config, args.target)
    holder: dict[str, object] = {}

    def make_controller() -> object:
        controller = build_controller(env, config, read_only=args.read_only)
        holder["client"] = controller.client
        return controller

    async def close() -> None:
        client = holder.get("client")
        if client is not None and hasattr(client, "aclose"):
            await client.aclose()

    async def main() -> int:
        try:
            return await run_dashboard(
                make_controller,
                close=close,
                read_only=args.read_only,
                theme=config.theme,
                keymap=config.keymap,
                poll_interval_s=config.poll_interval_s,
                environment_label=env.name,
            )
        except ConfigError as exc:
            report_config_error(exc)
            return 2

    return run_blocking(main())
