"""Rollback is never lost: it pre-empts an advance in flight, survives 503s and a timeout, and is idempotent."""

from __future__ import annotations

import asyncio

from canary_tui.controller.model import RampState, Trigger
from canary_tui.core.clock import ManualClock

from controller_harness import audit_records, holds_for, make_client, make_controller, poll, wait_for

CANARY = ["/api/ghost/canary"]


async def _at_percent(ctl, sim, clock, percent: int) -> None:
    """Bring the simulator to `percent` (outside the controller) and let the controller see it."""
    sim.state.set_canary(percent, None, None, "setup", "setup@test")
    await poll(ctl, clock, 1.0, 1)
    assert ctl.snapshot.heartbeat.deployment.canary_percent == percent


async def test_rollback_preempts_an_advance_in_flight(simulator_factory, tmp_path):
    clock = ManualClock()
    sim = simulator_factory(scenario="healthy", faults=True, token="test-token", seed=7, clock=clock)
    async with make_client(sim.url, clock, read_s=5.0) as client:
        ctl = make_controller(client, clock, tmp_path)
        await _at_percent(ctl, sim, clock, 10)
        sim.inject_fault("delay", count=1, paths=CANARY, seconds=1.0)
        advance = asyncio.create_task(ctl.advance(Trigger.KEY, override=True))
        await wait_for(lambda: list(sim.faults.fired) == ["delay"], what="the delayed advance to reach the server")
        assert ctl.snapshot.action_in_flight == "advance"
        rollback = await ctl.rollback(Trigger.KEY, note="bad canary")
        assert rollback.ok, rollback.message
        assert sim.state.canary_percent == 0
        result = await advance
        assert not result.ok and "superseded by rollback" in result.message
        # should the cancelled advance still reach the server, its compare-and-set (expected 10%) loses
        await holds_for(lambda: sim.state.canary_percent == 0, 1.5)
        await poll(ctl, clock, 1.0, 2)
        assert sim.state.canary_percent == 0
        assert ctl.snapshot.ramp is RampState.ROLLED_BACK
        assert [c.percent for c in sim.state.history] == [10, 0]
        outcomes = [(r["action"], r["outcome"]) for r in audit_records(ctl)]
        assert ("advance", "cancelled") in outcomes and outcomes[-1] == ("rollback", "ok")


async def test_a_superseded_advance_from_zero_that_lands_late_is_rolled_back_again(simulator_factory, tmp_path):
    clock = ManualClock()
    sim = simulator_factory(scenario="healthy", faults=True, token="test-token", seed=7, clock=clock)
    async with make_client(sim.url, clock, read_s=5.0) as client:
        ctl = make_controller(client, clock, tmp_path)
        await ctl.refresh()
        sim.inject_fault("delay", count=1, paths=CANARY, seconds=0.5)
        advance = asyncio.create_task(ctl.advance(Trigger.KEY))
        await wait_for(lambda: list(sim.faults.fired) == ["delay"], what="the delayed advance to reach the server")
        assert (await ctl.rollback(Trigger.KEY)).ok  # already 0%: confirmed at once
        await advance
        # a real server may still apply the cancelled request (expected 0% matches): emulate that landing
        sim.state.set_canary(10, 0, None, "stage 1", "alice@test")
        await poll(ctl, clock, 1.0, 1)
        await ctl.wait_idle()
        assert sim.state.canary_percent == 0
        assert any("landed late" in e.message for e in ctl.events)


async def test_rollback_lands_through_503s_and_a_timeout_and_audits_every_attempt(simulator_factory, tmp_path):
    clock = ManualClock()
    sim = simulator_factory(scenario="healthy", faults=True, token="test-token", seed=7, clock=clock)
    async with make_client(sim.url, clock, read_s=0.5) as client:
        ctl = make_controller(client, clock, tmp_path)
        await _at_percent(ctl, sim, clock, 50)
        sim.inject_fault("status", count=3, paths=CANARY, status=503)
        sim.inject_fault("hang", count=1, paths=CANARY)
        result = await ctl.rollback(Trigger.KEY, note="503 storm")
        sim.clear_faults()
        assert result.ok, result.message
        assert sim.state.canary_percent == 0
        assert list(sim.faults.fired)[:4] == ["status", "status", "status", "hang"]
        records = [r for r in audit_records(ctl) if r["action"] == "rollback"]
        http = [r for r in records if "http_attempt" in r]
        failed = [r["server"] for r in http if r["outcome"] == "http-failed"]
        assert len(failed) == 4, failed
        assert sum("503" in str(s) for s in failed) == 3 and any("timeout" in str(s) for s in failed)
        assert [r["outcome"] for r in http][-1] == "sent"
        assert records[0]["outcome"] == "attempt" and records[-1]["outcome"] == "ok"
        assert all(r["from"] == 50 and r["to"] == 0 and r["note"] == "503 storm" for r in records)
        errors = [e.message for e in ctl.events if "rollback request attempt" in e.message]
        assert len(errors) == 4


