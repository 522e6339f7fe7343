"""The headless watcher's subscriber hook (what a notifier attaches to), in process against the simulator over loopback."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from canary_tui.config import Config, EnvironmentConfig
from canary_tui.controller.factory import build_controller
from canary_tui.controller.headless import HeadlessWatcher, WatchEvent
from canary_tui.core.plans import RampPlan, Stage
from canary_tui.mission.client import MissionClient, Timeouts
from canary_tui.mission.credentials import Secret

PLAN = RampPlan("test", (Stage(10, 3600.0), Stage(50, 3600.0), Stage(100, 3600.0)))


async def _until(condition: Callable[[], bool], timeout_s: float = 30.0) -> None:
    """Wait for a condition on the event loop (never a fixed sleep)."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)


async def test_every_subscriber_hears_each_event_with_its_snapshot_even_past_a_broken_one(simulator_factory) -> None:
    sim = simulator_factory(scenario="healthy", token="test-token", seed=7, initial_percent=10)
    client = MissionClient(sim.url, token=Secret("test-token"), timeouts=Timeouts(1.0, 2.0, 3.0))
    env = EnvironmentConfig(name="sim", url=sim.url, plan=PLAN, auto_advance=False, auto_rollback=True)
    controller = build_controller(env, Config(actor="run@test:1"), client=client, audit=False, store=False)
    heard: list[WatchEvent] = []
    late: list[WatchEvent] = []

    def broken(event: WatchEvent) -> None:
        raise RuntimeError("a notifier bug")

    watcher = HeadlessWatcher([("sim", controller)], instance="run@test:1", poll_interval_s=0.1, on_event=[broken, heard.append])
    unsubscribe = watcher.subscribe(late.append)
    try:
        running = asyncio.get_running_loop().create_task(watcher.run())
        await _until(lambda: any(e.kind == "verdict" for e in heard))
        verdict = next(e for e in heard if e.kind == "verdict")
        assert verdict.snapshot is not None and verdict.snapshot.environment == "sim" and verdict.target == "sim"
        assert verdict.message.startswith(("HOLD: ", "HEALTHY")) and verdict.instance == verdict.actor == "run@test:1"
        unsubscribe()
        controller.emit("external-change", "alice changed the ramp: 10% → 50%")
        said = heard[-1]
        assert said.kind == "external-change" and said.controller_event is not None and said.controller_event.message == said.message
        assert said not in late and late and late[0].kind == "start"
        watcher.request_stop()
        assert await asyncio.wait_for(running, 30) == 0
        assert heard[-1].kind == "stop" and heard[-1].as_json()["level"] == "info"
    finally:
        await client.aclose()


async def test_a_verdict_line_follows_a_new_reason_in_words_but_not_new_figures(simulator_factory) -> None:
    """HOLD for 'not enough requests (12/1000)' then '(480/1000)' is one line; 'canary vs stable not yet shown' is news."""
    from dataclasses import replace

    from canary_tui.core.verdicts import Decision, DecisionKind

    sim = simulator_factory(scenario="healthy", token="test-token", seed=7, initial_percent=10)
    client = MissionClient(sim.url, token=Secret("test-token"), timeouts=Timeouts(1.0, 2.0, 3.0))
    env = EnvironmentConfig(name="sim", url=sim.url, plan=PLAN, auto_advance=False, auto_rollback=False)
    controller = build_controller(env, Config(actor="run@test:1"), client=client, audit=False, store=False)
    try:
        base = await controller.refresh()
        heard: list[WatchEvent] = []
        watcher = HeadlessWatcher([("sim", controller)], instance="run@test:1", poll_interval_s=1.0, on_event=[heard.append])
        target = watcher.targets[0]

        def hold(reason: str) -> None:
            watcher._follow_verdict(target, replace(base, decision=Decision(DecisionKind.INCONCLUSIVE, reason)))

        for reason in ("not enough canary requests yet (12/1000)", "not enough canary requests yet (480/1000)",
                       "canary vs stable not yet shown within 1.5× (SPRT 0.00, accept at ≤ -2.99)",
                       "canary vs stable not yet shown within 1.5× (SPRT -1.20, accept at ≤ -2.99)"):
            hold(reason)
        assert [e.message for e in heard if e.kind == "verdict"] == [
            "HOLD: not enough canary requests yet (12/1000)", "HOLD: canary vs stable not yet shown within 1.5× (SPRT 0.00, accept at ≤ -2.99)"]
    finally:
        await controller.aclose()
        await client.aclose()
