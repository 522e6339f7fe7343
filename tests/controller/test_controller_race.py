"""Two operators at once: compare-and-set turns the loser's advance into a conflict, never a re-ramp."""

from __future__ import annotations

import asyncio

from canary_tui.controller.model import RampState, Trigger
from canary_tui.core.clock import ManualClock

from controller_harness import audit_records, holds_for, make_client, make_controller, poll, wait_for


async def test_advance_racing_a_rollback_gets_409_and_never_reramps(simulator_factory, tmp_path):
    clock = ManualClock()
    sim = simulator_factory(scenario="healthy", faults=True, token="test-token", seed=7, clock=clock)
    async with make_client(sim.url, clock, read_s=5.0) as client_a, make_client(sim.url, clock) as client_b:
        alice = make_controller(client_a, clock, tmp_path, actor="alice@test")
        bob = make_controller(client_b, clock, tmp_path, actor="bob@pager")
        await alice.refresh()
        assert (await alice.advance(Trigger.KEY)).ok  # 0 → 10
        await bob.refresh()
        # the delay leaves bob ample time to roll back, even on a loaded machine
        sim.inject_fault("delay", count=1, paths=["/api/ghost/canary"], seconds=2.0)
        advance = asyncio.create_task(alice.advance(Trigger.KEY, override=True))  # 10 → 50, delayed at the server
        await wait_for(lambda: list(sim.faults.fired) == ["delay"], what="alice's advance to reach the server")
        rolled = await bob.rollback(Trigger.KEY, note="pager fired")
        assert rolled.ok and sim.state.canary_percent == 0
        result = await advance
        assert result.conflict and not result.ok
        assert result.message == "changed by bob@pager to 0% — the server refused the advance: nothing changed"  # it was sent
        assert alice.snapshot.heartbeat.deployment.canary_percent == 0  # alice follows the server
        assert alice.snapshot.ramp is RampState.ROLLED_BACK
        assert any(e.kind == "conflict" and "bob@pager" in e.message for e in alice.events)
        await holds_for(lambda: sim.state.canary_percent == 0, 0.3)
        assert [(c.percent, c.actor) for c in sim.state.history] == [(10, "alice@test"), (0, "bob@pager")]
        assert sim.state.counters["conflicts"] == 1
        outcomes = [(r["action"], r["outcome"]) for r in audit_records(alice)]
        assert outcomes[-2:] == [("advance", "attempt"), ("advance", "conflict")]


async def test_external_change_is_followed_and_names_who(simulator_factory, tmp_path):
    clock = ManualClock()
    sim = simulator_factory(scenario="healthy", token="test-token", seed=7, clock=clock)
    async with make_client(sim.url, clock) as client:
        ctl = make_controller(client, clock, tmp_path)
        await ctl.refresh()
        sim.state.set_canary(50, None, True, "by hand", "carol@laptop")
        await poll(ctl, clock, 1.0, 1)
        snap = ctl.snapshot
        assert snap.heartbeat.deployment.canary_percent == 50 and snap.ramp is RampState.PAUSED
        changes = [e.message for e in ctl.events if e.kind == "external-change"]
        assert changes == ["carol@laptop changed the ramp: canary 0% → 50%, paused"]
        # a stale view cannot overwrite it: compare-and-set against what alice saw
        assert (await ctl.resume(Trigger.KEY)).ok
        sim.state.set_canary(10, None, None, "by hand", "carol@laptop")
        result = await ctl.pause(Trigger.KEY)
        assert result.conflict and "carol@laptop to 10%" in result.message
        assert sim.state.canary_percent == 10 and not sim.state.paused
        assert ctl.snapshot.heartbeat.deployment.canary_percent == 10
