"""Auto-rollback over loopback: each seed trigger fires on evidence (CUSUM), never on a blip; an outage never fires."""

from __future__ import annotations

import pytest

from canary_tui.controller.model import ConnectionState, RampState, Trigger
from canary_tui.controller.target_verdict import TargetVerdict, standing
from canary_tui.core.clock import ManualClock
from canary_tui.core.verdicts import DecisionKind

from controller_harness import audit_records, make_client, make_controller, poll, wait_for

SECRET = "hmac-test-secret"


async def _live_at(ctl, percent: int) -> None:
    await ctl.refresh()
    assert (await ctl.set_percent(percent, Trigger.CLI)).ok


async def _poll_until_rollback(ctl, clock, step_s: float, max_polls: int) -> list[int]:
    """Poll until an auto-rollback starts; returns the debounce count seen at each poll."""
    counts = []
    for _ in range(max_polls):
        clock.advance(step_s)
        snap = await ctl.refresh()
        counts.append(snap.auto_rollback.count)
        if ctl.action_in_flight == "rollback":
            return counts
    raise AssertionError(f"no auto-rollback; counts {counts}")


def _auto_records(ctl) -> list[dict[str, object]]:
    return [r for r in audit_records(ctl) if r["action"] == "rollback" and r["trigger"] == "auto"]


async def test_error_spike_trips_on_evidence_not_on_one_poll(simulator_factory, tmp_path):
    clock = ManualClock()
    sim = simulator_factory(scenario="error-spike", token="test-token", seed=7, clock=clock)
    async with make_client(sim.url, clock) as client:
        ctl = make_controller(client, clock, tmp_path)
        await _live_at(ctl, 10)
        counts = await _poll_until_rollback(ctl, clock, 30.0, 16)
        # healthy for 120 s (4 polls): nothing counts; then the 8% canary builds evidence until the CUSUM holds
        assert counts[:4] == [0, 0, 0, 0] and counts[-1] == 3 and len(counts) > 5
        await ctl.wait_idle()
        assert sim.state.canary_percent == 0
        assert ctl.snapshot.ramp is RampState.ROLLED_BACK
        records = _auto_records(ctl)
        assert records[0]["outcome"] == "attempt" and records[-1]["outcome"] == "ok"
        assert "error rate > 5% on evidence" in str(records[0]["note"])
        stand = standing(ctl.snapshot)  # the overview's row and `run` say why it came down, as audited
        assert stand.verdict is TargetVerdict.ROLLED_BACK and stand.reason == records[0]["note"]
        assert sim.state.history[-1].actor == "alice@test" and "auto-rollback" in sim.state.history[-1].note


async def test_p95_over_one_second_trips(simulator_factory, tmp_path):
    clock = ManualClock()
    sim = simulator_factory(scenario="latency-regression", token="test-token", seed=7, clock=clock)
    async with make_client(sim.url, clock) as client:
        ctl = make_controller(client, clock, tmp_path)
        await _live_at(ctl, 50)
        counts = await _poll_until_rollback(ctl, clock, 15.0, 40)
        assert counts[-1] == 3 and counts[0] == 0
        await ctl.wait_idle()
        assert sim.state.canary_percent == 0
        note = str(_auto_records(ctl)[0]["note"])
        assert "P95 > 1000 ms" in note


async def test_confirmed_bad_signature_trips_at_once_and_untrusted_readback_never_confirms(simulator_factory, tmp_path):
    clock = ManualClock()
    sim = simulator_factory(scenario="bad-signature", token="test-token", secret=SECRET, seed=7, clock=clock)
    async with make_client(sim.url, clock, secret=SECRET) as client:
        ctl = make_controller(client, clock, tmp_path)
        await _live_at(ctl, 10)
        counts = await _poll_until_rollback(ctl, clock, 20.0, 10)
        # live from the second after the change, so the first bad heartbeat is at the 80 s poll: no debounce
        assert len(counts) == 4
        await wait_for(lambda: sim.state.canary_percent == 0, what="the rollback POST to land")
        assert any(e.kind == "signature" and "confirmed" in e.message for e in ctl.events)
        assert "signature invalid" in str(_auto_records(ctl)[0]["note"])
        # the server is at 0%, but every read-back fails its signature: the rollback stays sent, unconfirmed
        await wait_for(lambda: any(r["outcome"] == "retry" for r in _auto_records(ctl)), what="a retry record")
        assert ctl.action_in_flight == "rollback"
        outcomes = [r["outcome"] for r in _auto_records(ctl)]
        assert "ok" not in outcomes
        retry = next(r for r in _auto_records(ctl) if r["outcome"] == "retry")
        assert "untrusted" in str(retry["server"]) and "sent, unconfirmed" in str(retry["server"])
        await ctl.aclose(abandon_rollback=True)


