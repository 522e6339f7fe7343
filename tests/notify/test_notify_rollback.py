"""End to end over loopback: the simulator's error-spike rolls back by itself, and the webhook receiver hears of it once.

A receiver that hangs or answers 500 never delays the rollback: the rollback POST is timed with and without it
in the same run, and the failed deliveries land in the event log.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from canary_tui.config import config_from_dict
from canary_tui.config_model import EnvironmentConfig
from canary_tui.controller.model import EventLevel, RampState, Trigger
from canary_tui.core.clock import ManualClock
from canary_tui.notify.attach import attach_notifier, route_urls
from canary_tui.notify.message import FIELDS
from canary_tui.notify.sender import Notifier

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "controller"))
from controller_harness import make_client, make_controller, wait_for

LINK_BASE = "http://127.0.0.1:8040"


class TimedActuator:
    """The API actuator, timing each rollback POST (wall time: what an operator would wait)."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.rollback_post_s: list[float] = []

    def __getattr__(self, name):
        return getattr(self.inner, name)

    async def set_percent(self, percent, expected, note, actor, **kwargs):
        started = time.perf_counter()
        try:
            return await self.inner.set_percent(percent, expected, note, actor, **kwargs)
        finally:
            if percent == 0:
                self.rollback_post_s.append(time.perf_counter() - started)


async def _roll_back_on_error_spike(simulator_factory, tmp_path, clock, routes: list[dict], *, name: str):
    """A controller on error-spike at 10% with notifications to `routes`, polled until its auto-rollback is confirmed."""
    from canary_tui.mission.actuators import ApiActuator

    config = config_from_dict({"notify": routes, "notifications": {"link_base": LINK_BASE, "timeout_s": 1, "retries": 1}})
    notifier = Notifier(config.notify, route_urls(config), clock=clock, backoff_s=(0.0,))
    sim = simulator_factory(scenario="error-spike", token="test-token", seed=7, clock=clock)
    client = make_client(sim.url, clock)
    await client.__aenter__()
    actuator = TimedActuator(ApiActuator(client))
    ctl = make_controller(client, clock, tmp_path / name, actuator=actuator)
    attach_notifier(ctl, EnvironmentConfig(name="staging", url=sim.url), config, notifier)
    await ctl.refresh()
    assert (await ctl.set_percent(10, Trigger.CLI)).ok
    for _ in range(20):
        clock.advance(30.0)
        await ctl.refresh()
        if ctl.action_in_flight == "rollback":
            break
    await ctl.wait_idle()
    assert sim.state.canary_percent == 0 and ctl.snapshot.ramp is RampState.ROLLED_BACK
    return ctl, notifier, actuator, client


async def test_error_spike_sends_one_auto_rollback_and_one_rollback_confirmed_with_every_field(simulator_factory, receiver, tmp_path) -> None:
    clock = ManualClock()
    (tmp_path / "ok").mkdir()
    ctl, notifier, _, client = await _roll_back_on_error_spike(simulator_factory, tmp_path, clock, [{"url": receiver.url("ok")}], name="ok")
    try:
        assert notifier.drain(10)
        await wait_for(lambda: sum(e.kind == "notify" for e in ctl.events) >= 3, what="the deliveries in the event log")
    finally:
        notifier.close()
        await client.__aexit__(None, None, None)
    messages = receiver.fields("ok")
    kinds = [m["event"] for m in messages]
    assert kinds.count("auto-rollback") == 1 and kinds.count("rollback-confirmed") == 1, kinds
    assert kinds[0] == "stage-advanced"  # 0% → 10% by the CLI, who is named
    fired = next(m for m in messages if m["event"] == "auto-rollback")
    confirmed = next(m for m in messages if m["event"] == "rollback-confirmed")
    for message in (fired, confirmed):
        assert list(message) == list(FIELDS)
        assert message["target"] == "staging" and message["release"] == "v0.5.0"
        assert message["actor"] == "alice@test" and message["link"] == f"{LINK_BASE}/?target=staging"
    assert fired["stage"] == confirmed["stage"] == "10% (stage 1 of 3)" and "error rate > 5% on evidence" in fired["reason"]
    assert confirmed["reason"].startswith("rollback 10% → 0% (auto: auto-rollback: ") and confirmed["reason"].endswith("confirmed: 0% after 1 attempt")
    assert "canary requests failed" in fired["reason"]  # the figures behind the reason
    assert "test-token" not in str(receiver.received)
    sent = [e.message for e in ctl.events if e.kind == "notify"]
    assert any("notify auto-rollback → json://127.0.0.1" in line and line.endswith(": sent") for line in sent), sent


async def test_a_hanging_or_failing_receiver_never_delays_the_rollback(simulator_factory, receiver, tmp_path) -> None:
    (tmp_path / "quiet").mkdir()
    (tmp_path / "noisy").mkdir()
    quiet, _, quiet_post, quiet_client = await _roll_back_on_error_spike(simulator_factory, tmp_path, ManualClock(), [], name="quiet")
    await quiet_client.__aexit__(None, None, None)
    routes = [{"url": receiver.url("hang")}, {"url": receiver.url("fail"), "events": ["auto-rollback"]}]
    ctl, notifier, noisy_post, client = await _roll_back_on_error_spike(simulator_factory, tmp_path, ManualClock(), routes, name="noisy")
    try:
        # the rollback POST completed (and was confirmed) while the receiver still held the first message
        assert receiver.hanging.is_set() and not receiver.release.is_set()
        without_s, with_s = quiet_post.rollback_post_s[0], noisy_post.rollback_post_s[0]
        print(f"\nrollback POST: {without_s * 1000:.1f} ms without notifications, {with_s * 1000:.1f} ms with a hanging and a failing receiver")
        assert with_s < max(20 * without_s, 1.0)  # generous: the point is that it did not wait for a 1 s notify timeout
        await wait_for(lambda: any(e.kind == "notify" and "/fail" in e.message and "failed after 2 attempts" in e.message for e in ctl.events),
                       what="the 500 in the event log")
        await wait_for(lambda: any(e.kind == "notify" and "/hang" in e.message and "failed" in e.message for e in ctl.events),
                       what="the hanging receiver's timeout in the event log")
        failures = [e for e in ctl.events if e.kind == "notify" and "failed" in e.message]
        assert all(e.level is EventLevel.ERROR for e in failures)
    finally:
        receiver.release.set()
        notifier.close()
        await client.__aexit__(None, None, None)
    assert len(receiver.messages("fail")) == 2  # auto-rollback only, tried twice (retries = 1)
    assert quiet.snapshot.ramp is RampState.ROLLED_BACK
