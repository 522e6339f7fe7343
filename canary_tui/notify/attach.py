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
from canary_tui.core.notices import TEST_EVENT, Notice
from canary_tui.notify.sender import AppriseMissingError, Delivery, Notifier, accepts, require_apprise

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
    urls = route_urls(config, environ)
    unusable = [f"notify[{i}].url: apprise does not accept this {url.partition('://')[0]}:// URL (see its wiki for the service's URL format)"
                for i, (_route, url) in enumerate(urls) if not accepts(url)]
    if unusable:
        raise ConfigError(unusable, config.path)
    return Notifier(config.notify, urls, clock=clock)


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


#: the longest a command or the dashboard waits on the way out for messages still being delivered
DRAIN_MAX_S = 30.0
#: `notify test` waits this much longer than the timeouts and retries, for the worker threads to report
TEST_SLACK_S = 5.0


class Notifications:
    """One process's notifier and its controllers: attach each, then drain and close on the way out.

    Without `[[notify]]` routes it does nothing (apprise is never imported); ConfigError when apprise is
    missing or a URL's source cannot be read.
    """

    def __init__(self, config: Config, *, clock: Clock | None = None) -> None:
        self.config = config
        self.notifier = build_notifier(config, clock=clock)

    def attach(self, controller: RampController, target: EnvironmentConfig) -> None:
        """Send this controller's notification events (see attach_notifier)."""
        attach_notifier(controller, target, self.config, self.notifier)

    @property
    def drain_s(self) -> float:
        """How long the messages in flight may still need: every attempt's timeout and backoff, capped at DRAIN_MAX_S."""
        notifier = self.notifier
        if notifier is None:
            return 0.0
        settings = notifier.settings
        backoff_s = sum(notifier.backoff_s[min(i, len(notifier.backoff_s) - 1)] for i in range(settings.retries))
        return min(DRAIN_MAX_S, settings.timeout_s * (settings.retries + 1) + backoff_s)

    def send_test(self, target: EnvironmentConfig | None) -> tuple[list[Delivery], int]:
        """A test message to every URL (those taking `target`'s environment when given): (deliveries, URLs without a result in time)."""
        if self.notifier is None:
            return [], 0
        name, environment = (target.name, target.environment) if target is not None else ("(no target)", "")
        notice = Notice(TEST_EVENT, name, environment, "", "", "a test message from canary-tui notify test", self.config.actor,
                        self.notifier.clock.now())
        return self.notifier.deliver_and_wait(notice, self.drain_s + TEST_SLACK_S)

    async def aclose(self, drain_s: float | None = None) -> None:
        """Let the messages in flight finish (at most `drain_s`, default `self.drain_s`), then stop the workers."""
        notifier = self.notifier
        if notifier is None:
            return
        await asyncio.to_thread(notifier.drain, self.drain_s if drain_s is None else drain_s)
        await asyncio.sleep(0)  # the reports hopping onto this loop land in the event log
        notifier.close()
