"""Fault matrix × the controller (what the dashboard and the CLI share), over real loopback HTTP.

Per fault: STALE then UNREACHABLE with the typed message and the age of the
last good data, the metric gates HOLD, nothing rolls back on missing data, and
LIVE again once the fault ends. Then a rollback issued during the fault lands
once the server answers, confirmed, in effect exactly once, every attempt audited.
"""

from __future__ import annotations

import asyncio

import pytest

from canary_tui.controller.model import ConnectionState, RampState, Trigger
from canary_tui.core.clock import ManualClock
from canary_tui.core.verdicts import DecisionKind, GateStatus
from controller_harness import audit_records, make_controller, wait_for
from fault_catalog import CANARY, CASES, HEARTBEAT, FaultCase
from reliability_links import Link

ACTOR = "alice@reliability"


def _metric_gates_hold(snapshot) -> bool:
    """Every gate that judges data (not the bake clock) HOLDs."""
    gates = [g for g in snapshot.gates if g.name.lower() not in ("bake",) and "bake" not in g.name.lower()]
    return bool(gates) and all(g.status is GateStatus.HOLD for g in gates)


def _blackhole(case: FaultCase, request):
    """The connect-timeout listener, only for the case that needs it."""
    return request.getfixturevalue("blackhole") if case.transport == "connect-timeout" else None


async def _live_controller(case: FaultCase, simulator_factory, tmp_path, paths, **link_kw):
    clock = ManualClock()
    sim = simulator_factory(scenario="healthy", faults=True, token="ops-RELIABILITY-tok-5c1f7a9e",
                            secret="hb-RELIABILITY-sig-83d2b6c4", seed=11, clock=clock, initial_percent=10)
    link = Link(case, sim, clock, paths, **link_kw)
    ctl = make_controller(link.client, clock, tmp_path, actor=ACTOR)
    for _ in range(3):
        clock.advance(5.0)
        await ctl.refresh()
    assert ctl.snapshot.connection is ConnectionState.LIVE, ctl.snapshot.connection_error
    return clock, sim, link, ctl


@pytest.mark.parametrize("case", CASES, ids=str)
async def test_fault_goes_stale_then_unreachable_holds_and_recovers(case, simulator_factory, tmp_path, tls_front_factory, request):
    clock, sim, link, ctl = await _live_controller(case, simulator_factory, tmp_path, [HEARTBEAT],
                                                   tls_front_factory=tls_front_factory, blackhole=_blackhole(case, request))
    try:
        link.start()
        changes_before = len(sim.state.history)
        clock.advance(1.0)
        snap = await ctl.refresh()
        assert snap.connection is ConnectionState.STALE
        assert snap.connection_error and snap.connection_error.split(":")[0] in case.kinds, snap.connection_error
        assert any(w in snap.connection_error.lower() for w in case.words), snap.connection_error
        assert snap.heartbeat is not None and snap.data_age_s == pytest.approx(1.0)
        assert _metric_gates_hold(snap), snap.gates
        assert snap.decision is not None and snap.decision.kind is DecisionKind.HOLD
        for _ in range(2):
            clock.advance(1.0)
            snap = await ctl.refresh()
        assert snap.connection is case.persistent_state
        assert snap.data_age_s == pytest.approx(3.0)  # the age of the last good data, still shown
        assert _metric_gates_hold(snap) and snap.decision.kind is DecisionKind.HOLD
        assert snap.ramp is not RampState.ROLLING_BACK and ctl.action_in_flight is None
        assert len(sim.state.history) == changes_before and sim.state.canary_percent == 10  # no auto-rollback on missing data
        link.end()
        clock.advance(1.0)
        snap = await ctl.refresh()
        assert snap.connection is ConnectionState.LIVE and snap.connection_error is None
        assert snap.data_age_s == 0.0
        assert sim.state.canary_percent == 10
    finally:
        link.end()
        await link.aclose()