async def test_rollback_retries_beyond_the_clients_own_attempts_until_confirmed(simulator_factory, tmp_path):
    clock = ManualClock()
    sim = simulator_factory(scenario="healthy", faults=True, token="test-token", seed=7, clock=clock)
    async with make_client(sim.url, clock) as client:
        ctl = make_controller(client, clock, tmp_path)
        await _at_percent(ctl, sim, clock, 10)
        sim.inject_fault("status", count=12, paths=CANARY, status=503)  # more than the client's 5 attempts, twice
        result = await ctl.rollback(Trigger.KEY)
        assert result.ok and sim.state.canary_percent == 0
        rounds = [r for r in audit_records(ctl) if r["action"] == "rollback" and r["outcome"] == "retry"]
        assert len(rounds) == 2
        assert "attempt 3" in result.message


async def test_a_second_rollback_joins_the_first(simulator_factory, tmp_path):
    clock = ManualClock()
    sim = simulator_factory(scenario="healthy", faults=True, token="test-token", seed=7, clock=clock)
    async with make_client(sim.url, clock, read_s=5.0) as client:
        ctl = make_controller(client, clock, tmp_path)
        await _at_percent(ctl, sim, clock, 50)
        sim.inject_fault("delay", count=1, paths=CANARY, seconds=0.3)
        first = asyncio.create_task(ctl.rollback(Trigger.KEY))
        await wait_for(lambda: ctl.snapshot.action_in_flight == "rollback", what="rollback in flight")
        assert ctl.snapshot.ramp is RampState.ROLLING_BACK
        second = await ctl.rollback(Trigger.KEY)
        assert (await first) == second and second.ok
        posts = [c for c in sim.state.history if c.percent == 0]
        assert len(posts) == 1
        attempts = [r for r in audit_records(ctl) if r["action"] == "rollback" and r["outcome"] == "attempt"]
        assert len(attempts) == 1
        refused = await ctl.advance(Trigger.KEY, override=True)
        assert refused.ok  # once the rollback is done, advancing again is allowed


async def test_start_rollback_is_under_way_before_anyone_awaits_it(simulator_factory, tmp_path):
    """The R key's entry point: the rollback task exists when start_rollback returns, and its request goes out next turn."""
    clock = ManualClock()
    sim = simulator_factory(scenario="healthy", faults=True, token="test-token", seed=7, clock=clock)
    async with make_client(sim.url, clock, read_s=5.0) as client:
        ctl = make_controller(client, clock, tmp_path)
        await _at_percent(ctl, sim, clock, 10)
        outcome = ctl.start_rollback(Trigger.KEY, note="R")
        assert ctl.runner.rollback_task is not None and not ctl.runner.rollback_task.done()
        await wait_for(lambda: sim.state.canary_percent == 0, what="the rollback to land without being awaited")
        result = await outcome
        assert result.ok and result.to_percent == 0
        again = ctl.start_rollback(Trigger.KEY)  # a second R once it finished: a new rollback, confirmed at once
        assert (await ctl.rollback(Trigger.KEY)).ok and (await again).ok  # the plain call joins it


async def test_start_rollback_in_read_only_mode_is_refused_without_a_request(simulator_factory, tmp_path):
    clock = ManualClock()
    sim = simulator_factory(scenario="healthy", faults=True, token="test-token", seed=7, clock=clock, initial_percent=10)
    async with make_client(sim.url, clock, read_s=5.0) as client:
        ctl = make_controller(client, clock, tmp_path, read_only=True)
        result = await ctl.start_rollback(Trigger.KEY)
        assert not result.ok and "read-only" in result.message
        assert sim.state.canary_percent == 10 and sim.state.history == []


class WatchedActuator:
    """The API actuator, noting which events the controller had logged when the request went out and when it ended."""

    def __init__(self, inner, controller_events) -> None:
        self.inner = inner
        self.events = controller_events
        self.logged_at_sent: list[list[str]] = []
        self.logged_at_start: list[list[str]] = []

    def __getattr__(self, name):
        return getattr(self.inner, name)

    async def set_percent(self, percent, expected, note, actor, *, on_sent, **kwargs):
        self.logged_at_start.append([e.message for e in self.events()])

        def sent() -> None:
            self.logged_at_sent.append([e.message for e in self.events()])
            on_sent()

        return await self.inner.set_percent(percent, expected, note, actor, on_sent=sent, **kwargs)


