"""The full ramp 0 → 10 → 50 → 100 over loopback, gates and bake honoured, every step audited."""

from __future__ import annotations

from canary_tui.controller.model import ConnectionState, RampState, Trigger
from canary_tui.core.clock import ManualClock
from canary_tui.core.verdicts import GateStatus

from controller_harness import audit_records, make_client, make_controller, poll


async def test_full_ramp_to_100_percent(simulator_factory, tmp_path):
    clock = ManualClock()
    sim = simulator_factory(scenario="healthy", token="test-token", seed=7, clock=clock)
    async with make_client(sim.url, clock) as client:
        ctl = make_controller(client, clock, tmp_path)
        snap = await ctl.refresh()
        assert snap.connection is ConnectionState.LIVE
        assert snap.ramp is RampState.IDLE
        seen: list[int] = []
        for expected in (10, 50, 100):
            result = await ctl.advance(Trigger.KEY)
            assert result.ok, result.message
            assert result.to_percent == expected
            assert sim.state.canary_percent == expected
            seen.append(ctl.snapshot.heartbeat.deployment.canary_percent)
            if expected < 100:
                # too early: the bake holds, advancing is still allowed by gates but state is BAKING
                await poll(ctl, clock, 30.0, 1)
                assert ctl.snapshot.ramp is RampState.BAKING
                await poll(ctl, clock, 30.0, 4)  # 150 s > 120 s bake
                snap = ctl.snapshot
                assert snap.ramp is RampState.ELIGIBLE, [g.reason for g in snap.gates]
                assert all(g.status is GateStatus.PASS for g in snap.gates)
        assert seen == [10, 50, 100]
        await poll(ctl, clock, 30.0, 1)
        assert ctl.snapshot.ramp is RampState.COMPLETE
        refused = await ctl.advance(Trigger.KEY)
        assert not refused.ok and "nothing to advance" in refused.message
        history = [(c.previous_percent, c.percent, c.actor) for c in sim.state.history]
        assert history == [(0, 10, "alice@test"), (10, 50, "alice@test"), (50, 100, "alice@test")]
        records = audit_records(ctl)
        outcomes = [(r["action"], r["from"], r["to"], r["outcome"]) for r in records]
        assert outcomes == [
            ("advance", 0, 10, "attempt"), ("advance", 0, 10, "ok"),
            ("advance", 10, 50, "attempt"), ("advance", 10, 50, "ok"),
            ("advance", 50, 100, "attempt"), ("advance", 50, 100, "ok"),
        ]
        assert all(r["trigger"] == "key" and r["actor"] == "alice@test" for r in records)
        assert "test-token" not in (tmp_path / "staging-alice@test.jsonl").read_text()
        chart = ctl.chart(40)
        assert chart.get("canary_p95_ms") is not None and not chart.get("canary_p95_ms").empty
        assert [label.split()[0] for _, label in chart.marks] == ["0%→10%", "10%→50%", "50%→100%"]
        asked = ctl.chart(40, ("canary_p95_ms", "not_recorded"))  # only the series asked for, of those recorded
        assert [s.name for s in asked.series] == ["canary_p95_ms"] and asked.series[0] == chart.get("canary_p95_ms")
        assert asked.marks == chart.marks
