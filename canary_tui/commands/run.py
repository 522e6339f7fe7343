"""`canary-tui run TARGET... | --all [--json] [--instance NAME]`: the headless watcher (controller/headless.py), no screen."""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
from typing import Any

from canary_tui.commands.common import EXIT_USAGE, load_config_or_exit, report_config_error, resolve_targets_or_exit


def add_parser(subparsers: argparse._SubParsersAction) -> list[str]:
    """Register `run`."""
    parser = subparsers.add_parser(
        "run", help="watch targets without a screen: auto-rollback (and auto-advance) for a server, container or CI job",
        description="Watch one or more targets headless with the dashboard's controllers: auto-rollback (and auto-advance "
        "where configured) on, one line per event on stdout. SIGTERM or SIGINT stops it cleanly (a rollback in flight "
        "is finished first; a second signal abandons it). Exit 0 when stopped, 1 when a rollback was abandoned, "
        "2 on a usage or config error.")
    parser.add_argument("targets", metavar="TARGET", nargs="*", help="environment (all its regions), ENV/REGION, or a URL (https; http on loopback)")
    parser.add_argument("--all", dest="all_targets", action="store_true", help="every configured target")
    parser.add_argument("--json", action="store_true", help="JSON Lines: time, target, kind, level, message, actor, instance")
    parser.add_argument("--instance", metavar="NAME", help="this watcher's identity, sent as the actor (default run@HOST:PID)")
    parser.set_defaults(run=_run)
    return ["run"]


def _run(args: argparse.Namespace) -> int:
    """Load the config, build one controller per target with this instance as actor, watch until a signal."""
    from dataclasses import replace

    from canary_tui.commands.actions import notifications_or_exit
    from canary_tui.config import ConfigError
    from canary_tui.config_model import MAX_ACTOR_CHARS
    from canary_tui.controller.headless import HeadlessWatcher, instance_name

    config = load_config_or_exit(args)
    if not args.targets and not args.all_targets:
        sys.stderr.write("canary-tui: error: run needs a TARGET (or several, or --all)\n")
        return EXIT_USAGE
    instance = (args.instance or instance_name()).strip()
    if not instance or len(instance) > MAX_ACTOR_CHARS:
        sys.stderr.write(f"canary-tui: error: --instance: expected a name of 1..{MAX_ACTOR_CHARS} characters\n")
        return EXIT_USAGE
    envs = resolve_targets_or_exit(config, args.targets, all_targets=args.all_targets)
    config = replace(config, actor=instance)
    notifications = notifications_or_exit(config)
    _log_to_file()
    write = _json_line if args.json else _text_line

    async def main() -> int:
        try:
            controllers = _build_controllers(envs, config)
        except ConfigError as exc:
            report_config_error(exc)
            return EXIT_USAGE
        for env in envs:
            notifications.attach(dict(controllers)[env.name], env)
        watcher = HeadlessWatcher(controllers, instance=instance, poll_interval_s=config.poll_interval_s, on_event=write)
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, watcher.request_stop)
        try:
            return await watcher.run()
        finally:
            for _, controller in controllers:
                aclose = getattr(controller.client, "aclose", None)
                if callable(aclose):
                    await aclose()
            await notifications.aclose()  # the messages in flight are delivered or given up

    try:
        return asyncio.run(main())
    except KeyboardInterrupt:  # a signal before the handlers were installed
        return 130


def _build_controllers(envs: list[Any], config: Any) -> list[tuple[str, Any]]:
    """One controller per target from the shared factory; each consults the promotion pipeline as in `watch`."""
    from canary_tui.commands.common import client_for
    from canary_tui.controller.factory import build_controller
    from canary_tui.controller.fleet import pipeline_guard, states_from_clients, states_watched_or_fetched
    from canary_tui.core.clock import SystemClock

    watched: dict[str, Any] = {env.name: build_controller(env, config) for env in envs}
    fetch = states_from_clients(config, client_for, SystemClock())
    for env in envs:
        watched[env.name].advance_guard = pipeline_guard(env, config, states_watched_or_fetched(watched, fetch))
    return list(watched.items())


def _text_line(event: Any) -> None:
    """One plain line per event, flushed at once (stdout is usually a pipe to a log collector)."""
    sys.stdout.write(event.as_text() + "\n")
    sys.stdout.flush()


def _json_line(event: Any) -> None:
    """One JSON object per line (the fields of WatchEvent.as_json), flushed at once."""
    sys.stdout.write(json.dumps(event.as_json(), ensure_ascii=False) + "\n")
    sys.stdout.flush()


def _log_to_file() -> None:
    """Unexpected errors inside the watcher go with their traceback to run.log in the log dir, never to the terminal."""
    import logging

    from canary_tui.paths import log_dir

    logger = logging.getLogger("canary_tui")
    logger.propagate = False
    try:
        directory = log_dir()
        directory.mkdir(parents=True, exist_ok=True)
        handler: logging.Handler = logging.FileHandler(directory / "run.log", encoding="utf-8")
    except OSError:
        handler = logging.NullHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logger.addHandler(handler)
    logger.setLevel(logging.WARNING)