@pytest.mark.parametrize("case", CASES, ids=str)
async def test_rollback_during_fault_lands_once_confirmed_and_audited(case, simulator_factory, tmp_path, tls_front_factory, request):
    clock, sim, link, ctl = await _live_controller(case, simulator_factory, tmp_path, [HEARTBEAT, CANARY],
                                                   tls_front_factory=tls_front_factory, blackhole=_blackhole(case, request))
    try:
        before = len(sim.state.history)
        link.start()
        task = asyncio.create_task(ctl.rollback(Trigger.KEY, note=f"rollback during {case.name}"))
        # at least two full rollback attempts fail while the fault lasts
        await wait_for(lambda: sum(1 for r in audit_records(ctl) if r["action"] == "rollback" and r["outcome"] == "retry") >= 2,
                       timeout_s=30, what="two failed rollback attempts")
        assert not task.done()
        assert ctl.snapshot.ramp is RampState.ROLLING_BACK
        link.end()
        result = await asyncio.wait_for(task, 30)
        assert result.ok, result.message
        assert sim.state.canary_percent == 0
        assert ctl.snapshot.heartbeat.deployment.canary_percent == 0  # confirmed by read-back
        zero_changes = [c for c in sim.state.history[before:] if c.percent == 0]
        assert [(c.previous_percent, c.actor) for c in zero_changes] == [(10, ACTOR)]  # in effect exactly once
        assert len(sim.state.history) == before + 1
        records = [r for r in audit_records(ctl) if r["action"] == "rollback"]
        attempts = sorted({r["attempt"] for r in records if r["outcome"] == "attempt"})
        assert attempts == list(range(1, len(attempts) + 1)) and len(attempts) >= 3
        retried = {r["attempt"] for r in records if r["outcome"] == "retry"}
        assert retried == set(attempts[:-1])  # every failed attempt audited with its reason
        assert [r["outcome"] for r in records].count("ok") == 1 and records[-1]["outcome"] == "ok"
        assert all(r["server"] for r in records if r["outcome"] == "retry")
    finally:
        link.end()
        await ctl.wait_idle()
        await link.aclose()


async def test_flapping_heartbeat_never_unreachable_never_rolls_back(simulator_factory, tmp_path):
    """Up, down, up, down...: STALE on each miss, LIVE on each hit, no rollback, no lost state."""
    case = FaultCase("drop", fault="drop")
    clock, sim, link, ctl = await _live_controller(case, simulator_factory, tmp_path, [HEARTBEAT])
    try:
        seen = []
        for i in range(20):
            if i % 2 == 0:
                sim.inject_fault("drop", count=1)
            clock.advance(1.0)
            snap = await ctl.refresh()
            seen.append(snap.connection)
            assert snap.decision is not None and snap.decision.kind is not DecisionKind.ROLLBACK
        assert seen == [ConnectionState.STALE, ConnectionState.LIVE] * 10
        assert sim.state.history == [] and sim.state.canary_percent == 10
        assert not [e for e in ctl.events if e.kind == "auto-rollback"]
    finally:
        await link.aclose()


async def test_counter_reset_never_gives_a_negative_rate_nor_a_rollback(simulator_factory, tmp_path):
    """The server restarts 120 s after the canary goes live: counters fall to 0; the controller treats it as a reset."""
    from canary_tui.core.clock import ManualClock as Clock
    from reliability_support import SECRET, TOKEN
    from reliability_links import client

    clock = Clock()
    sim = simulator_factory(scenario="counter-reset", seed=11, clock=clock, token=TOKEN, secret=SECRET, initial_percent=10)
    async with client(sim.url, clock) as c:
        ctl = make_controller(c, clock, tmp_path, actor=ACTOR)
        for _ in range(60):  # 300 s, through the restart
            clock.advance(5.0)
            snap = await ctl.refresh()
            rates = snap.rates
            if rates is not None:
                for value in (rates.requests, rates.errors, rates.error_rate, rates.requests_per_s):
                    assert value is None or value >= 0, rates
            assert snap.connection is ConnectionState.LIVE
            assert snap.decision is None or snap.decision.kind is not DecisionKind.ROLLBACK
    assert sim.state.counters["restarts"] == 1
    assert sim.state.history == [] and sim.state.canary_percent == 10


async def test_clock_skewed_server_stays_live_and_judged(simulator_factory, tmp_path):
    from reliability_support import SECRET, TOKEN
    from reliability_links import client

    clock = ManualClock()
    sim = simulator_factory(scenario="healthy", seed=11, clock=lambda: clock.now() - 6 * 3600, token=TOKEN, secret=SECRET, initial_percent=10)
    async with client(sim.url, clock) as c:
        ctl = make_controller(c, clock, tmp_path, actor=ACTOR)
        for _ in range(10):
            clock.advance(5.0)
            snap = await ctl.refresh()
        assert snap.connection is ConnectionState.LIVE and snap.data_age_s == 0.0
        assert snap.rates is not None and snap.rates.interval_s == 5.0 and snap.rates.requests_per_s > 0
        assert not [g for g in snap.gates if g.name != "bake" and g.status is GateStatus.HOLD and "stale" in g.reason]