async def test_the_rollback_is_logged_once_its_request_is_on_its_way_not_before(simulator_factory, tmp_path):
    """What the screen draws for a new event runs on the loop ahead of the request's write: so the word waits for the send."""
    from canary_tui.mission.actuators import ApiActuator

    clock = ManualClock()
    sim = simulator_factory(scenario="healthy", faults=True, token="test-token", seed=7, clock=clock)
    async with make_client(sim.url, clock, read_s=5.0) as client:
        holder: list = []
        actuator = WatchedActuator(ApiActuator(client), lambda: holder[0].events)
        ctl = make_controller(client, clock, tmp_path, actuator=actuator)
        holder.append(ctl)
        await _at_percent(ctl, sim, clock, 50)
        sim.inject_fault("hang", count=1, paths=CANARY)
        outcome = ctl.start_rollback(Trigger.KEY, note="R")
        # said while the server still holds the POST: the word follows the send, not the answer
        await wait_for(lambda: any("rolling back 50% → 0%" in e.message for e in ctl.events), what="the rollback to be logged")
        assert list(sim.faults.fired) == ["hang"] and ctl.snapshot.action_in_flight == "rollback"
        assert not any("rolling back" in m for m in actuator.logged_at_start[0])
        assert actuator.logged_at_sent and not any("rolling back" in m for m in actuator.logged_at_sent[0])
        sim.clear_faults()
        result = await outcome
        assert result.ok and sim.state.canary_percent == 0
        messages = [e.message for e in ctl.events]
        assert sum("rolling back 50% → 0%" in m for m in messages) == 1  # once, however many attempts


async def test_a_rollback_whose_first_requests_fail_is_logged_before_their_failures(simulator_factory, tmp_path):
    clock = ManualClock()
    sim = simulator_factory(scenario="healthy", faults=True, token="test-token", seed=7, clock=clock)
    async with make_client(sim.url, clock, read_s=5.0) as client:
        ctl = make_controller(client, clock, tmp_path)
        await _at_percent(ctl, sim, clock, 10)
        sim.inject_fault("status", count=2, paths=CANARY, status=503)
        result = await ctl.rollback(Trigger.KEY)
        assert result.ok
        messages = [e.message for e in ctl.events]
        said = next(i for i, m in enumerate(messages) if "rolling back 10% → 0%" in m)
        failed = [i for i, m in enumerate(messages) if "rollback request attempt 1." in m and "failed" in m]
        assert failed and said < failed[0]


class GateWatcher:
    """The API actuator, noting whether the controller's 'rollback sent' gate was open when the request started."""

    def __init__(self, inner, controller) -> None:
        self.inner = inner
        self.controller = controller
        self.open_at_start: list[bool] = []

    def __getattr__(self, name):
        return getattr(self.inner, name)

    async def set_percent(self, percent, expected, note, actor, **kwargs):
        self.open_at_start.append(self.controller().runner.rollback_sent.is_set())
        return await self.inner.set_percent(percent, expected, note, actor, **kwargs)


async def test_until_rollback_sent_holds_while_the_request_waits_and_no_longer(simulator_factory, tmp_path):
    """What a chart redraw waits on: closed from R until the POST is on its way, open again before any answer."""
    from canary_tui.mission.actuators import ApiActuator

    clock = ManualClock()
    sim = simulator_factory(scenario="healthy", faults=True, token="test-token", seed=7, clock=clock)
    async with make_client(sim.url, clock, read_s=5.0) as client:
        holder: list = []
        actuator = GateWatcher(ApiActuator(client), lambda: holder[0])
        ctl = make_controller(client, clock, tmp_path, actuator=actuator)
        holder.append(ctl)
        await _at_percent(ctl, sim, clock, 50)
        await asyncio.wait_for(ctl.until_rollback_sent(), 1.0)  # no rollback: at once
        sim.inject_fault("hang", count=1, paths=CANARY)
        outcome = ctl.start_rollback(Trigger.KEY, note="R")
        waiting = asyncio.ensure_future(ctl.until_rollback_sent())
        await wait_for(waiting.done, what="the wait to end once the POST is on its way")
        assert actuator.open_at_start == [False]
        assert list(sim.faults.fired) == ["hang"] and not ctl.runner.rollback_task.done()  # sent, not answered
        sim.clear_faults()
        assert (await outcome).ok and ctl.runner.rollback_sent.is_set()
