"""Building the process's notifier from config and attaching it to controllers (dashboard, ramp, rollback, run)."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable, Mapping

from canary_tui.config import Config, ConfigError, EnvironmentConfig, resolve_secret
from canary_tui.config_model import NotifyRoute
from canary_tui.controller.controller import RampController
from canary_tui.controller.model import EventLevel
from canary_tui.controller.notify_events import NotifyEvents
from canary_tui.core.clock import Clock
from canary_tui.core.notices import Notice
from canary_tui.notify.sender import AppriseMissingError, Delivery, Notifier, require_apprise

log = logging.getLogger(__name__)

#: the journal's kind for notification results
EVENT_KIND = "notify"
_LEVELS = {"sent": EventLevel.INFO, "duplicate": EventLevel.INFO, "rate-limited": EventLevel.WARNING}


def route_urls(config: Config, environ: Mapping[str, str] = os.environ) -> list[tuple[NotifyRoute, str]]:
    """Each route with its URL resolved (env, file or command); ConfigError naming the key when one cannot be read."""
    out: list[tuple[NotifyRoute, str]] = []
    problems: list[str] = []
    for i, route in enumerate(config.notify.routes):
        if isinstance(route.url, str):
            out.append((route, route.url))
            continue
        try:
            secret = resolve_secret(route.url, environ)
        except ConfigError as exc:
            problems += [f"notify[{i}].url: {e}" for e in exc.errors]
            continue
        if secret is None:
            problems.append(f"notify[{i}].url: {route.url.describe()} is not set")
            continue
        out.append((route, secret.reveal()))
    if problems:
        raise ConfigError(problems, config.path)
    return out


def build_notifier(config: Config, *, clock: Clock | None = None, environ: Mapping[str, str] = os.environ) -> Notifier | None:
    """The notifier for `config`, None when no `[[notify]]` route is configured.

    ConfigError when apprise is missing (naming the extra to install) or a URL's source cannot be read.
    """
    if not config.notify.routes:
        return None
    try:
        require_apprise()
    except AppriseMissingError as exc:
        raise ConfigError([f"notify: {exc}"], config.path) from None
    return Notifier(config.notify, route_urls(config, environ), clock=clock)


def attach_notifier(controller: RampController, target: EnvironmentConfig, config: Config, notifier: Notifier | None) -> Callable[[], None]:
    """Send `controller`'s notification events through `notifier`; results go into its event log. Returns a detach function."""
    if notifier is None:
        return lambda: None
    reporter = JournalReporter(controller)
    events = NotifyEvents(target.name, target.environment, controller.actor, config.notify, controller.clock, reporter.submit_to(notifier))
    unsubscribe = controller.subscribe(events.on_snapshot, events.on_event)
    controller.closers.append(unsubscribe)
    return unsubscribe


class JournalReporter:
    """Writes delivery results into a controller's event log, on the controller's own event loop."""

    def __init__(self, controller: RampController) -> None:
        self.controller = controller

    def submit_to(self, notifier: Notifier) -> Callable[[Notice], None]:
        """A sink that queues each notice and reports skipped deliveries at once, the rest when they finish."""

        def sink(notice: Notice) -> None:
            report = self.on_loop()
            for skipped in notifier.submit(notice, report):
                if skipped.outcome == "duplicate":  # a repeat: nothing new to say in the log
                    log.debug("%s", skipped.describe())
                else:
                    self.emit(skipped)

        return sink

    def on_loop(self) -> Callable[[Delivery], None]:
        """A report function safe to call from a worker thread: it hops onto the running loop (when there is one)."""
        try:
            loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            loop = None

        def report(delivery: Delivery) -> None:
            if loop is None:
                self.emit(delivery)
                return
            try:
                loop.call_soon_threadsafe(self.emit, delivery)
            except RuntimeError:  # the loop has closed (the command finished): the log line has nowhere to go
                log.info("%s", delivery.describe())

        return report

    def emit(self, delivery: Delivery) -> None:
        """One event-log line for one delivery."""
        self.controller.emit(EVENT_KIND, delivery.describe(), _LEVELS.get(delivery.outcome, EventLevel.ERROR))
