"""`canary-tui notify test [TARGET]`: send a test message to every configured notify URL and report each result."""

from __future__ import annotations

import argparse

from canary_tui.commands.common import EXIT_FAILED, EXIT_OK, EXIT_USAGE, fail, load_config_or_exit, report_config_error, resolve_target_or_exit
from canary_tui.config import ConfigError


def add_parser(subparsers: argparse._SubParsersAction) -> list[str]:
    """Register `notify` with its `test` subcommand."""
    parser = subparsers.add_parser(
        "notify",
        help="notifications: send a test message to every configured URL",
        description="Notifications go to the apprise URLs of the config's [[notify]] tables (docs/notifications.md).",
    )
    sub = parser.add_subparsers(dest="notify_command", metavar="COMMAND", required=True)
    test = sub.add_parser(
        "test",
        help="send a test message to every configured URL and report each result (exit 1 if any failed)",
        description="Send a test message to every [[notify]] URL (with TARGET: those taking its environment) and print "
        "one line per URL: sent, or failed with why. Exit 0 when all were sent, 1 when any failed, 2 on a config error.",
    )
    test.add_argument("target", nargs="?", metavar="TARGET", help="name this target in the message and send to the URLs that take its environment")
    test.set_defaults(run=run)
    return ["notify"]


def run(args: argparse.Namespace) -> int:
    """Send one test message per URL and print each result."""
    from canary_tui.notify.attach import Notifications

    config = load_config_or_exit(args)
    target = resolve_target_or_exit(config, args.target) if args.target else None
    try:
        notifications = Notifications(config)
    except ConfigError as exc:
        report_config_error(exc)
        return EXIT_USAGE
    if notifications.notifier is None:
        fail("no notify URL is configured: add a [[notify]] table with url = \"...\" (docs/notifications.md)")
    try:
        deliveries, without_result = notifications.send_test(target)
    finally:
        notifications.notifier.close()
    if not deliveries and not without_result:
        fail(f"no notify URL takes environment {target.environment if target else ''!r}")
    for delivery in deliveries:
        print(f"{delivery.destination}: {delivery.outcome}{': ' + delivery.error if delivery.error else ''}")
    if without_result:
        print(f"{without_result} URL(s): no result in time")
    return EXIT_OK if not without_result and all(d.ok for d in deliveries) else EXIT_FAILED
