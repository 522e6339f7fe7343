"""`canary-tui notify test [TARGET]`: send a test message to every configured notify URL and report each result."""

from __future__ import annotations

import argparse
import threading

from canary_tui.commands.common import EXIT_FAILED, EXIT_OK, EXIT_USAGE, fail, load_config_or_exit, report_config_error, resolve_target_or_exit
from canary_tui.config import ConfigError
from canary_tui.core.clock import SystemClock
from canary_tui.core.notices import TEST_EVENT, Notice

#: extra seconds `notify test` waits beyond every URL's timeouts and retries
_DRAIN_SLACK_S = 5.0


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
    """Send one test message per URL and wait for every result."""
    from canary_tui.notify.attach import build_notifier
    from canary_tui.notify.sender import Delivery, route_takes

    config = load_config_or_exit(args)
    target = resolve_target_or_exit(config, args.target) if args.target else None
    try:
        notifier = build_notifier(config)
    except ConfigError as exc:
        report_config_error(exc)
        return EXIT_USAGE
    if notifier is None:
        fail("no notify URL is configured: add a [[notify]] table with url = \"...\" (docs/notifications.md)")
    clock = SystemClock()
    name = target.name if target is not None else "(no target)"
    notice = Notice(TEST_EVENT, name, target.environment if target is not None else "", "", "",
                    "a test message from canary-tui notify test", config.actor, clock.now())
    results: list[Delivery] = []
    lock = threading.Lock()

    def report(delivery: Delivery) -> None:
        with lock:
            results.append(delivery)

    queued = len([c for c in notifier.channels if route_takes(c.route, notice)])
    skipped = notifier.submit(notice, report)
    settings = config.notify
    notifier.drain(settings.timeout_s * (settings.retries + 1) + sum(notifier.backoff_s[: settings.retries]) + _DRAIN_SLACK_S)
    notifier.close()
    with lock:
        done = [*skipped, *results]
    if queued == 0:
        fail(f"no notify URL takes environment {notice.environment!r}")
    for delivery in done:
        print(f"{delivery.destination}: {delivery.outcome}{': ' + delivery.error if delivery.error else ''}")
    waiting = queued - len(results)
    if waiting > 0:
        print(f"{waiting} URL(s): no result in time")
    return EXIT_OK if waiting <= 0 and all(d.ok for d in done) else EXIT_FAILED

