"""Background delivery through apprise: one worker thread and bounded queue per URL, with a timeout and bounded retries.

`Notifier.submit` only checks the dedupe and rate limit and queues; it never waits on the network,
so a hanging or failing receiver cannot delay a rollback, a poll or the screen.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from canary_tui.config_model import NotifyRoute, NotifySettings
from canary_tui.core.clock import Clock, SystemClock
from canary_tui.core.notices import TEST_EVENT, Notice, Throttle
from canary_tui.notify.message import Message, render, scrub, secret_parts

log = logging.getLogger(__name__)

INSTALL_HINT = "pip install 'canary-tui[notify]'"
#: a URL's queue holds at most this many messages; more are dropped and reported
QUEUE_MAX = 100
#: waits between attempts (the last repeats)
RETRY_BACKOFF_S = (1.0, 3.0, 10.0)


@dataclass(frozen=True, slots=True)
class Delivery:
    """What happened to one notice at one URL: sent, failed (with why), or skipped (duplicate, rate-limited, queue full)."""

    notice: Notice
    destination: str  # the URL with its secrets masked
    outcome: str  # "sent", "failed", "duplicate", "rate-limited", "dropped"
    attempts: int = 0
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.outcome == "sent"

    def describe(self) -> str:
        """One event-log line, e.g. 'notify auto-rollback → json://…/hook: sent'."""
        where = f" → {self.destination}" if self.destination else ""
        tries = f" after {self.attempts} attempts" if self.attempts > 1 else ""
        why = f": {self.error}" if self.error else ""
        return f"notify {self.notice.event}{where}: {self.outcome}{tries}{why}"


#: send(url, message, timeout_s) -> None when delivered, else why not (never raises)
SendFunction = Callable[[str, Message, float], str | None]
Report = Callable[[Delivery], None]


class AppriseMissingError(Exception):
    """A notify URL is configured but apprise is not installed."""

    def __init__(self) -> None:
        super().__init__(f"notifications are configured but apprise is not installed; run: {INSTALL_HINT}")


def require_apprise() -> None:
    """Raise AppriseMissingError unless apprise can be imported."""
    try:
        import apprise  # noqa: F401
    except ImportError:
        raise AppriseMissingError() from None


def accepts(url: str) -> bool:
    """Whether apprise knows this URL's service and can parse it."""
    import apprise

    try:
        return bool(apprise.Apprise.instantiate(url))
    except Exception:  # noqa: BLE001 - a plugin that cannot parse its URL says no
        return False


def masked(url: str) -> str:
    """The URL as apprise shows it with privacy on (its own notion of secrets masked), else only its scheme."""
    try:
        import apprise

        plugin = apprise.Apprise.instantiate(url)
        if plugin:
            return str(plugin.url(privacy=True)).partition("?")[0]
    except Exception:
        log.debug("cannot mask a notify URL", exc_info=True)
    return url.partition("://")[0] + "://***"


class _ThreadErrors(logging.Handler):
    """Apprise's warnings from one thread: why its last send failed."""

    def __init__(self, thread_id: int) -> None:
        super().__init__(logging.WARNING)
        self.thread_id = thread_id
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread == self.thread_id:
            self.messages.append(record.getMessage())


def apprise_send(url: str, message: Message, timeout_s: float) -> str | None:
    """Deliver one message through apprise within `timeout_s` (connect and read); None when delivered, else why not."""
    import apprise

    plugin = apprise.Apprise.instantiate(url)
    if not plugin:
        return "apprise does not accept this URL"
    plugin.socket_connect_timeout = timeout_s
    plugin.socket_read_timeout = timeout_s
    errors = _ThreadErrors(threading.get_ident())
    logger = logging.getLogger("apprise")
    logger.addHandler(errors)
    try:
        ok = plugin.notify(body=message.body, title=message.title)
    except Exception as exc:  # noqa: BLE001 - a plugin's bug is one failed delivery, never a crash
        return f"{type(exc).__name__}: {exc}"
    finally:
        logger.removeHandler(errors)
    if ok:
        return None
    return errors.messages[-1] if errors.messages else "not delivered"


