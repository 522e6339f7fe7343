"""Dedupe and rate limit per target and event, on an injected clock; bounded retries and reporting with a fake sender."""

from __future__ import annotations

import threading

from canary_tui.config_model import NotifyRoute, NotifySettings
from canary_tui.core.clock import ManualClock
from canary_tui.core.notices import Notice, Throttle, ThrottleLimits
from canary_tui.notify.sender import Delivery, Notifier


def _notice(event: str = "gate-failing", target: str = "staging", reason: str = "p95 1200 ms > 1000 ms", at_s: float = 0.0) -> Notice:
    return Notice(event, target, target.partition("/")[0], "v0.5.0", "10% (stage 1 of 3)", reason, "alice@test", at_s)


def test_a_repeat_is_dropped_within_the_dedupe_window_and_sent_after_it() -> None:
    throttle = Throttle(ThrottleLimits(dedupe_s=600.0, rate_count=5, rate_window_s=60.0))
    assert throttle.admit(_notice(), 0.0) is None
    assert throttle.admit(_notice(), 599.0) == "duplicate"
    assert throttle.admit(_notice(target="production"), 599.0) is None  # another target is not a repeat
    assert throttle.admit(_notice(reason="p95 1300 ms > 1000 ms"), 599.0) is None  # new figures are news
    assert throttle.admit(_notice(), 600.0) is None


def test_rate_limit_counts_per_target_and_event_over_a_sliding_window() -> None:
    throttle = Throttle(ThrottleLimits(dedupe_s=1.0, rate_count=2, rate_window_s=100.0))
    assert [throttle.admit(_notice(reason=f"r{i}"), float(i)) for i in range(3)] == [None, None, "rate-limited"]
    assert throttle.admit(_notice(event="stale", reason="r9"), 3.0) is None  # another event has its own budget
    assert throttle.admit(_notice(target="production", reason="r9"), 3.0) is None
    assert throttle.admit(_notice(reason="r10"), 99.0) == "rate-limited"
    assert throttle.admit(_notice(reason="r11"), 100.0) is None  # the first send left the window


def _notifier(send, clock: ManualClock, retries: int = 2, **limits: float) -> Notifier:
    settings = NotifySettings(routes=(NotifyRoute("json://127.0.0.1:1/ok"),), timeout_s=1.0, retries=retries,
                              limits=ThrottleLimits(**limits) if limits else ThrottleLimits())
    return Notifier(settings, [(settings.routes[0], "json://127.0.0.1:1/secret-hook-token")], clock=clock, send=send, backoff_s=(0.0,))


def test_failures_are_retried_a_bounded_number_of_times_then_reported_without_secrets() -> None:
    calls: list[str] = []

    def send(url, message, timeout_s):
        calls.append(message.body)
        return f"HTTP 500 from {url}"

    results: list[Delivery] = []
    done = threading.Event()
    notifier = _notifier(send, ManualClock(), retries=2)
    try:
        assert notifier.submit(_notice(), lambda d: (results.append(d), done.set())) == []
        assert done.wait(10)
    finally:
        notifier.close()
    assert len(calls) == 3
    (delivery,) = results
    assert delivery.outcome == "failed" and delivery.attempts == 3
    assert "secret-hook-token" not in delivery.describe() and "***" in delivery.error


def test_the_notifier_applies_dedupe_and_rate_limit_on_its_clock() -> None:
    sent: list[str] = []
    clock = ManualClock()
    notifier = _notifier(lambda url, message, timeout_s: sent.append(message.body) or None, clock, dedupe_s=60.0, rate_count=2, rate_window_s=300.0)
    try:
        skipped = [notifier.submit(_notice(reason=r), lambda d: None) for r in ("a", "a", "b", "c")]
        assert [[d.outcome for d in s] for s in skipped] == [[], ["duplicate"], [], ["rate-limited"]]
        clock.advance(300.0)
        assert notifier.submit(_notice(reason="c"), lambda d: None) == []
        assert notifier.drain(10)
    finally:
        notifier.close()
    assert len(sent) == 3 and all("event: gate-failing" in body for body in sent)