async def test_one_bad_signature_is_not_confirmed_by_the_refetch(simulator_factory, tmp_path):
    clock = ManualClock()
    sim = simulator_factory(scenario="healthy", faults=True, token="test-token", secret=SECRET, seed=7, clock=clock)
    async with make_client(sim.url, clock, secret=SECRET) as client:
        ctl = make_controller(client, clock, tmp_path)
        await _live_at(ctl, 10)
        sim.inject_fault("bad_signature", count=1, paths=["/api/ghost/heartbeat"])
        clock.advance(10.0)
        snap = await ctl.refresh()
        assert snap.connection is ConnectionState.LIVE and ctl.action_in_flight is None
        assert any("re-fetching once" in e.message for e in ctl.events)
        sim.inject_fault("bad_signature", count=2, paths=["/api/ghost/heartbeat"], mode="both")
        clock.advance(10.0)
        await ctl.refresh()
        await ctl.wait_idle()
        assert sim.state.canary_percent == 0


async def test_error_spike_with_auto_rollback_off_only_reports(simulator_factory, tmp_path):
    clock = ManualClock()
    sim = simulator_factory(scenario="error-spike", token="test-token", seed=7, clock=clock)
    async with make_client(sim.url, clock) as client:
        ctl = make_controller(client, clock, tmp_path, auto_rollback=False)
        await _live_at(ctl, 10)
        await poll(ctl, clock, 30.0, 12)
        snap = ctl.snapshot
        assert sim.state.canary_percent == 10 and ctl.action_in_flight is None
        assert snap.decision.kind is DecisionKind.ROLLBACK and snap.ramp is RampState.GATE_FAILING
        assert snap.auto_rollback.label == "disarmed"
        assert len([e for e in ctl.events if "trigger held" in e.message]) == 1


async def test_outage_holds_and_never_rolls_back(simulator_factory, tmp_path):
    clock = ManualClock()
    # "drop" decides per request from the shared clock (the "refuse" listener follows it asynchronously)
    sim = simulator_factory(scenario="outage", outage_mode="drop", token="test-token", seed=7, clock=clock)
    async with make_client(sim.url, clock) as client:
        ctl = make_controller(client, clock, tmp_path)
        await _live_at(ctl, 10)
        states = []
        for _ in range(30):  # 150 s: healthy, 30 s of dropped connections, healthy again
            clock.advance(5.0)
            snap = await ctl.refresh()
            states.append(snap.connection)
            assert ctl.action_in_flight is None
            if snap.connection is not ConnectionState.LIVE:
                assert snap.auto_rollback.armed is False and snap.auto_rollback.label.startswith("held")
                assert snap.decision.kind is DecisionKind.HOLD
                assert snap.data_age_s is not None and snap.data_age_s > 0
        assert ConnectionState.UNREACHABLE in states and states[-1] is ConnectionState.LIVE
        assert sim.state.canary_percent == 10
        assert not _auto_records(ctl)


async def test_a_flapping_but_healthy_canary_never_trips(simulator_factory, tmp_path):
    clock = ManualClock()
    sim = simulator_factory(scenario="flapping", token="test-token", seed=7, clock=clock)
    async with make_client(sim.url, clock) as client:
        ctl = make_controller(client, clock, tmp_path)
        await _live_at(ctl, 10)
        counts = []
        for _ in range(60):  # 10 minutes of 10 s polls, canary errors wandering 0.2%..1.8%
            clock.advance(10.0)
            counts.append((await ctl.refresh()).auto_rollback.count)
            assert ctl.action_in_flight is None
        assert max(counts) < 3 and sim.state.canary_percent == 10


async def test_without_a_token_the_trigger_is_held_and_never_shown_armed(simulator_factory, tmp_path):
    """A dashboard that cannot roll back must not promise an armed auto-rollback: the trip is held and said so."""
    from canary_tui.mission.actuators import ApiActuator

    clock = ManualClock()
    sim = simulator_factory(scenario="error-spike", token="test-token", seed=7, clock=clock, initial_percent=10)
    async with make_client(sim.url, clock) as client:
        ctl = make_controller(client, clock, tmp_path, actuator=ApiActuator(client, has_token=False))  # as watch builds it without a token
        assert ctl.blocked_reason is not None
        labels = set()
        for _ in range(16):
            clock.advance(30.0)
            snap = await ctl.refresh()
            labels.add(snap.auto_rollback.label)
            assert not snap.auto_rollback.enabled
        assert labels == {"disarmed"} and sim.state.canary_percent == 10 and ctl.action_in_flight is None
        held = [e for e in ctl.events if "rollback trigger held (no bearer token" in e.message]
        assert held, [e.message for e in ctl.events]


@pytest.mark.parametrize("secret", [SECRET, None])
async def test_the_preflight_gate_says_whether_the_signature_was_checked(simulator_factory, tmp_path, secret):
    """At 0% over real HTTP: with the secret the gate says verified; without it, unchecked (only the server's word)."""
    clock = ManualClock()
    sim = simulator_factory(scenario="healthy", token="test-token", secret=SECRET, seed=7, clock=clock, initial_percent=0)
    async with make_client(sim.url, clock, secret=secret) as client:
        ctl = make_controller(client, clock, tmp_path)
        await ctl.refresh()
        gate = next(g for g in ctl.snapshot.gates if g.name == "heartbeat")
        assert gate.reason == ("reachable; signature verified" if secret else "reachable; signature unchecked (no secret)")