class _Channel:
    """One URL: a bounded queue and the worker thread that sends from it."""

    def __init__(self, route: NotifyRoute, url: str, notifier: Notifier) -> None:
        self.route = route
        self.url = url
        self.secrets = [part for part in secret_parts(url) if part != url]
        self.destination = scrub(masked(url), self.secrets)
        self.notifier = notifier
        self.queue: queue.Queue[tuple[Notice, Report] | None] = queue.Queue(QUEUE_MAX)
        self.busy = 0
        self.thread = threading.Thread(target=self._work, name=f"notify {self.destination}", daemon=True)
        self.thread.start()

    def _work(self) -> None:
        while (item := self.queue.get()) is not None:
            notice, report = item
            try:
                report(self._deliver(notice))
            except Exception:
                log.exception("notify report failed")
            finally:
                with self.notifier.idle:
                    self.busy -= 1
                    self.notifier.idle.notify_all()

    def _deliver(self, notice: Notice) -> Delivery:
        n = self.notifier
        message = render(notice, n.settings.link_base, n.secrets)
        error: str | None = "not attempted"
        attempts = 0
        for attempts in range(1, n.settings.retries + 2):
            error = n.send(self.url, message, n.settings.timeout_s)
            if error is None:
                return Delivery(notice, self.destination, "sent", attempts)
            if attempts <= n.settings.retries and n.closing.wait(n.backoff_s[min(attempts - 1, len(n.backoff_s) - 1)]):
                break
        return Delivery(notice, self.destination, "failed", attempts, scrub(error or "", n.secrets))


class Notifier:
    """Routes notices to their URLs in the background; one per process, shared by every controller."""

    def __init__(
        self,
        settings: NotifySettings,
        urls: Sequence[tuple[NotifyRoute, str]],
        *,
        clock: Clock | None = None,
        send: SendFunction = apprise_send,
        backoff_s: Sequence[float] = RETRY_BACKOFF_S,
    ) -> None:
        self.settings = settings
        self.clock = clock or SystemClock()
        self.send = send
        self.backoff_s = tuple(backoff_s) or (0.0,)
        self.throttle = Throttle(settings.limits)
        self.closing = threading.Event()
        self.idle = threading.Condition()
        self._lock = threading.Lock()
        self.secrets = sorted({part for _, url in urls for part in secret_parts(url)}, key=len, reverse=True)
        self.channels = [_Channel(route, url, self) for route, url in urls]

    def submit(self, notice: Notice, report: Report) -> list[Delivery]:
        """Queue `notice` for every URL that wants it (never blocks); returns the deliveries skipped now."""
        if notice.event != TEST_EVENT:
            with self._lock:
                refused = self.throttle.admit(notice, self.clock.now())
            if refused is not None:
                return [Delivery(notice, "", refused)]
        skipped: list[Delivery] = []
        for channel in self.channels:
            if not route_takes(channel.route, notice):
                continue
            with self.idle:
                channel.busy += 1
            try:
                channel.queue.put_nowait((notice, report))
            except queue.Full:
                with self.idle:
                    channel.busy -= 1
                skipped.append(Delivery(notice, channel.destination, "dropped", error=f"more than {QUEUE_MAX} messages waiting"))
        return skipped

    def deliver_and_wait(self, notice: Notice, timeout_s: float) -> tuple[list[Delivery], int]:
        """Queue `notice` and wait for its results (at most `timeout_s`): (deliveries, URLs that gave none in time)."""
        results: list[Delivery] = []
        lock = threading.Lock()

        def report(delivery: Delivery) -> None:
            with lock:
                results.append(delivery)

        queued = sum(route_takes(c.route, notice) for c in self.channels)
        skipped = self.submit(notice, report)
        self.drain(timeout_s)
        with lock:
            return [*skipped, *results], queued - len(skipped) - len(results)

    def drain(self, timeout_s: float) -> bool:
        """Wait until every queued message has been delivered or given up (at most `timeout_s`); True when all done."""
        with self.idle:
            return self.idle.wait_for(lambda: all(c.busy == 0 for c in self.channels), timeout_s)

    def close(self) -> None:
        """Stop the workers: queued messages are given up, retries stop waiting."""
        self.closing.set()
        for channel in self.channels:
            while True:
                try:
                    item = channel.queue.get_nowait()
                except queue.Empty:
                    break
                if item is not None:
                    with self.idle:
                        channel.busy -= 1
                        self.idle.notify_all()
            channel.queue.put(None)


def route_takes(route: NotifyRoute, notice: Notice) -> bool:
    """Whether `route` takes `notice`; a test goes to every URL (to those of its environment when it names one)."""
    if notice.event == TEST_EVENT:
        return not notice.environment or not route.environments or notice.environment in route.environments
    return route.wants(notice.event, notice.environment)
