"""Which happenings are notification events: gate failing and data stale for longer than configured, stages and release."""

from __future__ import annotations

import sys
from pathlib import Path

from canary_tui.config_model import NotifySettings
from canary_tui.controller.model import ConnectionState, RampState, Trigger
from canary_tui.controller.notify_events import NotifyEvents
from canary_tui.core.clock import ManualClock
from canary_tui.core.notices import Notice
from canary_tui.mission.errors import TransportError

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "controller"))
from controller_harness import make_client, make_controller


def _listen(ctl, clock, **settings: float) -> list[Notice]:
    notices: list[Notice] = []
    events = NotifyEvents("staging", "staging", ctl.actor, NotifySettings(**settings), clock, notices.append)
    ctl.subscribe(events.on_snapshot, events.on_event)
    return notices


async def test_gate_failing_is_sent_once_after_it_has_failed_for_the_configured_time(simulator_factory, tmp_path) -> None:
    clock = ManualClock()
    sim = simulator_factory(scenario="error-spike", token="test-token", seed=7, clock=clock)
    async with make_client(sim.url, clock) as client:
        ctl = make_controller(client, clock, tmp_path, auto_rollback=False)
        notices = _listen(ctl, clock, gate_failing_after_s=90.0)
        await ctl.refresh()
        assert (await ctl.set_percent(10, Trigger.CLI)).ok
        failing_at: float | None = None
        for _ in range(20):
            clock.advance(30.0)
            await ctl.refresh()
            if ctl.snapshot.ramp is RampState.GATE_FAILING and failing_at is None:
                failing_at = clock.now()
        assert failing_at is not None
    gate = [n for n in notices if n.event == "gate-failing"]
    assert len(gate) == 1 and gate[0].at_s - failing_at >= 90.0
    assert gate[0].reason.startswith("failing for ") and gate[0].stage == "10% (stage 1 of 3)"
    # the spike comes two minutes in: the 2-minute bake was met healthy first; auto-rollback is off, so no rollback notices
    assert [n.event for n in notices] == ["stage-advanced", "stage-completed", "gate-failing"]


async def test_stale_is_sent_once_after_the_configured_time_and_again_after_recovering(simulator_factory, tmp_path) -> None:
    clock = ManualClock()
    sim = simulator_factory(scenario="healthy", token="test-token", seed=7, clock=clock)
    async with make_client(sim.url, clock) as client:
        ctl = make_controller(client, clock, tmp_path)
        notices = _listen(ctl, clock, stale_after_s=60.0)
        await ctl.refresh()

        def fail_for(seconds: int) -> None:
            for _ in range(seconds // 10):
                clock.advance(10.0)
                ctl.observe_error(TransportError("cannot connect: connection refused"))

        fail_for(50)
        assert ctl.snapshot.connection is ConnectionState.UNREACHABLE and not notices
        fail_for(100)
        (stale,) = notices
        assert stale.event == "stale" and stale.reason.startswith("UNREACHABLE for 1m") and "connection refused" in stale.reason
        clock.advance(1.0)
        await ctl.refresh()
        fail_for(100)
    assert [n.event for n in notices] == ["stale", "stale"]


async def test_stage_and_release_completed_when_the_bake_is_met_at_100(simulator_factory, tmp_path) -> None:
    clock = ManualClock()
    sim = simulator_factory(scenario="healthy", token="test-token", seed=7, clock=clock, initial_percent=50)
    async with make_client(sim.url, clock) as client:
        ctl = make_controller(client, clock, tmp_path)
        notices = _listen(ctl, clock)
        await ctl.refresh()
        assert (await ctl.set_percent(100, Trigger.CLI)).ok
        for _ in range(10):
            clock.advance(30.0)
            await ctl.refresh()
    assert [n.event for n in notices] == ["stage-advanced", "stage-completed", "release-completed"]
    advanced, completed, release = notices
    assert advanced.reason == "50% → 100%" and advanced.actor == "alice@test"
    assert completed.reason == "bake of 2m met at 100%" and release.stage == "100% (stage 3 of 3)"
    assert release.reason.startswith("v0.5.0 serves 100% with its bake met")
